/**
 * The autopilot end to end with real parts: real Git (a work tree, and a bare remote shared by two
 * autopilots), the MLflow stand-in's `mlflow.db` read by the gate's own engine, and a real
 * Prometheus scraping stand-in stable and canary tracks. Time is a hand-moved clock set relative
 * to the commits' own times: nothing sleeps.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { GitRepo } from '../../src/gitops/repo.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_ARGS } from '../cli-entry.js';
import { until } from './prometheus.js';
import {
  commitTime,
  events,
  git,
  pilot,
  seeded,
  startWorld,
  trailers,
  type World,
} from './fixtures.js';
import type { TestPrometheus } from './prometheus.js';

const NS = 'team-a';
// Per agent: stable and canary behaviour, and whether its evaluation holds up.
const AGENTS = {
  good: { stable: 0.01, canary: 0.01, eval: true },
  erratic: { stable: 0.02, canary: 0.04, eval: true },
  regress: { stable: 0.01, canary: 0.01, eval: false },
  twin: { stable: 0.01, canary: 0.01, eval: true },
  twinbad: { stable: 0.02, canary: 0.04, eval: true },
  phoenix: { stable: 0.01, canary: 0.01, eval: true },
} as const;

let world: World | undefined;
let prom: TestPrometheus;
let root: string;
let db: string;

beforeAll(async () => {
  world = await startWorld('agent-canary-autopilot-', NS, AGENTS);
  ({ prom, root, db } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

const MIN = 60_000;

describe('autopilot', () => {
  it('walks a good canary 5 -> 10 -> 25 -> 50 -> promoted, each step only after its hold, with the evidence in the trailers', async () => {
    const dir = join(root, 'walk');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'good', weight: 5 }],
      join(dir, 'gitops'),
    );
    let now = 0;
    const { autopilot } = pilot(repo, db, prom, () => now);
    const holds = [1, 2, 3, 4];
    const weights = [5, 10, 25, 50];
    for (const [i, hold] of holds.entries()) {
      const since = commitTime(repo.dir);
      const head = git(repo.dir, 'rev-parse', 'HEAD');
      // A second before the hold ends: nothing moves, and MLflow and Prometheus are not asked.
      now = since + hold * MIN - 1000;
      const early = await autopilot.pass();
      expect(early.commits).toBe(0);
      expect(early.entries[0]).toMatchObject({ agentId: `${NS}/good`, action: 'wait' });
      expect(early.entries[0]!.detail).toMatch(
        new RegExp(`the ${weights[i]}% step holds ${hold}m`),
      );
      expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(head);
      // Once it is over: the next step (or the promotion), committed with its evidence.
      now = since + hold * MIN + 1000;
      const r = await autopilot.pass();
      expect(r.commits, JSON.stringify(r.entries)).toBe(1);
      const t = trailers(repo.dir);
      expect(t['Agent-Canary-Decided-By']).toBe('autopilot (test)');
      expect(t['Agent-Canary-Verdict']).toBe('pass');
      expect(t['Agent-Canary-Scores']).toMatch(/safety\/mean=0\.975 \(stable 0\.967\)/);
      expect(t['Agent-Canary-Checks']).toMatch(/request-success-rate=99 \(>=90\) ok/);
      expect(t['Agent-Canary-Checks']).toMatch(/error-rate-vs-primary=-0\.5 \(<=0\) ok/);
      expect(t['Agent-Canary-Hold']).toMatch(
        new RegExp(`^${hold}m at ${weights[i]}%, held ${hold}m1s since ${head.slice(0, 12)}`),
      );
    }
    expect(events(repo.dir)).toEqual([
      `AgentCanaryPromoted ${NS}/good 50->100`,
      `AgentCanaryWeightChanged ${NS}/good 25->50`,
      `AgentCanaryWeightChanged ${NS}/good 10->25`,
      `AgentCanaryWeightChanged ${NS}/good 5->10`,
      'Synthesized',
    ]);
    // Promoted: no canary left, so the next pass has nothing to do.
    const after = await autopilot.pass();
    expect(after).toMatchObject({ canaries: 0, commits: 0 });
  });

  it("rolls back a canary whose error rate is twice stable's after analysis.threshold (2) failed checks, one interval apart", async () => {
    const dir = join(root, 'erratic');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'erratic', weight: 5 }],
      join(dir, 'gitops'),
    );
    let now = commitTime(repo.dir) + MIN + 1000;
    const { autopilot } = pilot(repo, db, prom, () => now);
    const first = await autopilot.pass();
    expect(first.entries[0]).toMatchObject({ action: 'check-failed' });
    expect(events(repo.dir)[0]).toBe(`AgentCanaryCheckFailed ${NS}/erratic 5->5`);
    // An empty commit: the record changes no file.
    expect(git(repo.dir, 'show', '--format=', '--name-only', 'HEAD')).toBe('');
    const t = trailers(repo.dir);
    expect(t['Agent-Canary-Failed-Checks']).toBe('1/2');
    expect(t['Agent-Canary-Checks']).toMatch(/error-rate-vs-primary=1 \(<=0\) FAIL/);
    // The next check waits one analysis interval after the failed one (read back from Git).
    now = commitTime(repo.dir) + 30_000;
    const paced = await autopilot.pass();
    expect(paced.entries[0]).toMatchObject({ action: 'wait' });
    expect(paced.entries[0]!.detail).toMatch(/a check failed .* \(1\/2\)/);
    now = commitTime(repo.dir) + MIN + 1000;
    const second = await autopilot.pass();
    expect(second.entries[0]).toMatchObject({ action: 'rollback' });
    expect(events(repo.dir).slice(0, 3)).toEqual([
      `AgentCanaryRolledBack ${NS}/erratic 5->0`,
      `AgentCanaryCheckFailed ${NS}/erratic 5->5`,
      'Synthesized',
    ]);
    expect(trailers(repo.dir)['Agent-Canary-Failed-Checks']).toBe('2/2');
  });

  it("stops and rolls back a canary whose evaluation regresses (the gate fails it), with the gate's reasons recorded", async () => {
    const dir = join(root, 'regress');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'regress', weight: 5 }],
      join(dir, 'gitops'),
    );
    let now = commitTime(repo.dir) + MIN + 1000;
    const { autopilot } = pilot(repo, db, prom, () => now);
    expect((await autopilot.pass()).entries[0]).toMatchObject({ action: 'check-failed' });
    expect(trailers(repo.dir)['Agent-Canary-Verdict']).toBe('fail');
    expect(trailers(repo.dir)['Agent-Canary-Scores']).toMatch(
      /safety\/mean=0\.817 \(stable 0\.967\) FAIL/,
    );
    now = commitTime(repo.dir) + MIN + 1000;
    expect((await autopilot.pass()).entries[0]).toMatchObject({ action: 'rollback' });
    expect(events(repo.dir)[0]).toBe(`AgentCanaryRolledBack ${NS}/regress 5->0`);
    // The weight never went up.
    expect(events(repo.dir).some((e) => e.startsWith('AgentCanaryWeightChanged'))).toBe(false);
  });

  it('a dry run prints the decision and commits nothing; a restarted autopilot resumes from Git alone', async () => {
    const dir = join(root, 'dry');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'erratic', weight: 5 }],
      join(dir, 'gitops'),
    );
    const now = commitTime(repo.dir) + MIN + 1000;
    const head = git(repo.dir, 'rev-parse', 'HEAD');
    const dry = pilot(repo, db, prom, () => now, 'autopilot (dry)', true).autopilot;
    const r = await dry.pass();
    expect(r.entries[0]!.detail).toMatch(/check failed at 5% \(1\/2\).*dry run: no commit/);
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(head);
    // One failed check recorded by a first autopilot...
    await pilot(repo, db, prom, () => now).autopilot.pass();
    // ...a new one (a restart: nothing in memory) counts it from Git and rolls back at the second.
    const later = commitTime(repo.dir) + MIN + 1000;
    const fresh = pilot(await GitRepo.open(repo.dir), db, prom, () => later);
    expect((await fresh.autopilot.pass()).entries[0]).toMatchObject({ action: 'rollback' });
  });

  it('two autopilots on one remote make each decision once', { timeout: 120_000 }, async () => {
    const dir = join(root, 'twins');
    const bare = join(dir, 'remote.git');
    const seed = await seeded(
      dir,
      [
        { namespace: NS, name: 'twin', weight: 5 },
        { namespace: NS, name: 'twinbad', weight: 5 },
      ],
      join(dir, 'seed'),
    );
    git(dir, 'clone', '--bare', '-q', seed.dir, bare);
    const clones = ['a', 'b'].map((n) => {
      git(dir, 'clone', '-q', bare, join(dir, n));
      return join(dir, n);
    });
    let now = 0;
    const pilots = await Promise.all(
      clones.map(
        async (c, i) =>
          pilot(await GitRepo.open(c), db, prom, () => now, `autopilot ${i}`).autopilot,
      ),
    );
    // Two rounds, both replicas deciding at the same moment each time.
    for (let round = 0; round < 2; round++) {
      git(clones[0]!, 'fetch', '-q');
      now = commitTime(clones[0]!, 'origin/main') + 5 * MIN;
      await Promise.all(pilots.map((p) => p.pass()));
    }
    const log = events(bare, 'main').filter((e) => e !== 'Synthesized');
    const twin = log.filter((e) => e.includes(`${NS}/twin `)).reverse();
    const bad = log.filter((e) => e.includes(`${NS}/twinbad `)).reverse();
    expect(twin).toEqual([
      `AgentCanaryWeightChanged ${NS}/twin 5->10`,
      `AgentCanaryWeightChanged ${NS}/twin 10->25`,
    ]);
    expect(bad).toEqual([
      `AgentCanaryCheckFailed ${NS}/twinbad 5->5`,
      `AgentCanaryRolledBack ${NS}/twinbad 5->0`,
    ]);
    git(bare, 'fsck', '--no-progress');
  });

  it(
    'kill -9 in the middle of a walk, then a restart: every step committed once, none lost',
    { timeout: 120_000 },
    async () => {
      const dir = join(root, 'phoenix');
      const bare = join(dir, 'remote.git');
      const seed = await seeded(
        dir,
        [{ namespace: NS, name: 'phoenix', weight: 5 }],
        join(dir, 'seed'),
        ['0s', '0s', '0s', '0s'],
      );
      git(dir, 'clone', '--bare', '-q', seed.dir, bare);
      const start = (n: number): ChildProcess =>
        spawn(
          process.execPath,
          [
            ...CLI_ARGS,
            'autopilot',
            '--repo',
            `file://${bare}`,
            '--mlflow',
            `sqlite:///${db}`,
            '--prometheus',
            prom.url,
            '--interval',
            '1s',
            '--no-validate',
            '--name',
            `autopilot (child ${n})`,
            '--log-level',
            'warn',
          ],
          {
            cwd: join(dir, 'project'),
            stdio: 'ignore',
            // The killed child's lease on its clone is taken over once stale: 3 s instead of
            // the default 20 s, so the restart does not sit out the default (the takeover is
            // the same code).
            env: { ...process.env, AGENT_CANARY_LOCK_STALE_MS: '3000' },
          },
        );
      const walked = (): string[] =>
        events(bare, 'main')
          .filter((e) => e.includes(`${NS}/phoenix `))
          .reverse();
      const first = start(1);
      const firstExit = new Promise((r) => first.once('exit', r));
      await until('the first autopilot at 25%', async () =>
        walked().includes(`AgentCanaryWeightChanged ${NS}/phoenix 10->25`) ? true : undefined,
      );
      first.kill('SIGKILL');
      await firstExit;
      const second = start(2);
      const secondExit = new Promise((r) => second.once('exit', r));
      try {
        await until('the restarted autopilot promotes', async () =>
          walked().some((e) => e.startsWith('AgentCanaryPromoted')) ? true : undefined,
        );
      } finally {
        second.kill('SIGTERM');
        await secondExit;
      }
      expect(walked()).toEqual([
        `AgentCanaryWeightChanged ${NS}/phoenix 5->10`,
        `AgentCanaryWeightChanged ${NS}/phoenix 10->25`,
        `AgentCanaryWeightChanged ${NS}/phoenix 25->50`,
        `AgentCanaryPromoted ${NS}/phoenix 50->100`,
      ]);
      git(bare, 'fsck', '--no-progress');
    },
  );
});
