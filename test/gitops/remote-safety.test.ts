/**
 * A remote that accepts the connection and never answers, and repository URLs with credentials:
 * - a fetch/push/clone to it is stopped after the network timeout with an error naming the remote
 *   (without its credentials), and the operation is rolled back;
 * - while one repository's push hangs, an operation on another repository completes;
 * - credentials in a repository URL never reach Git (Argo CD Application and AppProject) or a
 *   message.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { GitRepo } from '../../src/gitops/repo.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { CLONES_DIR, resolveRepo } from '../../src/gitops/workspace.js';
import { writeProject } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

/** A TCP server on 127.0.0.1 that accepts connections and never says a word. */
interface SilentRemote {
  readonly port: number;
  /** Resolves at the next accepted connection. */
  nextConnection(): Promise<void>;
  /** Drops every open connection (the client sees the remote hang up). */
  hangUp(): void;
  close(): Promise<void>;
}

async function silentRemote(): Promise<SilentRemote> {
  const sockets = new Set<Socket>();
  let waiters: (() => void)[] = [];
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
    const w = waiters;
    waiters = [];
    for (const f of w) f();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : 0,
    nextConnection: () => new Promise<void>((r) => waiters.push(r)),
    hangUp: () => {
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

let root: string;
let remote: SilentRemote;
beforeEach(async () => {
  root = tempDir();
  remote = await silentRemote();
});
afterEach(async () => {
  await remote.close();
  removeDir(root);
});

/** A working tree with one commit whose origin is `url`. */
function workTree(name: string, url?: string): string {
  const dir = join(root, name);
  git(root, 'init', '-q', '-b', 'main', dir);
  mkdirSync(join(dir, 'fleet'), { recursive: true });
  writeFileSync(join(dir, 'fleet', 'a.yaml'), 'weight: 5\n');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', 'seed');
  if (url) git(dir, 'remote', 'add', 'origin', url);
  return dir;
}

function appendLine(line: string) {
  return async (dir: string) => {
    const p = join(dir, 'fleet', 'a.yaml');
    writeFileSync(p, `${readFileSync(p, 'utf8')}${line}\n`);
    return { result: line, message: `append ${line}` };
  };
}

describe('a remote that never answers', () => {
  it('does not hold up an operation on another repository', async () => {
    const stuckDir = workTree('stuck', `http://127.0.0.1:${remote.port}/fleet.git`);
    const stuck = await GitRepo.open(stuckDir, { networkTimeoutMs: 600_000 });
    const other = await GitRepo.open(workTree('other'));
    const connected = remote.nextConnection();
    let settled = false;
    const hanging = stuck.transact({ paths: ['fleet'] }, appendLine('x')).finally(() => {
      settled = true;
    });
    hanging.catch(() => undefined);
    await connected; // the push is now waiting on the silent remote
    const done = await other.transact({ paths: ['fleet'] }, appendLine('y'));
    expect(done.commit).toBeDefined();
    expect(settled).toBe(false);
    // The remote hangs up: the push fails and is rolled back.
    remote.hangUp();
    await expect(hanging).rejects.toMatchObject({ kind: 'git' });
    expect(commitCount(stuckDir)).toBe(1);
    expect(git(stuckDir, 'status', '--porcelain')).toBe('');
  });

  it('stops a push after the network timeout, names the remote without credentials and rolls back', async () => {
    const url = `http://bot:hunter2@127.0.0.1:${remote.port}/fleet.git`;
    const dir = workTree('stuck', url);
    const repo = await GitRepo.open(dir, { networkTimeoutMs: 1000 });
    const err = await repo.transact({ paths: ['fleet'] }, appendLine('x')).then(
      () => undefined,
      (e: unknown) => e as Error & { kind: string },
    );
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect(err!.message).toContain(
      `git push origin main: the remote http://127.0.0.1:${remote.port}/fleet.git did not answer within 1000 ms`,
    );
    expect(err!.message).not.toContain('hunter2');
    expect(commitCount(dir)).toBe(1);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    // The lease is released: the next operation (without a remote) commits at once.
    git(dir, 'remote', 'remove', 'origin');
    expect((await repo.transact({ paths: ['fleet'] }, appendLine('y'))).commit).toBeDefined();
  });

  it('stops a clone after the network timeout and leaves no half-made clone', async () => {
    const project = join(root, 'project');
    mkdirSync(project);
    const url = `http://bot:hunter2@127.0.0.1:${remote.port}/fleet.git`;
    const err = await resolveRepo(url, { projectDir: project, networkTimeoutMs: 1000 }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toMatchObject({
      kind: 'unavailable',
      message: expect.stringMatching(
        /git clone: the remote http:\/\/127\.0\.0\.1:\d+\/fleet\.git did not answer within 1000 ms/,
      ),
    });
    expect(err!.message).not.toContain('hunter2');
    expect(readdirSync(join(project, CLONES_DIR))).toEqual([]);
  });
});

describe('credentials in repository URLs', () => {
  it('are stripped from the Argo CD Application and AppProject and never committed', async () => {
    const project = join(root, 'project');
    writeProject(project, [{ namespace: 'team-a', name: 'bot' }]);
    const repo = await GitRepo.init(join(root, 'gitops'));
    await synthToRepo(repo, {
      projectDir: project,
      repoURL: 'https://bot:hunter2@git.example/fleet.git?private_token=glpat-secret',
    });
    const argocd = join(repo.dir, 'dist', 'argocd');
    const docs = readdirSync(argocd).map(
      (f) =>
        parse(readFileSync(join(argocd, f), 'utf8')) as { kind: string; spec: Record<string, any> },
    );
    const project_ = docs.find((d) => d.kind === 'AppProject')!;
    expect(project_.spec['sourceRepos']).toEqual(['https://git.example/fleet.git']);
    const apps = docs.filter((d) => d.kind === 'Application');
    expect(apps.length).toBeGreaterThan(0);
    for (const a of apps) expect(a.spec['source'].repoURL).toBe('https://git.example/fleet.git');
    const history = execFileSync('git', ['log', '-p', '--all'], {
      cwd: repo.dir,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(history).not.toMatch(/hunter2|glpat-secret/);
    expect(existsSync(join(repo.dir, 'dist', 'team-a'))).toBe(true);
  });
});
