/**
 * The radar, scorecard and overview APIs over the example fleet in a real GitOps repository, with
 * known MLflow runs in the stand-in (REST) and a known Git history: canary operations made
 * through the operations (their trailers) and a commit with evidence trailers the operations do
 * not write (as the autopilot adds them), which must show up as they are. Unknown agent 404, no
 * repository 503, MLflow that cannot be reached 503 with its reason, a bad window 400: all
 * problem+json. Every describe seeds its own repository and store.
 */
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSource } from '../../src/mlflow/source.js';
import { startGateServer } from '../../src/gate/server.js';
import { dashboardRoutes } from '../../src/dashboard/routes.js';
import { silentLogger } from '../../src/http/log.js';
import { git, removeDir, tempDir } from '../gitops/git-helpers.js';
import {
  CANARY_RATES,
  evaluations,
  meanOf,
  SAMPLES,
  serve,
  STABLE_RATES,
  type Served,
} from './harness.js';

const HOUR = 3_600_000;

async function get(url: string): Promise<{ status: number; type: string; body: any }> {
  const res = await fetch(url);
  return {
    status: res.status,
    type: res.headers.get('content-type') ?? '',
    body: JSON.parse(await res.text()),
  };
}

async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('radar and scorecard over known Git history and MLflow runs', () => {
  let root: string;
  let served: Served;
  const t0 = Date.now() - 10 * HOUR;
  const later = Date.now() + 60_000;

  beforeAll(async () => {
    root = tempDir('agent-canary-dashboard-api-');
    served = await serve({
      root,
      experiments: [evaluations('support-bot', '3', '4', t0)],
      now: () => later,
    });
    const { gitops } = served;
    // support-bot: 10% -> 25% by alice; then a commit carrying evidence trailers only.
    const sb = await gitops.resolve('team-support/support-bot');
    await gitops.setWeight(sb, 25, { actor: 'alice' });
    git(
      served.repo.dir,
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      'autopilot: support-bot holds at 25%\n\nAgent-Canary-Agent: team-support/support-bot\nAgent-Canary-Verdict: pass\nAgent-Canary-Scores: safety/mean=0.98\nAgent-Canary-Decided-By: autopilot',
    );
    // research-assistant: rolled back, started again, promoted.
    const ra = await gitops.resolve('team-research/research-assistant');
    await gitops.rollback(ra, { actor: 'bob' });
    await gitops.start(ra, { modelId: 'challenger-model' }, { actor: 'bob' });
    await gitops.promote(ra, { actor: 'bob' });
  }, 180_000);

  afterAll(async () => {
    await served?.close();
    removeDir(root);
  });

  it('radar: canary and stable score series per metric, with the threshold', async () => {
    const r = await get(`${served.url}/api/v1/radar/team-support.support-bot`);
    expect(r.status).toBe(200);
    const d = r.body.data;
    expect(d).toMatchObject({
      agent_id: 'team-support/support-bot',
      mode: 'manual',
      enabled: true,
      weight: 25,
      stable_version: '3',
      canary_version: '4',
    });
    expect(d.policy.steps.map((s: any) => s.weight)).toEqual([5, 10, 25, 50]);
    const byMetric = new Map<string, any>(d.scores.map((s: any) => [s.metric, s]));
    expect([...byMetric.keys()].sort()).toEqual(['correctness/mean', 'safety/mean']);
    for (const key of ['safety', 'correctness'] as const) {
      const s = byMetric.get(`${key}/mean`);
      expect(s.direction).toBe('higher');
      expect(s.threshold).toBe(0.6);
      expect(s.stable.map((p: any) => p.value)).toEqual(
        STABLE_RATES.map((x) => meanOf(SAMPLES, x[key])),
      );
      expect(s.canary.map((p: any) => p.value)).toEqual(
        CANARY_RATES.map((x) => meanOf(SAMPLES, x[key])),
      );
      // Oldest first, at the runs' start times.
      expect(s.stable.map((p: any) => p.t)).toEqual([t0, t0 + HOUR, t0 + 2 * HOUR]);
      expect(s.canary.map((p: any) => p.t)).toEqual([t0 + 3 * HOUR, t0 + 4 * HOUR]);
    }
    // The gate's verdict now, by the webhook's engine.
    expect(d.verdict).toMatchObject({ passed: true, outcome: 'pass', mode: 'strict' });
  });

  it('radar: timeline and weights from the Git history, every Agent-Canary trailer kept', async () => {
    const d = (await get(`${served.url}/api/v1/radar/support-bot`)).body.data;
    const [evidence, weight] = d.timeline;
    expect(evidence.trailers).toEqual({
      agent: 'team-support/support-bot',
      verdict: 'pass',
      scores: 'safety/mean=0.98',
      'decided-by': 'autopilot',
    });
    expect(weight).toMatchObject({
      event: 'AgentCanaryWeightChanged',
      weight_from: 10,
      weight_to: 25,
    });
    expect(weight.trailers.actor).toMatch(/^alice/);
    expect(d.verdicts).toHaveLength(1);
    expect(d.verdicts[0].trailers.verdict).toBe('pass');
    // Weight history: 10 before the move, 25 after, 25 now.
    expect(d.weights.map((w: any) => w.weight)).toEqual([10, 25, 25]);
    expect(d.weights[1].sha).toBe(weight.sha);
  });

  it('scorecard: a clean canary grades A with the facts behind it', async () => {
    const r = await get(`${served.url}/api/v1/governance/scorecards/team-support.support-bot`);
    expect(r.status).toBe(200);
    const d = r.body.data;
    expect(d.grade).toBe('A');
    expect(d.reasons).toEqual([]);
    expect(d.validation).toMatchObject({ valid: true, errors: [] });
    expect(d.gate).toMatchObject({ pass_rate: 1, judged: 1, passed: 1 });
    expect(d.gate.releases[0]).toMatchObject({ canary_version: '4', outcome: 'pass' });
    expect(d.promotions).toBe(0);
    expect(d.rollbacks).toBe(0);
    expect(d.steps.map((s: any) => s.weight)).toEqual([25]);
    expect(d.steps[0].ms).toBeGreaterThan(0);
    expect(d.window.duration).toBe('30d');
  });

  it('scorecard: a rollback and an unevaluated release cap the grade, each with its reason', async () => {
    const d = (
      await get(
        `${served.url}/api/v1/governance/scorecards/team-research.research-assistant?window=7d`,
      )
    ).body.data;
    expect(d.promotions).toBe(1);
    expect(d.rollbacks).toBe(1);
    expect(d.gate).toMatchObject({ judged: 1, passed: 0, pass_rate: 0 });
    expect(d.gate.releases[0].outcome).toBe('no-data');
    expect(d.grade).toBe('D');
    expect(d.reasons.map((x: any) => [x.rule, x.cap])).toEqual([
      ['pass-rate', 'D'],
      ['rollbacks', 'B'],
    ]);
  });

  it('overview: every agent of the example fleet with mode, weight, versions, last verdict', async () => {
    const r = await get(`${served.url}/api/v1/dashboard/agents`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(4);
    const rows = new Map<string, any>(r.body.data.map((x: any) => [x.id, x]));
    expect([...rows.keys()]).toEqual([
      'team-research/research-assistant',
      'team-research/summarizer',
      'team-support/support-bot',
      'team-support/triage-agent',
    ]);
    expect(rows.get('team-support/support-bot')).toMatchObject({
      mode: 'manual',
      weight: 25,
      stable_version: '3',
      canary_version: '4',
      steps: [5, 10, 25, 50],
      last_verdict: { verdict: 'pass' },
      last_event: { event: 'AgentCanaryWeightChanged' },
    });
    expect(rows.get('team-support/support-bot').time_in_step_ms).toBeGreaterThan(0);
    expect(rows.get('team-research/research-assistant')).toMatchObject({
      enabled: false,
      weight: 0,
      last_event: { event: 'AgentCanaryPromoted' },
    });
    const page = await get(`${served.url}/api/v1/dashboard/agents?offset=1&limit=2&q=team-`);
    expect(page.body).toMatchObject({ total: 4, offset: 1, limit: 2 });
    expect(page.body.data.map((x: any) => x.id)).toEqual([
      'team-research/summarizer',
      'team-support/support-bot',
    ]);
  });

  it('unknown agent is a 404 problem; a bad window or page is a 400 naming the field', async () => {
    for (const path of ['/api/v1/radar/team-x.nobody', '/api/v1/governance/scorecards/nobody']) {
      const r = await get(`${served.url}${path}`);
      expect(r.status).toBe(404);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.type).toBe('https://agent-canary.dev/problems/not-found');
    }
    const w = await get(`${served.url}/api/v1/governance/scorecards/support-bot?window=forever`);
    expect(w.status).toBe(400);
    expect(w.body.field).toBe('window');
    const l = await get(`${served.url}/api/v1/dashboard/agents?limit=-1`);
    expect(l.status).toBe(400);
    expect(l.body.field).toBe('limit');
  });

  it('serves the page and its assets from the package, with a same-origin CSP', async () => {
    const page = await fetch(`${served.url}/dashboard/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    const scripts = [...html.matchAll(/<script[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src).not.toMatch(/^(https?:)?\/\//);
      const js = await fetch(new URL(src, `${served.url}/dashboard/`));
      expect(js.status).toBe(200);
      const etag = js.headers.get('etag')!;
      const again = await fetch(new URL(src, `${served.url}/dashboard/`), {
        headers: { 'if-none-match': etag },
      });
      expect(again.status).toBe(304);
    }
    expect((await fetch(`${served.url}/dashboard/..%2Fpackage.json`)).status).toBe(404);
    const bare = await fetch(`${served.url}/dashboard`, { redirect: 'manual' });
    expect(bare.status).toBe(308);
    expect(bare.headers.get('location')).toBe('/dashboard/');
  });
});

describe('when MLflow or the repository cannot be read', () => {
  let root: string;
  let served: Served;

  beforeAll(async () => {
    root = tempDir('agent-canary-dashboard-down-');
    served = await serve({
      root,
      experiments: [],
      source: createSource({
        uri: `http://127.0.0.1:${await closedPort()}`,
        retries: 0,
        callTimeoutMs: 2000,
      }),
    });
  });

  afterAll(async () => {
    await served?.close();
    removeDir(root);
  });

  it('radar and scorecard answer 503 problem+json with the reason', async () => {
    for (const path of ['/api/v1/radar/support-bot', '/api/v1/governance/scorecards/support-bot']) {
      const r = await get(`${served.url}${path}`);
      expect(r.status, path).toBe(503);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(r.body.type).toBe('https://agent-canary.dev/problems/service-unavailable');
      expect(r.body.reason).toMatch(/connect|refused|ECONNREFUSED/i);
      expect(r.body.detail).toContain('MLflow cannot be read');
    }
    // The overview reads Git only: it still answers.
    expect((await get(`${served.url}/api/v1/dashboard/agents`)).status).toBe(200);
  });

  it('without a repository every dashboard API route answers 503', async () => {
    const gate = await startGateServer({
      logger: silentLogger,
      source: served.gate.source,
      routes: ({ engine }) => dashboardRoutes({ engine }),
    });
    try {
      for (const path of [
        '/api/v1/radar/support-bot',
        '/api/v1/governance/scorecards/support-bot',
        '/api/v1/dashboard/agents',
      ]) {
        const r = await get(`${gate.url}${path}`);
        expect(r.status).toBe(503);
        expect(r.body.type).toBe('https://agent-canary.dev/problems/unavailable');
      }
    } finally {
      await gate.close();
    }
  });
});
