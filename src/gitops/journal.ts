/**
 * Crash recovery for repository transactions. Before a transaction touches a working tree it
 * records what it may touch in `.git/agent-canary-journal.json`; it removes the record once the
 * tree is consistent again (committed, or rolled back). A record found by the next holder of the
 * lease therefore belongs to an operation that was killed part-way, and `recover` puts things
 * back before the new operation starts:
 * - the paths the operation owned (checked clean when it started, so whatever is in them now is
 *   its half-done work) are restored to HEAD, staged and working tree, and files it created are
 *   removed. HEAD itself is never moved: a commit the operation made stays (with a remote, the
 *   next operation's push publishes it along with its own);
 * - a temporary `git worktree` of a pull-request-mode operation is removed;
 * - a Git lock file (`index.lock`, `HEAD.lock`, the branch's ref lock) that git left behind when
 *   it was killed with us is removed once it is older than the lease's stale time (a git command
 *   of a live user holding it that long is unlikely; one of ours never does).
 * Other files of the working tree are never touched, so a user's uncommitted edits elsewhere
 * survive a crash. (Managed clones are additionally reset to their remote's head; workspace.ts.)
 */
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { SimpleGit } from 'simple-git';

export const JOURNAL_FILE = 'agent-canary-journal.json';

export interface JournalEntry {
  /** Paths (relative to the working tree) the operation may have changed. */
  readonly paths?: readonly string[];
  /** Scratch files (relative to the working tree) the operation may have left, removed on recovery. */
  readonly scratch?: readonly string[];
  /** Temporary worktree of a pull-request-mode operation. */
  readonly worktree?: string;
  /** The branch the operation committed to. */
  readonly branch?: string;
  readonly pid: number;
  readonly startedAt: string;
}

/** Writes the record atomically (temp file + rename): a crash never leaves half a record. */
export async function writeJournal(
  gitDir: string,
  entry: Omit<JournalEntry, 'pid' | 'startedAt'>,
): Promise<void> {
  const file = join(gitDir, JOURNAL_FILE);
  const full: JournalEntry = { ...entry, pid: process.pid, startedAt: new Date().toISOString() };
  await writeFile(`${file}.tmp`, `${JSON.stringify(full)}\n`);
  await rename(`${file}.tmp`, file);
}

export async function clearJournal(gitDir: string): Promise<void> {
  await rm(join(gitDir, JOURNAL_FILE), { force: true });
}

async function readJournal(gitDir: string): Promise<JournalEntry | undefined> {
  const text = await readFile(join(gitDir, JOURNAL_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as JournalEntry;
  } catch {
    // Written by rename, so this is not a torn write; treat an unreadable record as empty.
    return { pid: 0, startedAt: '' };
  }
}

/** Only relative paths inside the tree are acted upon, whatever the record says. */
function safeRelative(p: string): boolean {
  return p !== '' && !isAbsolute(p) && !p.split(/[\\/]/).includes('..');
}

/**
 * Removes Git lock files left by a git process that was killed with the operation. A young one
 * may belong to a git command someone is running right now: it is waited for (until it goes, or
 * is older than `staleMs`), and one that keeps being rewritten is left alone.
 */
async function removeStaleGitLocks(
  gitDir: string,
  branch: string | undefined,
  staleMs: number,
  now: () => number,
): Promise<string[]> {
  const candidates = ['index.lock', 'HEAD.lock'];
  if (branch && safeRelative(branch)) candidates.push(join('refs', 'heads', `${branch}.lock`));
  const removed: string[] = [];
  for (const c of candidates) {
    const file = join(gitDir, c);
    const giveUp = now() + 2 * staleMs;
    for (;;) {
      const s = await stat(file).catch(() => undefined);
      if (!s) break;
      if (now() - s.mtimeMs >= staleMs) {
        await rm(file, { force: true });
        removed.push(c);
        break;
      }
      if (now() > giveUp) break;
      await new Promise((r) =>
        setTimeout(r, Math.min(250, Math.max(10, staleMs - (now() - s.mtimeMs)))),
      );
    }
  }
  return removed;
}

export interface RecoverOptions {
  readonly staleMs: number;
  /** Clock for the age of Git's lock files. @default Date.now */
  readonly now?: () => number;
}

/**
 * Puts a working tree back after an interrupted transaction (see the file comment). Returns what
 * was done, in words, or an empty list when there was nothing to recover.
 */
export async function recover(
  git: SimpleGit,
  workdir: string,
  gitDir: string,
  opts: RecoverOptions,
): Promise<string[]> {
  const entry = await readJournal(gitDir);
  if (!entry) return [];
  const done: string[] = [
    `an operation started ${entry.startedAt || 'earlier'} (pid ${entry.pid}) was interrupted`,
  ];
  if (entry.worktree && isAbsolute(entry.worktree)) {
    await git.raw(['worktree', 'remove', '--force', entry.worktree]).catch(() => undefined);
    await rm(entry.worktree, { recursive: true, force: true });
    await git.raw(['worktree', 'prune']).catch(() => undefined);
    done.push(`removed its temporary worktree ${entry.worktree}`);
  }
  const locks = await removeStaleGitLocks(gitDir, entry.branch, opts.staleMs, opts.now ?? Date.now);
  if (locks.length > 0) done.push(`removed Git's stale ${locks.join(', ')}`);
  const paths = (entry.paths ?? []).filter(safeRelative);
  if (paths.length > 0) {
    const head = (
      await git.raw(['rev-parse', '--verify', '-q', 'HEAD^{commit}']).catch(() => '')
    ).trim();
    for (const p of paths) {
      // `restore` refuses a pathspec that matches nothing (a file the operation was creating).
      if (head)
        await git
          .raw(['restore', `--source=${head}`, '--staged', '--worktree', '--', p])
          .catch(() => undefined);
      else
        await git
          .raw(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', p])
          .catch(() => undefined);
    }
    await git.raw(['clean', '-f', '-d', '--', ...paths]);
    done.push(`restored ${paths.join(', ')} to ${head ? head.slice(0, 12) : 'the unborn branch'}`);
  }
  for (const s of (entry.scratch ?? []).filter(safeRelative))
    await rm(join(workdir, s), { force: true });
  await clearJournal(gitDir);
  return done;
}
