/**
 * Crash recovery of the canary API server: the real CLI server (`agent-canary gate --repo`, a
 * child process) is killed with SIGKILL, with its git children, in the middle of a request, then
 * started again; its next request must succeed without a human, `git fsck` must be clean in the
 * working tree and the remote, no Git lock file may stay, and nothing committed before the kill
 * may be lost.
 *
 * Where the kill lands is decided by events, not timing: Git hooks of the repository, armed for
 * one request, write a marker and block, so the test kills the server exactly there:
 * - `add`: a clean filter (`.git/info/attributes`) during `git add`, once the operation's journal
 *   exists (files edited, nothing staged or committed);
 * - `ref`: the `reference-transaction` hook in state `prepared` for the branch (the commit object
 *   is written, `refs/heads/main.lock` is held);
 * - `commit`: the `reference-transaction` hook in state `committed` (committed locally, not pushed);
 * - `remote`: the bare remote's `post-receive` hook (the remote took the push, the server has not
 *   answered).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitRepo } from '../../src/gitops/repo.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { CLI_ARGS } from '../cli-entry.js';
import { writeProject } from './fixtures.js';
import { bareRemote, git, removeDir, tempDir } from './git-helpers.js';

const TOKEN = 'crash-test-token';
const POINTS = ['add', 'ref', 'commit', 'remote'] as const;
type Point = (typeof POINTS)[number];
/** Upper bound of any wait below; a wait ends on its event, this only turns a hang into a failure. */
const WAIT_MS = 90_000;

let root: string;
const children: ChildProcess[] = [];
beforeEach(() => {
  root = tempDir('agent-canary-api-crash-');
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) killGroup(c);
  removeDir(root);
});

function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The armed branch of a hook: when `arm-<point>` exists (and `extra` holds), it marks the hit and blocks. */
function hookBody(point: Point, extra = 'true'): string {
  const arm = join(root, `arm-${point}`);
  return `if [ -e '${arm}' ] && ${extra}; then rm -f '${arm}'; : > '${join(root, `hit-${point}`)}'; exec sleep 600; fi`;
}

/** A hook script of one armed point, then `passThrough` when not armed. */
function hookScript(point: Point, extra = 'true', passThrough = ''): string {
  return ['#!/bin/sh', hookBody(point, extra), passThrough, ''].join('\n');
}

function writeHook(file: string, text: string): void {
  writeFileSync(file, text);
  chmodSync(file, 0o755);
}

function installHooks(wt: string, bare: string): void {
  const hooks = join(wt, '.git', 'hooks');
  mkdirSync(hooks, { recursive: true });
  // The clean filter runs in the work tree; it passes content through unless armed and the
  // operation's journal exists (so a status check before the edit never blocks).
  const filter = join(root, 'clean-filter.sh');
  writeHook(
    filter,
    hookScript('add', '[ -e .git/agent-canary-journal.json ] && cat >/dev/null', 'exec cat'),
  );
  git(wt, 'config', 'filter.crashpoint.clean', filter);
  mkdirSync(join(wt, '.git', 'info'), { recursive: true });
  writeFileSync(join(wt, '.git', 'info', 'attributes'), '*.yaml filter=crashpoint\n');
  // One reference-transaction hook marks two points: `prepared` (the ref lock held) and
  // `committed` (the branch moved, nothing pushed yet). Not `post-commit`: the operations commit
  // with plumbing (commit-tree + update-ref), which runs no commit hooks.
  writeHook(
    join(hooks, 'reference-transaction'),
    [
      '#!/bin/sh',
      'input=$(cat)',
      'echo "$input" | grep -q " refs/heads/main$" || exit 0',
      'case "$1" in',
      `  prepared) ${hookBody('ref')} ;;`,
      `  committed) ${hookBody('commit')} ;;`,
      'esac',
      '',
    ].join('\n'),
  );
  writeHook(join(bare, 'hooks', 'post-receive'), hookScript('remote', 'cat >/dev/null'));
}

interface Server {
  readonly child: ChildProcess;
  readonly url: string;
  readonly exited: Promise<unknown>;
}

