/**
 * Promote and rollback of agents whose weight Flagger owns (rollout.mode progressive), on real
 * repositories: the target Deployment Flagger analyses, the gate metadata of the Canary and the
 * fleet file always name the same versions; a promote does not restart Flagger's analysis, a
 * rollback is a new revision of the stable spec. The HTTP API does the same.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { parseTrailers } from '../../src/gitops/events.js';
import { PROMOTION_ANNOTATION } from '../../src/gitops/progressive.js';
import { baselineVersion } from '../../constructs/_gate-metadata.js';
import type { AgentResource } from '../../src/fleet/types.js';
import { createListener } from '../../src/http/handler.js';
import { silentLogger } from '../../src/http/log.js';
import { createHttpServer } from '../../src/http/server.js';
import { gitopsFor, seededRepo } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

const roots: string[] = [];
afterEach(() => roots.splice(0).forEach(removeDir));

const FLOW = { namespace: 'team-b', name: 'flow' };

async function progressiveRepo() {
  const root = tempDir();
  roots.push(root);
  const { repo } = await seededRepo(root, [
    { namespace: 'team-b', name: 'flow', weight: 0, mode: 'progressive' },
    { namespace: 'team-a', name: 'bot', weight: 10 },
  ]);
  return { repo, ops: gitopsFor(repo) };
}

const read = (dir: string, rel: string) => readFileSync(join(dir, rel), 'utf8');
const obj = (dir: string, kind: string, name = 'flow') =>
  parse(read(dir, `dist/team-b/flow/${kind}.${name}.yaml`)) as Record<string, any>;

/** The versions every party reads: the fleet file, the target's pods, the gate's metadata. */
function versions(dir: string) {
  const fleet = parse(read(dir, 'fleet/team-b/flow.yaml')) as Record<string, any>;
  const hook = (obj(dir, 'Canary').spec.analysis.webhooks as any[]).find(
    (w) => w.name === 'quality-gate',
  );
  return {
    fleetStable: fleet.spec.version as string,
    fleetCanary: fleet.spec.canary?.version as string | undefined,
    baseline: fleet.metadata.annotations?.[PROMOTION_ANNOTATION] as string | undefined,
    target: obj(dir, 'ConfigMap', 'flow-config').data.RECIF_AGENT_VERSION as string,
    targetLabel: obj(dir, 'Deployment').spec.template.metadata.labels.version as string,
    gateCanary: hook.metadata.canaryVersion as string,
    gateStable: hook.metadata.stableVersion as string,
  };
}

const changedFiles = (dir: string) =>
  git(dir, 'show', '--name-only', '--format=', 'HEAD').split('\n').filter(Boolean).sort();

describe('progressive promote', () => {
  it('makes the challenger the target spec without a new revision; the gate keeps the baseline', async () => {
    const { repo, ops } = await progressiveRepo();
    const dir = repo.dir;
    const before = versions(dir);
    // While the canary runs, the target already renders the challenger.
    expect(before).toMatchObject({ target: '4', gateCanary: '4', gateStable: '3' });
    const deployment = read(dir, 'dist/team-b/flow/Deployment.flow.yaml');
    const canary = read(dir, 'dist/team-b/flow/Canary.flow.yaml');

    const o = await ops.promote(FLOW, { actor: 'alice' });
    expect(o).toMatchObject({ changed: true, event: 'AgentCanaryPromoted' });
    expect(o.detail).toContain('Flagger rolls it out under analysis');
    expect(o.status).toMatchObject({ enabled: false, stable_version: '4', mode: 'progressive' });

    // Same pod template and tracked ConfigMap: Flagger goes on with the analysis it runs, and the
    // gate metadata of that analysis still compares version 4 with version 3 (the primary).
    expect(changedFiles(dir)).toEqual([
      'dist/team-b/flow/Agent.flow.yaml',
      'fleet/team-b/flow.yaml',
    ]);
    expect(read(dir, 'dist/team-b/flow/Deployment.flow.yaml')).toBe(deployment);
    expect(read(dir, 'dist/team-b/flow/Canary.flow.yaml')).toBe(canary);
    expect(versions(dir)).toEqual({
      fleetStable: '4',
      fleetCanary: undefined,
      baseline: '3 -> 4',
      target: '4',
      targetLabel: '4',
      gateCanary: '4',
      gateStable: '3',
    });
    const fleet = parse(read(dir, 'fleet/team-b/flow.yaml'));
    expect(fleet.spec.modelId).toBe('gpt-4.1-mini');
    const message = git(dir, 'log', '-1', '--format=%B');
    expect(message).toContain('the quality gate keeps comparing version 4 with version 3');
    expect(parseTrailers(message)).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryPromoted',
      'Agent-Canary-Stable-Version': '4',
      'Agent-Canary-Actor': 'alice',
    });

    // Again: nothing to do. A rollback now has no canary to roll back either.
    const commits = commitCount(dir);
    expect((await ops.promote(FLOW)).changed).toBe(false);
    expect((await ops.rollback(FLOW)).changed).toBe(false);
    expect(commitCount(dir)).toBe(commits);

    // The next canary compares with the promoted version: the baseline annotation goes.
    const started = await ops.start(FLOW, { modelId: 'gpt-5-mini' });
    expect(started.status).toMatchObject({ canary_version: '5', stable_version: '4' });
    expect(versions(dir)).toEqual({
      fleetStable: '4',
      fleetCanary: '5',
      baseline: undefined,
      target: '5',
      targetLabel: '5',
      gateCanary: '5',
      gateStable: '4',
    });
    expect(read(dir, 'fleet/team-b/flow.yaml')).not.toContain('annotations:');
  });

  it('a challenger without a version: the version moves, so Flagger analyses a new revision', async () => {
    const { repo, ops } = await progressiveRepo();
    const dir = repo.dir;
    const file = join(dir, 'fleet/team-b/flow.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^ {4}version: "4"\n/m, ''));
    git(dir, 'commit', '-qam', 'challenger without a version');
    await ops.promote(FLOW);
    // The challenger ran as version 3 (the stable version, nothing set); promoted, it is 4 (the
    // next version): a new pod template for Flagger, judged as 4 against 3.
    expect(versions(dir)).toMatchObject({
      fleetStable: '4',
      baseline: '3 -> 4',
      target: '4',
      targetLabel: '4',
      gateCanary: '4',
      gateStable: '3',
    });
  });

  it('a manual agent gets no baseline annotation', async () => {
    const { repo, ops } = await progressiveRepo();
    await ops.promote({ namespace: 'team-a', name: 'bot' });
    expect(read(repo.dir, 'fleet/team-a/bot.yaml')).not.toContain(PROMOTION_ANNOTATION);
  });
});

