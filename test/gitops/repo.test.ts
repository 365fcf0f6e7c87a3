/**
 * The Git layer against real Git: commits of named paths only, push over file:// and git://,
 * a rejected push resolved by fetching and re-applying, rollback on every failure, branch mode,
 * and serialization.
 */
import { spawn } from 'node:child_process';
import {
  mkdirSync,
  readFileSync,
  writeFileSync,
  existsSync,
  chmodSync,
  statSync,
  unlinkSync,
  utimesSync,
} from 'node:fs';
import { join } from 'node:path';
import { hostname } from 'node:os';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GitOpsError } from '../../src/gitops/errors.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { bareRemote, commitCount, git, removeDir, startGitDaemon, tempDir } from './git-helpers.js';

let root: string;
beforeEach(() => {
  root = tempDir();
});
afterEach(() => {
  removeDir(root);
});

function seedFleet(dir: string): void {
  mkdirSync(join(dir, 'fleet', 'ns'), { recursive: true });
  writeFileSync(join(dir, 'fleet', 'ns', 'a.yaml'), 'weight: 5\n');
  writeFileSync(join(dir, 'fleet', 'ns', 'b.yaml'), 'weight: 5\n');
  writeFileSync(join(dir, 'README.md'), 'gitops\n');
}

/** A body that appends a line to `file` and commits with `message`. */
function append(file: string, line: string, message = `append ${line}`) {
  return async (dir: string) => {
    const p = join(dir, file);
    writeFileSync(p, readFileSync(p, 'utf8') + `${line}\n`);
    return { result: line, message };
  };
}

