/**
 * The base revision's files, without touching the working tree or the index: `git archive REF`
 * unpacked into a temp directory (no worktree bookkeeping left behind in .git).
 */
import { AgentCanaryError } from '../../errors/error.js';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A base revision that cannot be resolved or unpacked: validate could not validate (exit 2). */
export class GitRefError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** Runs `git args` in `repo`; its stdout, or a GitRefError with its stderr. */
export function gitOutput(repo: string, args: string[]): Promise<string> {
  return run('git', args, repo);
}

function run(cmd: string, args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new GitRefError(err.trim() || `${cmd} exited ${code}`)),
    );
  });
}

export async function resolveCommit(repo: string, ref: string): Promise<string> {
  try {
    return (await run('git', ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], repo)).trim();
  } catch {
    throw new GitRefError(
      `--base ${ref} is not a commit in ${repo}; fetch it first (actions/checkout with fetch-depth: 0) or pass a branch, tag or SHA`,
    );
  }
}

/** Unpacks `ref` into a new temp dir; call `cleanup()` when done. */
export async function extractRef(
  repo: string,
  ref: string,
): Promise<{ dir: string; commit: string; cleanup: () => Promise<void> }> {
  const commit = await resolveCommit(repo, ref);
  const dir = await mkdtemp(join(tmpdir(), 'agent-canary-base-'));
  const cleanup = () => rm(dir, { recursive: true, force: true });
  try {
    await new Promise<void>((resolve, reject) => {
      const git = spawn('git', ['archive', '--format=tar', commit], {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'pipe'] });
      let err = '';
      git.stderr.on('data', (d: Buffer) => (err += d.toString()));
      tar.stderr.on('data', (d: Buffer) => (err += d.toString()));
      git.stdout.pipe(tar.stdin);
      git.on('error', reject);
      tar.on('error', reject);
      tar.on('close', (code) =>
        code === 0 ? resolve() : reject(new GitRefError(`cannot unpack ${ref}: ${err.trim()}`)),
      );
    });
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { dir, commit, cleanup };
}
