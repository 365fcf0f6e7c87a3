/** Capacity: HPAs for stable and canary, canary size following its weight, a PDB per track, replicas never dropped silently. */
import { describe, expect, it } from 'vitest';
import { synthesize, synthesizeAgent } from '../../src/synth/synthesize.js';
import type { FleetAgent, RolloutSettings } from '../../src/fleet/types.js';
import { byKindName, fleetAgent, policies } from './_fixtures.js';

const opts = { policies: policies() };

function agent(weight: number, rollout: Partial<RolloutSettings>, replicas?: number): FleetAgent {
  const a = fleetAgent({
    canary: { enabled: true, weight, modelId: 'gpt-4.1-mini', version: '4' },
    rollout,
  });
  const spec = { ...a.agent.spec } as Record<string, unknown>;
  delete spec['replicas'];
  if (replicas !== undefined) spec['replicas'] = replicas;
  return { ...a, agent: { ...a.agent, spec: spec as unknown as FleetAgent['agent']['spec'] } };
}
const objs = (a: FleetAgent) => byKindName(synthesizeAgent(a, opts));

describe('manual mode', () => {
  const autoscaling = { minReplicas: 2, maxReplicas: 10, cpuUtilization: 70 };

  it('HPA for stable with the fleet bounds; the Deployments carry no replicas', () => {
    const o = objs(agent(10, { autoscaling }));
    expect(o.get('HorizontalPodAutoscaler/support-bot').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'support-bot' },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    });
    expect(o.get('Deployment/support-bot').spec).not.toHaveProperty('replicas');
    expect(o.get('Deployment/support-bot-canary').spec).not.toHaveProperty('replicas');
  });

  it('the canary HPA bounds follow its weight and never shrink as it grows', () => {
    let prev = { min: 0, max: 0 };
    const seen: [number, number, number][] = [];
    for (const w of [0, 5, 10, 25, 50, 100]) {
      const h = objs(agent(w, { autoscaling })).get(
        'HorizontalPodAutoscaler/support-bot-canary',
      ).spec;
      expect(h.scaleTargetRef.name).toBe('support-bot-canary');
      expect(h.minReplicas).toBeGreaterThanOrEqual(Math.max(1, prev.min));
      expect(h.maxReplicas).toBeGreaterThanOrEqual(Math.max(h.minReplicas, prev.max));
      prev = { min: h.minReplicas, max: h.maxReplicas };
      seen.push([w, h.minReplicas, h.maxReplicas]);
    }
    expect(seen).toEqual([
      [0, 1, 1],
      [5, 1, 1],
      [10, 1, 1],
      [25, 1, 3],
      [50, 1, 5],
      [100, 2, 10],
    ]);
  });

  it('without autoscaling the canary replicas follow its weight from stable replicas', () => {
    expect(
      [10, 25, 50, 100].map(
        (w) => objs(agent(w, {}, 4)).get('Deployment/support-bot-canary').spec.replicas,
      ),
    ).toEqual([1, 1, 2, 4]);
    expect(objs(agent(50, {}, 4)).get('Deployment/support-bot').spec.replicas).toBe(4);
  });

  it('one PodDisruptionBudget per track, selecting that track only', () => {
    const o = objs(agent(10, {}));
    expect(o.get('PodDisruptionBudget/support-bot').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: 'support-bot', version: 'stable' } },
    });
    expect(o.get('PodDisruptionBudget/support-bot-canary').spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: { app: 'support-bot', version: 'canary' } },
    });
    const noCanary = byKindName(synthesizeAgent(fleetAgent({ canary: null }), opts));
    expect([...noCanary.keys()].filter((k) => k.startsWith('PodDisruptionBudget/'))).toEqual([
      'PodDisruptionBudget/support-bot',
    ]);
  });
});

describe('progressive mode', () => {
  it('replicas become a fixed-size HPA the Canary names in autoscalerRef (never dropped)', () => {
    const o = objs(agent(0, { mode: 'progressive' }, 3));
    expect(o.get('HorizontalPodAutoscaler/support-bot').spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 3,
      scaleTargetRef: { name: 'support-bot' },
    });
    expect(o.get('Canary/support-bot').spec.autoscalerRef).toEqual({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      name: 'support-bot',
    });
    expect(o.get('Deployment/support-bot').spec).not.toHaveProperty('replicas');
  });

  it('autoscaling bounds go to the target HPA; without a size there is no HPA and no autoscalerRef', () => {
    const o = objs(
      agent(0, { mode: 'progressive', autoscaling: { minReplicas: 2, maxReplicas: 5 } }),
    );
    expect(o.get('HorizontalPodAutoscaler/support-bot').spec).toMatchObject({
      minReplicas: 2,
      maxReplicas: 5,
    });
    const bare = objs(agent(0, { mode: 'progressive' }));
    expect(bare.has('HorizontalPodAutoscaler/support-bot')).toBe(false);
    expect(bare.get('Canary/support-bot').spec).not.toHaveProperty('autoscalerRef');
  });

  it('PDBs for the primary pods (app <slug>-primary) and the canary target pods', () => {
    const o = objs(agent(0, { mode: 'progressive' }));
    expect(o.get('PodDisruptionBudget/support-bot-primary').spec.selector).toEqual({
      matchLabels: { app: 'support-bot-primary' },
    });
    expect(o.get('PodDisruptionBudget/support-bot').spec.selector).toEqual({
      matchLabels: { app: 'support-bot' },
    });
  });
});

describe('Argo CD ignores replicas only where a controller owns them', () => {
  const appOf = (agents: FleetAgent[], ns: string) =>
    synthesize(agents, opts).find((m) => m.path === `argocd/Application.agent-canary-${ns}.yaml`)!
      .object as { spec: Record<string, unknown> };

  it('fixed-size manual agents: no ignoreDifferences; HPA and Flagger targets: one entry each, by name', () => {
    expect(appOf([agent(10, {}, 2)], 'team-a').spec).not.toHaveProperty('ignoreDifferences');
    const hpa = agent(10, { autoscaling: { minReplicas: 2, maxReplicas: 4 } });
    const prog = {
      ...agent(0, { mode: 'progressive' }),
      id: 'team-a/triage',
      agent: {
        ...agent(0, { mode: 'progressive' }).agent,
        metadata: { name: 'triage', namespace: 'team-a' },
      },
    };
    expect(appOf([hpa, prog], 'team-a').spec['ignoreDifferences']).toEqual(
      ['support-bot', 'support-bot-canary', 'triage'].map((name) => ({
        group: 'apps',
        kind: 'Deployment',
        name,
        jsonPointers: ['/spec/replicas'],
      })),
    );
  });
});