/** Starts the real CLI server and resolves once it logs where it listens. */
async function startServer(wt: string, project: string): Promise<Server> {
  const child = spawn(
    process.execPath,
    [...CLI_ARGS, 'gate', '--repo', wt, '--api-token', TOKEN, '--port', '0'],
    {
      cwd: project,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A killed server's lease is taken over after 2 s instead of 20 s.
      env: { ...process.env, AGENT_CANARY_LOCK_STALE_MS: '2000', AGENT_CANARY_GATE_SECRET: '' },
    },
  );
  children.push(child);
  const exited = new Promise((r) => child.once('exit', r));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the server did not start')), WAIT_MS);
    const onLine = (line: string): void => {
      if (!line.includes('gate listening')) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    };
    createInterface({ input: child.stdout! }).on('line', onLine);
    createInterface({ input: child.stderr! }).on('line', onLine);
    child.once('exit', (code) => reject(new Error(`the server exited (${code}) before listening`)));
  });
  return { child, url, exited };
}

function call(
  server: Server,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return fetch(`${server.url}/api/v1/agents/team-a%2Fbot/canary${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
    signal: AbortSignal.timeout(WAIT_MS),
  }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));
}

/** Resolves when `file` exists; rejects if `settled` ends first (the request never got there). */
async function reached(file: string, settled: Promise<unknown>): Promise<void> {
  let done = false;
  void settled.finally(() => (done = true));
  const deadline = Date.now() + WAIT_MS;
  while (!existsSync(file)) {
    if (done) throw new Error(`the request finished without reaching ${file}`);
    if (Date.now() > deadline) throw new Error(`${file} never appeared`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function isAncestor(dir: string, older: string, newer: string): boolean {
  try {
    git(dir, 'merge-base', '--is-ancestor', older, newer);
    return true;
  } catch {
    return false;
  }
}

/** Git lock files anywhere under `.git` (index.lock, HEAD.lock, refs/heads/main.lock, ...). */
function lockFiles(gitDir: string): string[] {
  return (readdirSync(gitDir, { recursive: true }) as string[]).filter((f) => f.endsWith('.lock'));
}

describe('API server crash recovery', () => {
  it(`recovers from SIGKILL mid-request at ${POINTS.length} points marked by Git: the next requests succeed, fsck is clean, nothing committed is lost`, async () => {
    const project = join(root, 'project');
    writeProject(project, [{ namespace: 'team-a', name: 'bot' }]);
    const bare = bareRemote(root);
    const wt = join(root, 'work');
    git(root, 'clone', '-q', bare, wt);
    await synthToRepo(await GitRepo.open(wt), { projectDir: project });
    installHooks(wt, bare);
    let server = await startServer(wt, project);
    for (const [i, point] of POINTS.entries()) {
      const localBefore = git(wt, 'rev-parse', 'HEAD');
      const remoteBefore = git(bare, 'rev-parse', 'main');
      writeFileSync(join(root, `arm-${point}`), '');
      // A start with a model no earlier request used: it always edits, commits and pushes.
      const killed = call(server, 'POST', '', { config: { modelId: `gpt-4.1-kill-${i}` } });
      await reached(
        join(root, `hit-${point}`),
        killed.catch(() => undefined),
      );
      killGroup(server.child);
      await server.exited;
      await expect(killed).rejects.toThrow();

      server = await startServer(wt, project);
      // The next request: a rollback. It undoes the killed start where that start committed
      // (changed), and is a success that changes nothing where it did not.
      const committed = point === 'commit' || point === 'remote';
      const next = await call(server, 'POST', '/rollback');
      expect(next.status, JSON.stringify(next.body)).toBe(200);
      expect(next.body['changed'], point).toBe(committed);

      expect(git(wt, 'status', '--porcelain')).toBe('');
      expect(lockFiles(join(wt, '.git')), point).toEqual([]);
      expect(lockFiles(bare), point).toEqual([]);
      git(wt, 'fsck', '--no-progress');
      git(bare, 'fsck', '--no-progress');
      expect(isAncestor(wt, localBefore, 'HEAD'), point).toBe(true);
      expect(isAncestor(bare, remoteBefore, 'main'), point).toBe(true);
      expect(git(bare, 'rev-parse', 'main')).toBe(git(wt, 'rev-parse', 'HEAD'));
      // A kill after the commit keeps it: the killed start is in the history, and pushed.
      const log = git(wt, 'log', '--format=%B', `${localBefore}..HEAD`);
      expect(log.includes(`gpt-4.1-kill-${i}`), point).toBe(committed);
    }
    // After all that, a start and a rollback commit and push as on the first day.
    const started = await call(server, 'POST', '', { config: { modelId: 'gpt-4.1-after' } });
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    expect(started.body['changed']).toBe(true);
    const rolledBack = await call(server, 'POST', '/rollback');
    expect(rolledBack.body['changed']).toBe(true);
    expect(git(bare, 'rev-parse', 'main')).toBe(git(wt, 'rev-parse', 'HEAD'));
    killGroup(server.child);
    await server.exited;
  }, 300_000);
});
