/**
 * Crash recovery: CLI processes running canary operations and `synth --repo` against a working
 * tree with a bare remote are killed with SIGKILL at random moments (seeded, so a failure can be
 * replayed), sometimes with their git children (a lost container), sometimes alone (kill -9 of the
 * node process). Each time, the next operation must succeed without a human, `git fsck` must be
 * clean in the working tree and the remote, and nothing committed before the kill may be lost.
 *
 * The remote is served by `git daemon` on 127.0.0.1, as a real remote is a server outside the
 * killed container: over a file:// remote the receiving `git receive-pack` is the CLI's own child,
 * and killing the group with it leaves the remote's `refs/heads/main.lock` behind, which Git says
 * only a human may remove (that is the remote's crash, not ours).
 */
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { GitRepo } from '../../src/gitops/repo.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { gitopsFor, writeProject } from './fixtures.js';
import { bareRemote, git, removeDir, startGitDaemon, tempDir } from './git-helpers.js';
import { seededRandom } from '../seeded-random.js';

const KILLS = 16;
/** tsx's loader by absolute URL: the children run in the temporary project, outside node_modules' reach. */
const TSX = pathToFileURL(
  join(__dirname, '..', '..', 'node_modules', 'tsx', 'dist', 'loader.mjs'),
).href;
const SEED = 0x5eed;

function isAncestor(dir: string, older: string, newer: string): boolean {
  try {
    git(dir, 'merge-base', '--is-ancestor', older, newer);
    return true;
  } catch {
    return false;
  }
}

let root: string;
beforeEach(() => {
  root = tempDir('agent-canary-crash-');
});
afterEach(() => removeDir(root));

describe('crash recovery', () => {
  it(`recovers from ${KILLS} kills at random points: the next operation succeeds, fsck is clean, nothing committed is lost`, async () => {
    const project = join(root, 'project');
    writeProject(project, [
      { namespace: 'team-a', name: 'bot' },
      { namespace: 'team-a', name: 'other', weight: 5 },
    ]);
    const served = join(root, 'served');
    mkdirSync(served);
    const bare = bareRemote(served);
    const daemon = await startGitDaemon(served);
    onTestFinished(() => daemon.stop());
    const wt = join(root, 'work');
    git(root, 'clone', '-q', daemon.url('remote.git'), wt);
    await synthToRepo(await GitRepo.open(wt), { projectDir: project });
    const ref = { namespace: 'team-a', name: 'bot' };
    const rand = seededRandom(SEED);
    const landed: string[] = [];
    for (let i = 0; i < KILLS; i++) {
      const localBefore = git(wt, 'rev-parse', 'HEAD');
      const remoteBefore = git(bare, 'rev-parse', 'main');
      const child = spawn(
        process.execPath,
        [
          '--import',
          TSX,
          join(__dirname, 'crash-child.ts'),
          wt,
          'team-a/bot',
          String(Math.floor(rand() * 6)),
        ],
        {
          cwd: project,
          detached: true,
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      const exited = new Promise((r) => child.once('exit', r));
      let current = '';
      const lines = createInterface({ input: child.stdout! });
      await new Promise<void>((resolve, reject) => {
        lines.on('line', (l) => {
          current = l;
          resolve();
        });
        child.once('exit', (code) =>
          reject(new Error(`the CLI child exited (${code}) before its first operation`)),
        );
      });
      // Somewhere in the next few operations (modules are loaded by now; an operation takes
      // 0.1-1 s here), then SIGKILL the process alone or its whole group with git.
      await new Promise((r) => setTimeout(r, Math.floor(rand() * 2500)));
      const group = rand() < 0.5;
      process.kill(group ? -child.pid! : child.pid!, 'SIGKILL');
      await exited;
      landed.push(`${current.replace(/^begin \d+ /, '')}${group ? ' (group)' : ''}`);

      // The next operations, as a new process would run them (the killed lease expires in 2 s).
      const repo = await GitRepo.open(wt, { lockStaleMs: 2000, lockTimeoutMs: 120_000 });
      const ops = gitopsFor(repo);
      await ops.rollback(ref);
      // A model no earlier run used: a kill after the child's promote leaves gpt-4.1-nano (or an
      // earlier iteration's model) as the stable one, and a start identical to stable is refused.
      const started = await ops.start(ref, { modelId: `gpt-4.1-kill-${i}` });
      expect(started.changed).toBe(true);
      expect(started.pushed).toBe(true);
      expect(git(wt, 'status', '--porcelain')).toBe('');
      git(wt, 'fsck', '--no-progress');
      git(bare, 'fsck', '--no-progress');
      expect(isAncestor(wt, localBefore, 'HEAD')).toBe(true);
      expect(isAncestor(bare, remoteBefore, 'main')).toBe(true);
      expect(git(bare, 'rev-parse', 'main')).toBe(git(wt, 'rev-parse', 'HEAD'));
    }
    // Where the kills landed, for whoever reads a failure.
    console.info(`crash test kills landed in: ${landed.join(', ')}`);
  }, 900_000);
});
