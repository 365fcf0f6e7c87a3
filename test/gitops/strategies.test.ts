/**
 * The canary operations for A/B and blue-green agents on a real repository (docs/gitops.md
 * "Strategies"): A/B starts at weight 0 and refuses weights, saying what to do instead; manual
 * blue-green starts at 0, switches 0 -> 100 and back, refuses partial weights; progressive
 * blue-green leaves the switch to Flagger. Refusals leave no commit.
 */
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTrailers } from '../../src/gitops/events.js';
import { GitOpsError } from '../../src/gitops/errors.js';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { createListener } from '../../src/http/handler.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/http/log.js';
import type { GitOps } from '../../src/gitops/operations.js';
import type { GitRepo } from '../../src/gitops/repo.js';
import { gitopsFor, seededRepo } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

const AB = '  strategy: ab\n  cohorts:\n    - { header: x-internal-user, values: ["true"] }\n';
const BG = '  strategy: blue-green\n';

let root: string;
let repo: GitRepo;
let ops: GitOps;

beforeAll(async () => {
  root = tempDir();
  ({ repo } = await seededRepo(root, [
    { namespace: 'team-a', name: 'ab', rollout: AB },
    { namespace: 'team-a', name: 'ab-run', weight: 0, rollout: AB },
    { namespace: 'team-a', name: 'bg', rollout: BG },
    { namespace: 'team-a', name: 'bg-run', weight: 0, rollout: BG },
    { namespace: 'team-b', name: 'bg-flow', mode: 'progressive', rollout: BG },
    { namespace: 'team-b', name: 'ab-flow', mode: 'progressive', rollout: AB },
    { namespace: 'team-b', name: 'ab-api', mode: 'progressive', weight: 0, rollout: AB },
  ]));
  ops = gitopsFor(repo);
});
afterAll(() => removeDir(root));

const dir = () => repo.dir;
const trailers = () => parseTrailers(git(dir(), 'log', '-1', '--format=%B', 'HEAD'));
const ref = (id: string) => {
  const [namespace, name] = id.split('/') as [string, string];
  return { namespace, name };
};
const load = (id: string, file: string) =>
  parse(readFileSync(join(dir(), 'dist', id, file), 'utf8'));

async function refusal(p: Promise<unknown>): Promise<GitOpsError> {
  const before = commitCount(dir());
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GitOpsError);
  expect(commitCount(dir())).toBe(before); // nothing half-written
  expect(git(dir(), 'status', '--porcelain')).toBe('');
  return err as GitOpsError;
}

describe('A/B', () => {
  it('start writes weight 0: the cohorts reach the challenger, nobody else', async () => {
    const o = await ops.start(ref('team-a/ab'), { modelId: 'gpt-4.1' });
    expect(o.changed).toBe(true);
    expect(o.status).toMatchObject({ enabled: true, weight: 0, canary_version: '4' });
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryStarted',
      'Agent-Canary-Weight-To': '0',
    });
    const vs = load('team-a/ab', 'VirtualService.ab.yaml');
    const cohort = vs.spec.http[0];
    expect(cohort.match).toEqual([{ headers: { 'x-internal-user': { exact: 'true' } } }]);
    expect(cohort.route.map((r: any) => [r.destination.subset, r.weight])).toEqual([
      ['canary', 100],
    ]);
  });

  it('a start with a weight is refused, naming the cohorts and the fix', async () => {
    const err = await refusal(ops.start(ref('team-a/ab'), { weight: 10, modelId: 'x' }));
    expect(err.kind).toBe('bad-request');
    expect(err.message).toContain('an A/B test has no weights');
    expect(err.message).toContain('header x-internal-user in [true]');
    expect(err.message).toContain('Fix: start without a weight');
  });

  it('weight is refused (409) with what to do instead, manual and progressive', async () => {
    const manual = await refusal(ops.setWeight(ref('team-a/ab-run'), 10));
    expect(manual.kind).toBe('conflict');
    expect(manual.message).toMatch(
      /uses strategy ab: only the cohorts \(header x-internal-user in \[true\]\) reach the challenger/,
    );
    expect(manual.message).toContain("'canary promote team-a/ab-run'");
    expect(manual.message).toContain('editing rollout.cohorts');
    await ops.start(ref('team-b/ab-flow'), { modelId: 'gpt-4.1' });
    const flow = await refusal(ops.setWeight(ref('team-b/ab-flow'), 10));
    expect(flow.message).toContain(
      'Flagger runs rollout.iterations checks on the requests of the cohorts',
    );
  });

  it('promote makes the challenger stable and removes the cohort route', async () => {
    const o = await ops.promote(ref('team-a/ab-run'));
    expect(o.changed).toBe(true);
    expect(o.status).toMatchObject({ enabled: false, stable_version: '4', weight: 0 });
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryPromoted',
      'Agent-Canary-Weight-From': '0',
      'Agent-Canary-Weight-To': '100',
    });
  });
});

