/**
 * A revision checked out for benchmarking: a detached git worktree in a temporary folder, with
 * the project's installed packages linked in (one symlink per package, so nothing is copied) and
 * a cache of its own: `node_modules/.cache` is a real folder of the worktree (older revisions
 * keep compiled schemas there) and AGENT_CANARY_CACHE_DIR points into the worktree (newer ones),
 * so the two revisions never read each other's caches.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';

export interface Checkout {
  /** What the user asked for (`HEAD`, a branch, a commit). */
  readonly rev: string;
  readonly sha: string;
  readonly subject: string;
  readonly dir: string;
  /** Environment for the benches of this checkout. */
  readonly env: NodeJS.ProcessEnv;
}

export function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    maxBuffer: 64 * 1024 * 1024,
  }).trim();
}

/** The commit a revision names, or a one-line error naming the revision. */
export function resolveRev(repo: string, rev: string): { sha: string; subject: string } {
  try {
    const sha = git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
    return { sha, subject: git(repo, ['log', '-1', '--format=%s', sha]) };
  } catch {
    throw new Error(`--before/--after: '${rev}' is not a commit of ${repo}`);
  }
}

/** Whether a file exists in a commit. */
export function hasFile(repo: string, sha: string, path: string): boolean {
  try {
    git(repo, ['cat-file', '-e', `${sha}:${path}`]);
    return true;
  } catch {
    return false;
  }
}

/** Whether a file is the same in two commits. */
export function sameFile(repo: string, a: string, b: string, path: string): boolean {
  try {
    git(repo, ['diff', '--quiet', a, b, '--', path]);
    return true;
  } catch {
    return false;
  }
}

export function addCheckout(
  repo: string,
  rev: string,
  dir: string,
  log: (s: string) => void,
): Checkout {
  const { sha, subject } = resolveRev(repo, rev);
  git(repo, ['worktree', 'add', '--detach', '--quiet', dir, sha]);
  const modules = join(repo, 'node_modules');
  if (!existsSync(modules)) throw new Error(`${modules} is missing: run npm install first`);
  mkdirSync(join(dir, 'node_modules', '.cache'), { recursive: true });
  for (const name of readdirSync(modules)) {
    if (name === '.cache') continue;
    symlinkSync(join(modules, name), join(dir, 'node_modules', name));
  }
  const env = { ...process.env, AGENT_CANARY_CACHE_DIR: join(dir, '.bench-cache') };
  // A revision whose `agent-canary` command runs the compiled CLI (lib/) needs it built; older
  // ones ran the sources through tsx.
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  if (pkg.scripts?.['build']) {
    log(`building ${sha.slice(0, 7)} (npm run build: its CLI runs lib/)`);
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: dir, env, stdio: 'inherit' });
  }
  return { rev, sha, subject, dir, env };
}

/** Removes a worktree this process added (also when half-made); errors only logged. */
export function removeCheckout(repo: string, dir: string, log: (s: string) => void): void {
  try {
    // The package links first, by hand: rmSync unlinks a symlink and never follows it into the
    // project's node_modules.
    rmSync(join(dir, 'node_modules'), { recursive: true, force: true });
    git(repo, ['worktree', 'remove', '--force', dir]);
  } catch (e) {
    log(`could not remove worktree ${dir}: ${(e as Error).message.split('\n')[0]}`);
  }
}
