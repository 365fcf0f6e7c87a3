/**
 * A manual blue-green challenger under the advance guard (what `canary weight 100`, `canary
 * promote` and the API ask) and the autopilot: the switch 0 -> 100 waits `switchHold` (the
 * policy's first step's hold) from the commit that started the challenger, like a step hold, and
 * the quality gate must pass; after the switch, promotion waits `switchHold` again, from the
 * switch commit. Real Git and the MLflow stand-in; the clock is injected; no traffic checks (no
 * Prometheus given: the manual paths record "traffic not checked").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Assessor } from '../../src/autopilot/assess.js';
import { Autopilot } from '../../src/autopilot/autopilot.js';
import { QualityJudge } from '../../src/autopilot/quality.js';
import { TrafficChecker } from '../../src/autopilot/traffic.js';
import { cliGuard } from '../../src/autopilot/wiring.js';
import { QualityEngine } from '../../src/gate/engine.js';
import { createSource } from '../../src/mlflow/source.js';
import { guardedPromote, guardedSetWeight } from '../../src/gitops/advance-guard.js';
import { defaultEngine } from '../../src/gitops/default-engine.js';
import { GitOpsError } from '../../src/gitops/errors.js';
import { GitOps } from '../../src/gitops/operations.js';
import { commitTime, events, git, mlflowDb, seeded, trailers } from './fixtures.js';

const NS = 'team-bg';
const BG = '  strategy: blue-green\n';
// switchHold = the first step's hold: 3m here (the other holds must not matter).
const HOLDS = ['3m', '7m', '8m', '9m'];
const MIN = 60_000;

let root: string;
let db: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'agent-canary-bluegreen-'));
  db = join(root, 'mlflow.db');
  mlflowDb(db, [
    { name: 'blue', good: true },
    { name: 'green', good: true },
    { name: 'murky', good: false },
  ]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const opts = { via: 'canary weight (test)', forceHint: '--force --reason TEXT' };

async function refused(p: Promise<unknown>): Promise<GitOpsError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitOpsError);
  expect((err as GitOpsError).kind).toBe('refused');
  return err as GitOpsError;
}

async function world(name: string): Promise<{ dir: string; gitops: GitOps }> {
  const base = join(root, name);
  const repo = await seeded(
    base,
    [{ namespace: NS, name, weight: 0, rollout: BG }],
    join(base, 'gitops'),
    HOLDS,
  );
  return {
    dir: repo.dir,
    gitops: new GitOps(repo, { engine: defaultEngine({ validate: false }) }),
  };
}

describe('blue-green (manual): the switch waits switchHold like a step hold', () => {
  it('refuses the 0 -> 100 switch before switchHold, switches after it with the evidence, then holds promotion as long again', async () => {
    const { dir, gitops } = await world('blue');
    const ref = { namespace: NS, name: 'blue' };
    let now = commitTime(dir) + 3 * MIN - 1000;
    const guard = cliGuard({ mlflow: `sqlite:///${db}`, clock: () => now });
    const head = git(dir, 'rev-parse', 'HEAD');
    const early = await refused(guardedSetWeight(gitops, guard, ref, 100, opts));
    expect(early.message).toMatch(
      /weight 0% -> 100% refused: the 0% step holds 3m; .* before 100%/,
    );
    expect(early.message).toMatch(/--force --reason TEXT/);
    expect(git(dir, 'rev-parse', 'HEAD')).toBe(head);

    now = commitTime(dir) + 3 * MIN + 1000;
    const on = await guardedSetWeight(gitops, guard, ref, 100, opts);
    expect(on.changed).toBe(true);
    expect(events(dir)[0]).toBe(`AgentCanaryWeightChanged ${NS}/blue 0->100`);
    const t = trailers(dir);
    expect(t['Agent-Canary-Hold']).toMatch(/^3m at 0%, held 3m1s since /);
    expect(t['Agent-Canary-Verdict']).toBe('pass');
    expect(t['Agent-Canary-Checks']).toMatch(/traffic not checked/);

    // Switched: promotion waits switchHold from the switch commit (not the last canary step's 9m).
    const switchedAt = commitTime(dir);
    now = switchedAt + 2 * MIN;
    const soon = await refused(
      guardedPromote(gitops, guard, ref, { ...opts, via: 'canary promote (test)' }),
    );
    expect(soon.message).toMatch(/promotion refused: the 100% step holds 3m; .* before promotion/);
    now = switchedAt + 3 * MIN + 1000;
    const promoted = await guardedPromote(gitops, guard, ref, {
      ...opts,
      via: 'canary promote (test)',
    });
    expect(promoted.changed).toBe(true);
    expect(events(dir)[0]).toBe(`AgentCanaryPromoted ${NS}/blue 100->100`);
  });

  it('promotion from 0 % is refused unforced (switch first); the switch is refused when the gate fails; backing down is never asked', async () => {
    const { dir, gitops } = await world('murky');
    const ref = { namespace: NS, name: 'murky' };
    let now = commitTime(dir) + 10 * MIN;
    const guard = cliGuard({ mlflow: `sqlite:///${db}`, clock: () => now });
    const skip = await refused(guardedPromote(gitops, guard, ref, opts));
    expect(skip.message).toMatch(
      /promotion comes after the policy's last step \(100\), and the canary is at 0%.*move it to 100% first/,
    );
    const gated = await refused(guardedSetWeight(gitops, guard, ref, 100, opts));
    expect(gated.message).toMatch(/the canary failed its checks: Quality gate failed/);
    // Forced: recorded; then switching back (down) needs no approval even right away.
    const forced = await guardedSetWeight(gitops, guard, ref, 100, {
      ...opts,
      force: 'on-call approved',
    });
    expect(forced.changed).toBe(true);
    expect(trailers(dir)['Agent-Canary-Forced']).toBe('on-call approved');
    now = commitTime(dir);
    const back = await guardedSetWeight(gitops, guard, ref, 0, opts);
    expect(back.changed).toBe(true);
    expect(events(dir)[0]).toBe(`AgentCanaryWeightChanged ${NS}/murky 100->0`);
  });

  it('the autopilot promotes a switched challenger only after switchHold from the switch commit', async () => {
    const { dir, gitops } = await world('green');
    const ref = { namespace: NS, name: 'green' };
    let now = commitTime(dir) + 3 * MIN + 1000;
    await guardedSetWeight(
      gitops,
      cliGuard({ mlflow: `sqlite:///${db}`, clock: () => now }),
      ref,
      100,
      opts,
    );
    const switchedAt = commitTime(dir);
    const autopilot = new Autopilot({
      gitops,
      assessor: new Assessor({
        judge: new QualityJudge(
          new QualityEngine({ source: createSource({ uri: `sqlite:///${db}` }) }),
        ),
        traffic: new TrafficChecker({ disabled: 'skip' }),
        clock: () => now,
      }),
      decidedBy: 'autopilot (test)',
    });
    now = switchedAt + 3 * MIN - 1000;
    const early = await autopilot.pass();
    expect(early.commits).toBe(0);
    expect(early.entries[0]!.detail).toMatch(/the 100% step holds 3m; .* before promotion/);
    now = switchedAt + 3 * MIN + 1000;
    const r = await autopilot.pass();
    expect(r.entries[0]).toMatchObject({ action: 'promote' });
    expect(events(dir)[0]).toBe(`AgentCanaryPromoted ${NS}/green 100->100`);
    expect(trailers(dir)['Agent-Canary-Hold']).toMatch(/^3m at 100%, held 3m1s since /);
  });
});