describe('GitRepo.transact', () => {
  it('commits only the named paths and leaves other changes staged and unstaged as they were', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    writeFileSync(join(dir, 'README.md'), 'edited by a person\n');
    git(dir, 'add', 'README.md');
    writeFileSync(join(dir, 'fleet', 'ns', 'b.yaml'), 'weight: 50 # unstaged edit\n');

    const repo = await GitRepo.open(dir);
    const r = await repo.transact({ paths: ['fleet/ns/a.yaml'] }, append('fleet/ns/a.yaml', 'x'));
    expect(r.commit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(r.pushed).toBe(false);
    expect(git(dir, 'show', '--name-only', '--format=', 'HEAD')).toBe('fleet/ns/a.yaml');
    // The person's staged README and unstaged b.yaml are untouched.
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('README.md');
    expect(readFileSync(join(dir, 'fleet', 'ns', 'b.yaml'), 'utf8')).toBe(
      'weight: 50 # unstaged edit\n',
    );
  });

  it('stages only the files a body names (new, changed, deleted), with or without other staged files', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    mkdirSync(join(dir, 'dist', 'ns', 'a'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'ns', 'a', 'Service.a.yaml'), 'kind: Service\n');
    writeFileSync(join(dir, 'dist', 'ns', 'a', 'Service.a-canary.yaml'), 'kind: Service\n');
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const repo = await GitRepo.open(dir);
    const paths = ['fleet/ns/a.yaml', 'dist/ns/a'];
    const body = (weight: number) => async (d: string) => {
      writeFileSync(join(d, 'fleet', 'ns', 'a.yaml'), `weight: ${weight}\n`);
      writeFileSync(join(d, 'dist', 'ns', 'a', 'Route.a.yaml'), `weight: ${weight}\n`);
      const canary = join(d, 'dist', 'ns', 'a', 'Service.a-canary.yaml');
      if (existsSync(canary)) unlinkSync(canary);
      return {
        result: weight,
        message: `weight ${weight}`,
        touched: [
          'fleet/ns/a.yaml',
          'dist/ns/a/Route.a.yaml',
          'dist/ns/a/Service.a-canary.yaml',
          'dist/ns/a/Service.a.yaml',
        ],
      };
    };
    const first = await repo.transact({ paths }, body(10));
    expect(first.commit).toBe(git(dir, 'rev-parse', 'HEAD'));
    expect(git(dir, 'show', '--name-status', '--format=', 'HEAD').split('\n').sort()).toEqual([
      'A\tdist/ns/a/Route.a.yaml',
      'D\tdist/ns/a/Service.a-canary.yaml',
      'M\tfleet/ns/a.yaml',
    ]);
    expect(git(dir, 'status', '--porcelain')).toBe('');

    // A person's staged file stays staged and out of the commit.
    writeFileSync(join(dir, 'README.md'), 'edited by a person\n');
    git(dir, 'add', 'README.md');
    const second = await repo.transact({ paths }, body(25));
    expect(git(dir, 'show', '--name-only', '--format=', second.commit!).split('\n').sort()).toEqual(
      ['dist/ns/a/Route.a.yaml', 'fleet/ns/a.yaml'],
    );
    expect(git(dir, 'diff', '--cached', '--name-only')).toBe('README.md');

    // Named files that did not change: no commit.
    const head = git(dir, 'rev-parse', 'HEAD');
    const same = await repo.transact({ paths }, body(25));
    expect(same.commit).toBeUndefined();
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('refuses when a path it would commit has uncommitted changes', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    writeFileSync(join(dir, 'fleet', 'ns', 'a.yaml'), 'weight: 99\n');
    const repo = await GitRepo.open(dir);
    const before = git(dir, 'rev-parse', 'HEAD');
    await expect(
      repo.transact({ paths: ['fleet/ns/a.yaml'] }, append('fleet/ns/a.yaml', 'x')),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before);
    expect(readFileSync(join(dir, 'fleet', 'ns', 'a.yaml'), 'utf8')).toBe('weight: 99\n');
  });

  it('puts files and branch back when the body fails after writing, including files it created', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const repo = await GitRepo.open(dir);
    const before = git(dir, 'rev-parse', 'HEAD');
    await expect(
      repo.transact({ paths: ['fleet/ns/a.yaml', 'dist/ns/a'] }, async (d) => {
        writeFileSync(join(d, 'fleet', 'ns', 'a.yaml'), 'weight: 10\n');
        mkdirSync(join(d, 'dist', 'ns', 'a'), { recursive: true });
        writeFileSync(join(d, 'dist', 'ns', 'a', 'Deployment.a-canary.yaml'), 'kind: Deployment\n');
        throw new GitOpsError('refused', 'validation said no');
      }),
    ).rejects.toThrow('validation said no');
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(dir, 'status', '--porcelain')).toBe('');
    expect(existsSync(join(dir, 'dist', 'ns', 'a'))).toBe(false);
  });

  it('makes no commit when the body returns no message', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const repo = await GitRepo.open(dir);
    const r = await repo.transact({ paths: ['fleet'] }, async () => ({ result: 'noop' }));
    expect(r.commit).toBeUndefined();
    expect(commitCount(dir)).toBe(1);
  });

  it('pushes to a bare remote over file:// and resolves a rejected push by fetching and re-applying', async () => {
    const bare = bareRemote(root, 'remote.git', seedFleet);
    const a = join(root, 'a');
    const b = join(root, 'b');
    git(root, 'clone', '-q', `file://${bare}`, a);
    git(root, 'clone', '-q', `file://${bare}`, b);

    const repoA = await GitRepo.open(a);
    const first = await repoA.transact(
      { paths: ['fleet/ns/a.yaml'] },
      append('fleet/ns/a.yaml', 'from-a-1'),
    );
    expect(first.pushed).toBe(true);
    expect(first.attempts).toBe(1);
    expect(git(bare, 'rev-parse', 'main')).toBe(first.commit);

    // B pushes while A does not know: A's next push is rejected (non-fast-forward).
    const repoB = await GitRepo.open(b);
    await repoB.transact({ paths: ['fleet/ns/b.yaml'] }, append('fleet/ns/b.yaml', 'from-b'));
    let applied = 0;
    const second = await repoA.transact({ paths: ['fleet/ns/a.yaml'] }, async (d) => {
      applied++;
      return append('fleet/ns/a.yaml', 'from-a-2')(d);
    });
    expect(second.pushed).toBe(true);
    expect(second.attempts).toBe(2);
    expect(applied).toBe(2);
    expect(git(bare, 'rev-parse', 'main')).toBe(second.commit);
    // Both changes are on the remote, the re-applied one on top of B's; nothing lost.
    const remoteA = git(bare, 'show', 'main:fleet/ns/a.yaml');
    expect(remoteA.split('\n')).toEqual(['weight: 5', 'from-a-1', 'from-a-2']);
    expect(git(bare, 'show', 'main:fleet/ns/b.yaml')).toContain('from-b');
    expect(git(a, 'status', '--porcelain')).toBe('');
    expect(git(bare, 'fsck', '--no-progress')).not.toMatch(/error|missing|broken/i);
  });

  it('pushes over git daemon on 127.0.0.1 and retries a push rejected there', async () => {
    const base = join(root, 'served');
    mkdirSync(base);
    bareRemote(base, 'fleet.git', seedFleet);
    const daemon = await startGitDaemon(base);
    try {
      const a = join(root, 'a');
      const b = join(root, 'b');
      git(root, 'clone', '-q', daemon.url('fleet.git'), a);
      git(root, 'clone', '-q', daemon.url('fleet.git'), b);
      const repoB = await GitRepo.open(b);
      await repoB.transact({ paths: ['fleet/ns/b.yaml'] }, append('fleet/ns/b.yaml', 'b1'));
      const repoA = await GitRepo.open(a);
      const r = await repoA.transact(
        { paths: ['fleet/ns/a.yaml'] },
        append('fleet/ns/a.yaml', 'a1'),
      );
      expect(r.pushed).toBe(true);
      expect(r.attempts).toBe(2);
      expect(git(join(base, 'fleet.git'), 'rev-parse', 'main')).toBe(r.commit);
      expect(commitCount(join(base, 'fleet.git'), 'main')).toBe(3);
    } finally {
      await daemon.stop();
    }
  });

  it('rolls the commit back when the remote refuses the push for good', async () => {
    const bare = bareRemote(root, 'remote.git', seedFleet);
    const hook = join(bare, 'hooks', 'pre-receive');
    writeFileSync(hook, '#!/bin/sh\necho "protected branch" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const a = join(root, 'a');
    git(root, 'clone', '-q', `file://${bare}`, a);
    const before = git(a, 'rev-parse', 'HEAD');
    const repo = await GitRepo.open(a);
    await expect(
      repo.transact({ paths: ['fleet/ns/a.yaml'] }, append('fleet/ns/a.yaml', 'x')),
    ).rejects.toMatchObject({ kind: 'git' });
    expect(git(a, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(a, 'status', '--porcelain')).toBe('');
    expect(git(bare, 'rev-parse', 'main')).toBe(before);
  });

  it('writes a pull-request branch without touching the checked-out branch or working tree', async () => {
    const bare = bareRemote(root, 'remote.git', seedFleet);
    const a = join(root, 'a');
    git(root, 'clone', '-q', `file://${bare}`, a);
    const main = git(a, 'rev-parse', 'HEAD');
    const repo = await GitRepo.open(a);
    const r1 = await repo.transact(
      { paths: ['fleet/ns/a.yaml'], branch: 'canary/ns-a' },
      append('fleet/ns/a.yaml', 'pr-1'),
    );
    const r2 = await repo.transact(
      { paths: ['fleet/ns/a.yaml'], branch: 'canary/ns-a' },
      append('fleet/ns/a.yaml', 'pr-2'),
    );
    expect(r2.branch).toBe('canary/ns-a');
    expect(git(a, 'rev-parse', 'HEAD')).toBe(main);
    expect(git(a, 'symbolic-ref', '--short', 'HEAD')).toBe('main');
    expect(readFileSync(join(a, 'fleet', 'ns', 'a.yaml'), 'utf8')).toBe('weight: 5\n');
    expect(git(bare, 'rev-parse', 'canary/ns-a')).toBe(r2.commit);
    expect(git(bare, 'rev-parse', 'canary/ns-a~1')).toBe(r1.commit);
    expect(git(bare, 'show', 'canary/ns-a:fleet/ns/a.yaml').split('\n')).toEqual([
      'weight: 5',
      'pr-1',
      'pr-2',
    ]);
    expect(git(a, 'worktree', 'list').split('\n')).toHaveLength(1);
  });

  it('serializes concurrent transactions on one repository', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const repo = await GitRepo.open(dir);
    const again = await GitRepo.open(dir); // a second handle shares the queue and the lock file
    let inside = 0;
    let maxInside = 0;
    const runs = Array.from({ length: 12 }, (_, i) =>
      (i % 2 ? repo : again).transact({ paths: ['fleet/ns/a.yaml'] }, async (d) => {
        inside++;
        maxInside = Math.max(maxInside, inside);
        await new Promise((r) => setTimeout(r, 2));
        const out = await append('fleet/ns/a.yaml', `line-${i}`)(d);
        inside--;
        return out;
      }),
    );
    await Promise.all(runs);
    expect(maxInside).toBe(1);
    expect(commitCount(dir)).toBe(13);
    expect(
      readFileSync(join(dir, 'fleet', 'ns', 'a.yaml'), 'utf8')
        .trim()
        .split('\n'),
    ).toHaveLength(13);
    expect(existsSync(join(dir, '.git', 'agent-canary.lock'))).toBe(false);
  });

  it('waits for a lease another process holds and refreshes, and takes over a lease whose heartbeat stopped', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const lease = join(dir, '.git', 'agent-canary.lease');
    // Another process holds the lease and keeps it fresh (heartbeat every quarter of 4 s).
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', join(__dirname, 'lease-holder.ts'), lease, '4000'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: holder.stdout! });
    const said = (what: string) =>
      new Promise<void>((r) => lines.on('line', (l) => l === what && r()));
    const released = said('released');
    await said('held');
    const firstMtime = statSync(lease).mtimeMs;
    const repo = await GitRepo.open(dir, { lockStaleMs: 6000, lockTimeoutMs: 600_000 });
    let done = false;
    const pending = repo
      .transact({ paths: ['fleet/ns/a.yaml'] }, append('fleet/ns/a.yaml', 'after-wait'))
      .then((r) => {
        done = true;
        return r;
      });
    // Wait until the holder's heartbeat has kept the lease alive for longer than the waiter's
    // stale time (6 s, the holder refreshes every second): the live lease was not taken over.
    while (statSync(lease).mtimeMs - firstMtime <= 6000)
      await new Promise((r) => setTimeout(r, 100));
    expect(done).toBe(false);
    expect(commitCount(dir)).toBe(1);
    holder.stdin!.write('go\n');
    await released;
    expect((await pending).commit).toBeDefined();
    expect(existsSync(lease)).toBe(false);

    // Leases whose holder stopped: PID 1 on this host (a restarted container reuses it), another
    // host, no owner record at all. None is trusted by PID; each is stale by its mtime.
    for (const owner of [
      `pid 1 on ${hostname()} since 2026-01-01T00:00:00Z\n`,
      'pid 4242 on another-host since 2026-01-01T00:00:00Z\n',
      undefined,
    ]) {
      mkdirSync(lease);
      if (owner !== undefined) writeFileSync(`${lease}.owner`, owner);
      const old = new Date(Date.now() - 60_000);
      utimesSync(lease, old, old);
      const before = commitCount(dir);
      await repo.transact(
        { paths: ['fleet/ns/a.yaml'] },
        append('fleet/ns/a.yaml', `after-stale-${before}`),
      );
      expect(commitCount(dir)).toBe(before + 1);
      expect(existsSync(lease)).toBe(false);
    }
  });

  it('times out on a held lease with a message naming the holder', async () => {
    const dir = join(root, 'work');
    git(root, 'init', '-q', '-b', 'main', dir);
    seedFleet(dir);
    git(dir, 'add', '-A');
    git(dir, 'commit', '-q', '-m', 'seed');
    const lease = join(dir, '.git', 'agent-canary.lease');
    mkdirSync(lease);
    writeFileSync(`${lease}.owner`, 'pid 77 on build-host since 2026-01-01T00:00:00Z\n');
    // A fresh lease (mtime now) with a wait shorter than its stale time: not taken over.
    const repo = await GitRepo.open(dir, { lockStaleMs: 600_000, lockTimeoutMs: 200 });
    await expect(
      repo.transact({ paths: ['fleet/ns/a.yaml'] }, append('fleet/ns/a.yaml', 'x')),
    ).rejects.toMatchObject({
      kind: 'git',
      message: expect.stringMatching(
        /held by another agent-canary operation \(pid 77 on build-host/,
      ),
    });
    expect(commitCount(dir)).toBe(1);
  });
});
