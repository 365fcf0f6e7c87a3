/**
 * The canary API opens its repository in the background at start-up. A repository that cannot be
 * opened then (its remote down, the path not mounted yet) must not answer 503 until someone
 * restarts the server: the next request after a failure tries again. One attempt runs at a time
 * (concurrent requests share it), and a failed attempt is retried at most every `retryAfterMs`,
 * so a burst of requests against a dead remote costs one clone attempt, not one per request.
 */

export interface ReopenOptions {
  /** Minimum time between a failed attempt and the next. @default 2_000 ms */
  readonly retryAfterMs?: number;
  /** Clock. @default Date.now */
  readonly now?: () => number;
}

/** Returns a getter of `open()`'s result that re-runs `open` after a failure (see the file comment). */
export function reopening<T>(open: () => Promise<T>, opts: ReopenOptions = {}): () => Promise<T> {
  const now = opts.now ?? Date.now;
  const retryAfterMs = opts.retryAfterMs ?? 2000;
  let current: Promise<T> | undefined;
  let failedAt: number | undefined;
  const attempt = (): Promise<T> => {
    failedAt = undefined;
    const p = open();
    current = p;
    p.catch(() => {
      if (current === p) failedAt = now();
    });
    return p;
  };
  return () => {
    if (current === undefined) return attempt();
    if (failedAt !== undefined && now() - failedAt >= retryAfterMs) return attempt();
    return current;
  };
}
