/**
 * A verdict cache with a time to live and single-flight loading: concurrent requests for the
 * same key share one load (one MLflow query), and a loaded value is reused until it expires.
 * The map is bounded; the oldest entries go first.
 */
export interface Loaded<V> {
  readonly value: V;
  /** How long to keep it; 0 or less = do not cache (e.g. an "MLflow unavailable" answer). */
  readonly ttlMs: number;
}

export type Source = 'hit' | 'miss' | 'shared';

export class SingleFlightCache<V> {
  private readonly entries = new Map<string, { value: V; expires: number }>();
  private readonly inflight = new Map<string, Promise<Loaded<V>>>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The cached value, if fresh. */
  peek(key: string): V | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return e.value;
  }

  /**
   * The cached value, or the result of the in-flight load for the key, or a new load. Returns
   * the promise so each caller can race it against its own deadline.
   */
  get(key: string, load: () => Promise<Loaded<V>>): { source: Source; promise: Promise<V> } {
    const hit = this.peek(key);
    if (hit !== undefined) return { source: 'hit', promise: Promise.resolve(hit) };
    const running = this.inflight.get(key);
    if (running) return { source: 'shared', promise: running.then((l) => l.value) };
    const p = load().then(
      (loaded) => {
        this.inflight.delete(key);
        if (loaded.ttlMs > 0) this.set(key, loaded.value, loaded.ttlMs);
        return loaded;
      },
      (err: unknown) => {
        this.inflight.delete(key);
        throw err;
      },
    );
    this.inflight.set(key, p);
    return { source: 'miss', promise: p.then((l) => l.value) };
  }

  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expires: this.now() + ttlMs });
    while (this.entries.size > this.maxEntries)
      this.entries.delete(this.entries.keys().next().value as string);
  }

  get size(): number {
    return this.entries.size;
  }

  get inflightCount(): number {
    return this.inflight.size;
  }
}
