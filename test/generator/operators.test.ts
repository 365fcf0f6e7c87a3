/** What operators look at: Argo CD health checks (run as Lua) and the Grafana dashboard per namespace. */
import { describe, expect, it } from 'vitest';
import { synthesize } from '../../src/synth/synthesize.js';
import { AGENT_HEALTH_KEY, CANARY_HEALTH_KEY } from '../../constructs/argocd-health.js';
import { queries } from '../../constructs/metric-templates.js';
import { fleetAgent, gatewayRefs, policies } from './_fixtures.js';
import { runHealth } from './_lua.js';

const fleet = [
  fleetAgent({ namespace: 'team-a', name: 'alpha' }),
  fleetAgent({ namespace: 'team-a', name: 'beta', rollout: { mode: 'progressive' } }),
  fleetAgent({
    namespace: 'team-b',
    name: 'gamma',
    rollout: { routing: 'gateway-api', gatewayRefs },
  }),
];
const manifests = synthesize(fleet, { policies: policies() });
const at = (path: string) => manifests.find((m) => m.path === path)!.object as any;

describe('Argo CD health checks (argocd-cm resource customizations)', () => {
  const cm = at('argocd/ConfigMap.argocd-cm.yaml');
  const canary = (status?: unknown) =>
    runHealth(cm.data[CANARY_HEALTH_KEY], { kind: 'Canary', ...(status ? { status } : {}) });
  const agent = (status?: unknown) =>
    runHealth(cm.data[AGENT_HEALTH_KEY], { kind: 'Agent', ...(status ? { status } : {}) });

  it('only the two health keys, applied server-side so the rest of argocd-cm is left alone', () => {
    expect(Object.keys(cm.data).sort()).toEqual([AGENT_HEALTH_KEY, CANARY_HEALTH_KEY]);
    expect(cm.metadata).toMatchObject({
      name: 'argocd-cm',
      namespace: 'argocd',
      annotations: { 'argocd.argoproj.io/sync-options': 'ServerSideApply=true' },
    });
  });

  it('Canary: phases map to Argo CD health, with weight, checks and conditions in the message', () => {
    expect(canary()).toEqual({
      status: 'Progressing',
      message: 'Waiting for Flagger to initialize the canary',
    });
    expect(canary({ phase: 'Initialized', canaryWeight: 0 }).status).toBe('Healthy');
    expect(canary({ phase: 'Succeeded' }).status).toBe('Healthy');
    expect(
      canary({
        phase: 'Progressing',
        canaryWeight: 25,
        failedChecks: 1,
        conditions: [{ message: 'New revision detected' }],
      }),
    ).toEqual({
      status: 'Progressing',
      message: 'Progressing: canary weight 25%; failed checks 1; New revision detected',
    });
    expect(canary({ phase: 'WaitingPromotion', canaryWeight: 50 }).status).toBe('Suspended');
    expect(canary({ phase: 'Waiting' }).status).toBe('Suspended');
    expect(
      canary({ phase: 'Failed', conditions: [{ message: 'Canary analysis failed' }] }),
    ).toEqual({ status: 'Degraded', message: 'Failed: Canary analysis failed' });
    expect(canary({ phase: 'Something' }).status).toBe('Unknown');
  });

  it('Agent: Running/Pending/Failed/Terminated, a False condition degrades, no status is healthy (no operator)', () => {
    expect(agent().status).toBe('Healthy');
    expect(agent({ phase: 'Running', replicas: 2 })).toEqual({
      status: 'Healthy',
      message: 'Running, 2 replicas',
    });
    expect(
      agent({
        phase: 'Running',
        conditions: [
          { type: 'Ready', status: 'False', reason: 'ImagePull', message: 'pull failed' },
        ],
      }),
    ).toEqual({ status: 'Degraded', message: 'Running: Ready is False (ImagePull): pull failed' });
    expect(agent({ phase: 'Pending' }).status).toBe('Progressing');
    expect(agent({ phase: 'Failed' }).status).toBe('Degraded');
    expect(agent({ phase: 'Terminated' }).status).toBe('Suspended');
  });
});

/** `metric{selector}` parts of a PromQL expression. */
const selectors = (q: string) => new Set(q.match(/[a-z_]+\{[^}]*\}/g) ?? []);

function balanced(q: string): boolean {
  let depth = 0;
  for (const ch of q) {
    if (ch === '(') depth++;
    if (ch === ')' && --depth < 0) return false;
  }
  return depth === 0;
}

describe('Grafana dashboard per namespace', () => {
  const dash = (ns: string) => {
    const cm = at(`${ns}/ConfigMap.agent-canary-dashboard.yaml`);
    return { cm, model: JSON.parse(cm.data[`agent-canary-${ns}.json`]) };
  };

  it('one ConfigMap per agent namespace with the sidecar label, listing that namespace agents', () => {
    expect(
      manifests
        .filter((m) => m.path.endsWith('ConfigMap.agent-canary-dashboard.yaml'))
        .map((m) => m.path),
    ).toEqual([
      'team-a/ConfigMap.agent-canary-dashboard.yaml',
      'team-b/ConfigMap.agent-canary-dashboard.yaml',
    ]);
    const { cm, model } = dash('team-a');
    expect(cm.metadata.labels.grafana_dashboard).toBe('1');
    expect(
      model.templating.list.find((v: any) => v.name === 'agent').options.map((o: any) => o.value),
    ).toEqual(['alpha', 'beta']);
  });

  it('has the release plan panels', () => {
    const titles = dash('team-a').model.panels.map((p: any) => p.title);
    for (const t of [
      'Traffic split',
      'Error rate (5xx), canary vs stable',
      'Latency p99, canary vs stable',
      'Rollout progress (Flagger weight and status)',
      'Quality gate verdicts',
    ]) {
      expect(titles).toContain(t);
    }
  });

  it('reads the same metrics with the same selectors as the MetricTemplates, per workload', () => {
    for (const [ns, source] of [
      ['team-a', 'istio'],
      ['team-b', 'app'],
    ] as const) {
      const panels = dash(ns).model.panels.filter((p: any) => p.type === 'timeseries');
      const q = queries({ source });
      const fill = (t: string) =>
        t
          .replaceAll('{{ namespace }}', ns)
          .replaceAll('"{{ target }}"', '~"$agent(-canary|-primary)?"')
          .replaceAll('{{ target }}-', '$agent(-canary|-primary)?-');
      const byTitle = (t: string) =>
        panels.find((p: any) => p.title.startsWith(t)).targets[0].expr as string;
      expect(selectors(byTitle('Error rate'))).toEqual(selectors(fill(q['error-rate'])));
      expect(selectors(byTitle('Latency p99'))).toEqual(selectors(fill(q['request-duration'])));
      expect(selectors(byTitle('Success rate'))).toEqual(
        selectors(fill(q['request-success-rate'])),
      );
      for (const p of panels)
        for (const t of p.targets) expect(balanced(t.expr), t.expr).toBe(true);
      expect(byTitle('Latency p99')).toContain(
        source === 'istio' ? 'by (le, destination_workload)' : 'by (le, workload)',
      );
    }
  });
});
