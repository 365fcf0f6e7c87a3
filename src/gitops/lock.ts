/**
 * Serializes the operations on one repository: an in-process queue (operations of one server
 * run one after the other, in arrival order) plus a lock file in the repository's `.git` directory
 * for other processes (a CLI next to a running server). Git's own `index.lock` only covers one
 * command; an operation is many commands (edit, add, commit, push, maybe fetch and retry).
 */
import { open, readFile, rm } from 'node:fs/promises';
import { hostname } from 'node:os';

const queues = new Map<string, Promise<unknown>>();

export interface LockOptions {
  /** How long to wait for another process's lock before giving up. @default 30_000 ms */
  readonly timeoutMs?: number;
  /** Polling interval while another process holds the lock. @default 25 ms */
  readonly pollMs?: number;
}

export class LockTimeoutError extends Error {
  override readonly name = 'LockTimeoutError';
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Takes `lockFile` with O_EXCL. A lock left by a dead process on this host is removed (a crashed
 * CLI must not block the server forever); a live holder is waited for up to `timeoutMs`.
 */
async function acquireFile(lockFile: string, opts: LockOptions): Promise<void> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const poll = opts.pollMs ?? 25;
  const self = `${process.pid}@${hostname()}`;
  for (;;) {
    try {
      const fh = await open(lockFile, 'wx');
      await fh.writeFile(`${self}\n`);
      await fh.close();
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = (await readFile(lockFile, 'utf8').catch(() => '')).trim();
    const m = /^(\d+)@(.*)$/.exec(holder);
    if (m && m[2] === hostname() && !processAlive(Number(m[1]))) {
      await rm(lockFile, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new LockTimeoutError(
        `${lockFile} is held by ${holder || 'another process'} for more than ${opts.timeoutMs ?? 30_000} ms. ` +
          'Fix: wait for the other agent-canary operation to finish, or remove the file if its process is gone.',
      );
    }
    await new Promise((r) => setTimeout(r, poll));
  }
}

/**
 * Runs `fn` alone for `key` in this process and, with `lockFile`, alone across processes.
 * Failures of `fn` do not break the queue for the next caller.
 */
export function withRepoLock<T>(key: string, lockFile: string | undefined, fn: () => Promise<T>, opts: LockOptions = {}): Promise<T> {
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.then(async () => {
    if (lockFile) await acquireFile(lockFile, opts);
    try {
      return await fn();
    } finally {
      if (lockFile) await rm(lockFile, { force: true });
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