describe('progressive rollback', () => {
  it('returns the target to the stable spec (a new revision for Flagger); the gate names it', async () => {
    const { repo, ops } = await progressiveRepo();
    const dir = repo.dir;
    const seedDeployment = git(dir, 'show', 'HEAD:dist/team-b/flow/Deployment.flow.yaml');
    const o = await ops.rollback(FLOW);
    expect(o.changed).toBe(true);
    expect(o.detail).toContain('sends all traffic back to the primary');
    expect(versions(dir)).toEqual({
      fleetStable: '3',
      fleetCanary: undefined,
      baseline: undefined,
      target: '3',
      targetLabel: '3',
      gateCanary: '3',
      gateStable: '3',
    });
    // The pod template changed (version 4 -> 3): Flagger restarts with all traffic on the primary.
    expect(read(dir, 'dist/team-b/flow/Deployment.flow.yaml')).not.toBe(seedDeployment);
    expect(changedFiles(dir)).toContain('dist/team-b/flow/Deployment.flow.yaml');
  });
});

describe('progressive promote and rollback over the HTTP API', () => {
  let server: Server | undefined;
  afterEach(
    () =>
      new Promise<void>((r) => {
        if (!server) return r();
        server.close(() => r());
        server.closeIdleConnections();
        server = undefined;
      }),
  );

  it('answers with the progressive semantics and commits the same files', async () => {
    const { repo, ops } = await progressiveRepo();
    const listener = createListener(
      gitopsRoutes({ gitops: ops, token: 't0ken', onError: () => undefined }),
      {
        logger: silentLogger,
      },
    );
    server = createHttpServer(listener, silentLogger);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/agents/team-b.flow/canary`;
    const post = (path: string) =>
      fetch(`${url}/${path}`, { method: 'POST', headers: { authorization: 'Bearer t0ken' } });
    const canary = read(repo.dir, 'dist/team-b/flow/Canary.flow.yaml');

    const promoted = await post('promote');
    expect(promoted.status).toBe(200);
    const body = (await promoted.json()) as Record<string, any>;
    expect(body).toMatchObject({ status: 'promoted', changed: true });
    expect(body.detail).toContain('Flagger rolls it out under analysis');
    expect(read(repo.dir, 'dist/team-b/flow/Canary.flow.yaml')).toBe(canary);
    expect(versions(repo.dir)).toMatchObject({ target: '4', gateCanary: '4', gateStable: '3' });

    // Start another challenger through the API, then roll it back: back to version 4 everywhere.
    const start = await fetch(url, {
      method: 'POST',
      headers: { authorization: 'Bearer t0ken', 'content-type': 'application/json' },
      body: JSON.stringify({ config: { modelId: 'gpt-5-mini' } }),
    });
    expect(start.status).toBe(200);
    const rolled = await post('rollback');
    expect(rolled.status).toBe(200);
    expect(versions(repo.dir)).toEqual({
      fleetStable: '4',
      fleetCanary: undefined,
      baseline: undefined,
      target: '4',
      targetLabel: '4',
      gateCanary: '4',
      gateStable: '4',
    });
  });
});

describe('the baseline the gate compares with (baselineVersion)', () => {
  const agent = (version: string, promotion?: string, canary = false): AgentResource => ({
    apiVersion: 'agents.recif.dev/v1',
    kind: 'Agent',
    metadata: {
      name: 'flow',
      namespace: 'team-b',
      ...(promotion !== undefined ? { annotations: { [PROMOTION_ANNOTATION]: promotion } } : {}),
    },
    spec: {
      name: 'flow',
      framework: 'corail',
      version,
      ...(canary ? { canary: { enabled: true, weight: 0, version: '5' } } : {}),
    },
  });

  it('is the version promoted over while the promoted version is still the spec', () => {
    expect(baselineVersion(agent('4', '3 -> 4'))).toBe('3');
  });

  it('is spec.version with a running canary, a stale or malformed annotation, or none', () => {
    expect(baselineVersion(agent('4', '3 -> 4', true))).toBe('4');
    // The version was edited by hand after the promote: the annotation no longer describes it.
    expect(baselineVersion(agent('9', '3 -> 4'))).toBe('9');
    expect(baselineVersion(agent('4', '3'))).toBe('4');
    expect(baselineVersion(agent('4', ''))).toBe('4');
    expect(baselineVersion(agent('4'))).toBe('4');
  });
});