describe('blue-green, manual', () => {
  it('start writes weight 0: the challenger is deployed and tested without traffic', async () => {
    const o = await ops.start(ref('team-a/bg'), { modelId: 'gpt-4.1' });
    expect(o.status).toMatchObject({ enabled: true, weight: 0 });
    const vs = load('team-a/bg', 'VirtualService.bg.yaml');
    const split = vs.spec.http.at(-1).route.map((r: any) => [r.destination.subset, r.weight]);
    expect(split).toEqual([
      ['stable', 100],
      ['canary', 0],
    ]);
  });

  it('a start at a weight is refused', async () => {
    const err = await refusal(ops.start(ref('team-a/bg'), { weight: 5, modelId: 'y' }));
    expect(err.message).toContain('blue-green release starts at 0 %');
    expect(err.details).toMatchObject({ field: 'config.weight', value: 5 });
  });

  it('weight 100 is the switch, weight 0 switches back; both keep the challenger deployed', async () => {
    const on = await ops.setWeight(ref('team-a/bg-run'), 100);
    expect(on.changed).toBe(true);
    expect(on.detail).toMatch(/^blue-green switch: all traffic to the challenger \(version 4\)/);
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryWeightChanged',
      'Agent-Canary-Weight-From': '0',
      'Agent-Canary-Weight-To': '100',
    });
    const split = (id: string, name: string) =>
      load(id, `VirtualService.${name}.yaml`)
        .spec.http.at(-1)
        .route.map((r: any) => [r.destination.subset, r.weight]);
    expect(split('team-a/bg-run', 'bg-run')).toEqual([
      ['stable', 0],
      ['canary', 100],
    ]);
    expect(
      readFileSync(join(dir(), 'dist/team-a/bg-run/Deployment.bg-run.yaml'), 'utf8'),
    ).toBeTruthy();
    const back = await ops.setWeight(ref('team-a/bg-run'), 0);
    expect(back.detail).toMatch(/^blue-green switch back: all traffic to stable/);
    expect(split('team-a/bg-run', 'bg-run')).toEqual([
      ['stable', 100],
      ['canary', 0],
    ]);
    expect(back.status).toMatchObject({ enabled: true, weight: 0 });
  });

  it('a partial weight is refused, naming the two allowed values', async () => {
    const err = await refusal(ops.setWeight(ref('team-a/bg-run'), 50));
    expect(err.kind).toBe('refused');
    expect(err.message).toContain('the weight is 0 (stable) or 100 (the challenger), never 50');
    expect(err.details).toMatchObject({ allowed: '0 or 100 (strategy blue-green)' });
  });

  it('rollback after the switch gives stable all traffic and removes the challenger', async () => {
    await ops.setWeight(ref('team-a/bg-run'), 100);
    const o = await ops.rollback(ref('team-a/bg-run'));
    expect(o).toMatchObject({ changed: true, weightFrom: 100, weightTo: 0 });
    expect(o.status.enabled).toBe(false);
  });
});

describe('blue-green, progressive', () => {
  it('start writes weight 0 and weight is refused: Flagger switches', async () => {
    const o = await ops.start(ref('team-b/bg-flow'), { modelId: 'gpt-4.1' });
    expect(o.status).toMatchObject({ enabled: true, weight: 0, mode: 'progressive' });
    const canary = load('team-b/bg-flow', 'Canary.bg-flow.yaml');
    expect(canary.spec.analysis.iterations).toBe(10);
    expect(canary.spec.analysis).not.toHaveProperty('stepWeights');
    const err = await refusal(ops.setWeight(ref('team-b/bg-flow'), 100));
    expect(err.message).toContain(
      'Flagger tests the challenger for rollout.iterations checks without traffic',
    );
  });
});

describe('the canary API', () => {
  it('answers a weight for an A/B agent with a 409 problem naming what to do instead', async () => {
    const listener = createListener(
      gitopsRoutes({ gitops: ops, token: 'tkn', onError: () => undefined }),
      { logger: silentLogger },
    );
    const server: Server = createHttpServer(listener, silentLogger);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const { port } = server.address() as AddressInfo;
      const before = commitCount(dir());
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/agents/team-b.ab-api/canary`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', authorization: 'Bearer tkn' },
        body: JSON.stringify({ weight: 25 }),
      });
      expect(res.status).toBe(409);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const problem = (await res.json()) as { type: string; detail: string; field: string };
      expect(problem.type).toBe('https://agent-canary.dev/problems/conflict');
      expect(problem.field).toBe('weight');
      expect(problem.detail).toContain('there is no percentage to set');
      expect(commitCount(dir())).toBe(before);
    } finally {
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      });
    }
  });
});
