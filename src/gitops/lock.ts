/**
 * Serializes the operations on one repository: an in-process queue (operations of one server
 * run one after the other, in arrival order) plus a lease in the repository's `.git` directory
 * for other processes (a CLI next to a running server). Git's own `index.lock` only covers one
 * command; an operation is many commands (edit, add, commit, push, maybe fetch and retry).
 *
 * The lease is proper-lockfile's: a directory created atomically (mkdir), whose mtime the holder
 * refreshes while it works (heartbeat). A lease whose mtime is older than `staleMs` belongs to a
 * holder that stopped (killed, crashed, its host or container gone) and is taken over. Nothing in
 * it trusts a PID: a PID reused after a restart (PID 1 in a container), an empty or unreadable
 * record, or a holder on another host sharing the file system all expire the same way. The
 * `.owner` file next to it says who holds it, for messages only.
 */
import { AgentCanaryError } from '../errors/error.js';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import lockfile from 'proper-lockfile';

const queues = new Map<string, Promise<unknown>>();

export interface LockOptions {
  /** How long to wait for another process's lease before giving up. @default 30_000 ms */
  readonly timeoutMs?: number;
  /** Polling interval while another process holds the lease. @default 50 ms */
  readonly pollMs?: number;
  /**
   * A lease not refreshed for this long is stale and taken over (the holder refreshes it every
   * quarter of this). At least 2,000 ms (proper-lockfile's floor). @default 20_000 ms
   */
  readonly staleMs?: number;
}

export const DEFAULT_LOCK_STALE_MS = 20_000;

/** The environment variable that sets the lease staleness of the CLI and the API server. */
export const LOCK_STALE_ENV = 'AGENT_CANARY_LOCK_STALE_MS';

/**
 * The lease staleness for this environment: `AGENT_CANARY_LOCK_STALE_MS` (an integer of
 * milliseconds, at least 2,000), else DEFAULT_LOCK_STALE_MS. Lower it where a holder that died
 * should be taken over sooner (a single-writer setup); raise it on a file system with slow mtimes.
 */
export function lockStaleMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[LOCK_STALE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_LOCK_STALE_MS;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 2000) {
    throw new AgentCanaryError(
      'bad-request',
      `${LOCK_STALE_ENV}: invalid value '${raw.slice(0, 50)}' (allowed: an integer number of milliseconds >= 2000). Fix: set it to e.g. 20000, or unset it.`,
    );
  }
  return n;
}

/** The repository's lease could not be taken in time: a Git failure (kind `git`, exit 2, 500). */
export class LockTimeoutError extends AgentCanaryError {
  constructor(message: string) {
    super('git', message);
  }
}

/** What the body of `withRepoLock` may ask about its lease. */
export interface Lease {
  /**
   * Set when the lease was lost while held (its heartbeat could not be written for `staleMs`, so
   * another process may have taken it over): the holder must not commit any more.
   */
  readonly lost: Error | undefined;
}

async function acquireLease(
  lockFile: string,
  opts: LockOptions,
  lease: { lost: Error | undefined },
): Promise<() => Promise<void>> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const staleMs = Math.max(2000, opts.staleMs ?? DEFAULT_LOCK_STALE_MS);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const release = await lockfile.lock(lockFile, {
        lockfilePath: lockFile,
        realpath: false,
        stale: staleMs,
        update: Math.max(1000, Math.floor(staleMs / 4)),
        retries: 0,
        onCompromised: (err) => {
          lease.lost = err;
        },
      });
      await writeFile(
        `${lockFile}.owner`,
        `pid ${process.pid} on ${hostname()} since ${new Date().toISOString()}\n`,
      ).catch(() => undefined);
      return async () => {
        await rm(`${lockFile}.owner`, { force: true });
        await release().catch(() => undefined);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ELOCKED') throw err;
    }
    if (Date.now() > deadline) {
      const owner = (await readFile(`${lockFile}.owner`, 'utf8').catch(() => '')).trim();
      throw new LockTimeoutError(
        `${lockFile} is held by another agent-canary operation${owner ? ` (${owner})` : ''} for more than ${timeoutMs} ms. ` +
          `Fix: wait for it to finish and retry; a holder that stopped loses the lease ${staleMs} ms after its last heartbeat.`,
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 50));
  }
}

/**
 * Runs `fn` alone for `key` in this process and, with `lockFile`, alone across processes.
 * Failures of `fn` do not break the queue for the next caller.
 */
export function withRepoLock<T>(
  key: string,
  lockFile: string | undefined,
  fn: (lease: Lease) => Promise<T>,
  opts: LockOptions = {},
): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(async () => {
    const lease: { lost: Error | undefined } = { lost: undefined };
    const release = lockFile ? await acquireLease(lockFile, opts, lease) : undefined;
    try {
      return await fn(lease);
    } finally {
      await release?.();
    }
  });
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  // Drop the entry once idle so long-running servers do not keep one per repository forever.
  void settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}
