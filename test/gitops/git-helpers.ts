/**
 * Real Git for the tests: temp dirs, bare remotes over file:// and `git daemon` on 127.0.0.1.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function tempDir(prefix = 'agent-canary-gitops-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Runs git in `cwd` with a fixed identity; returns trimmed stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    [
      '-c',
      'user.name=Test',
      '-c',
      'user.email=test@example.com',
      '-c',
      'init.defaultBranch=main',
      ...args,
    ],
    {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  ).trim();
}

/** A bare repository at `<root>/<name>` with one commit on main (made through a scratch clone). */
export function bareRemote(
  root: string,
  name = 'remote.git',
  seed: (dir: string) => void = () => undefined,
): string {
  const bare = join(root, name);
  git(root, 'init', '-q', '--bare', '-b', 'main', bare);
  const scratch = join(root, `${name}-seed`);
  git(root, 'clone', '-q', bare, scratch);
  seed(scratch);
  git(scratch, 'add', '-A');
  git(scratch, 'commit', '-q', '--allow-empty', '-m', 'seed');
  git(scratch, 'push', '-q', 'origin', 'HEAD:main');
  removeDir(scratch);
  return bare;
}

export function commitCount(dir: string, ref = 'HEAD'): number {
  return Number(git(dir, 'rev-list', '--count', ref));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export interface GitDaemon {
  readonly url: (name: string) => string;
  stop(): Promise<void>;
}

/** `git daemon` serving `basePath` on 127.0.0.1 (random port), pushes allowed. */
export async function startGitDaemon(basePath: string): Promise<GitDaemon> {
  const port = await freePort();
  const child: ChildProcess = spawn(
    'git',
    [
      'daemon',
      '--reuseaddr',
      '--export-all',
      '--enable=receive-pack',
      `--base-path=${basePath}`,
      '--listen=127.0.0.1',
      `--port=${port}`,
      basePath,
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 10_000;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) break;
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`git daemon did not listen on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: (name) => `git://127.0.0.1:${port}/${name}`,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
