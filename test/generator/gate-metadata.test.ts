/** The quality-gate and step-hold webhook metadata: the contract the gate reads (docs/design.md). */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { byKindName, fleetAgent, policies, policySpec } from './_fixtures.js';

const progressive = byKindName(
  synthesizeAgent(fleetAgent({ rollout: { mode: 'progressive', loadTest: true } }), {
    policies: policies(),
  }),
);
const webhooks = progressive.get('Canary/support-bot').spec.analysis.webhooks as {
  name: string;
  type: string;
  url: string;
  timeout: string;
  metadata: Record<string, unknown>;
}[];
const quality = webhooks.find((w) => w.name === 'quality-gate')!;

describe('quality-gate webhook', () => {
  it('is a rollout hook on the policy URL with the policy timeout', () => {
    expect(quality).toMatchObject({ type: 'rollout', url: policySpec.gateUrl, timeout: '8s' });
  });

  it('carries every gate setting from the policy', () => {
    expect(quality.metadata).toEqual({
      check: 'quality',
      agent: 'support-bot',
      experiment: 'recif/agents/support-bot',
      mode: 'strict',
      passThreshold: '0.6',
      metrics: 'safety/mean>=0.8,latency/mean<=2000',
      maxRegression: '0.05',
      regression: 'relative',
      alpha: '0.05',
      minSamples: '20',
      versionTag: 'recif.agent_version',
      modelName: 'support-bot-v{version}',
      canaryVersion: '4',
      stableVersion: '3',
      onUnavailable: 'reject',
      cacheTtl: '60s',
      timeout: '8s',
    });
  });

  it('writes per-metric directions, bars and regression bounds the gate reads back unchanged', async () => {
    const { metricsExpression } = await import('../../constructs/_gate-metadata.js');
    const { parseMetricList } = await import('../../src/gate/settings.js');
    const gate = {
      ...policySpec.gate,
      metrics: [
        {
          key: 'safety/mean',
          direction: 'higher' as const,
          threshold: 0.8,
          maxRegression: 0.02,
          regression: 'absolute' as const,
        },
        { key: 'latency/mean', direction: 'lower' as const, maxRegression: 0.1 },
        { key: 'toxicity/mean', direction: 'lower' as const, threshold: 0.1 },
      ],
    };
    const text = metricsExpression(gate);
    expect(text).toBe('safety/mean>=0.8@0.02,latency/mean<=*@10%,toxicity/mean<=0.1');
    expect(parseMetricList(text)).toEqual([
      {
        key: 'safety/mean',
        direction: 'higher',
        threshold: 0.8,
        maxRegression: 0.02,
        regression: 'absolute',
      },
      { key: 'latency/mean', direction: 'lower', maxRegression: 0.1, regression: 'relative' },
      { key: 'toxicity/mean', direction: 'lower', threshold: 0.1 },
    ]);
  });

  it('has only string metadata values in every webhook (Flagger: map<string,string>)', () => {
    for (const w of webhooks)
      for (const v of Object.values(w.metadata)) expect(typeof v).toBe('string');
  });

  it("follows the policy: thresholds, mode, experiment template; the token is the agent's derived one, never the policy's", () => {
    const spec = {
      ...policySpec,
      gate: {
        ...policySpec.gate,
        mode: 'recif' as const,
        passThreshold: 0.75,
        metrics: [],
        onUnavailable: 'approve' as const,
        experiment: 'evals/{namespace}/{name}',
        token: 's3cret',
      },
    };
    const objs = byKindName(
      synthesizeAgent(fleetAgent({ rollout: { mode: 'progressive' } }), {
        policies: policies(spec),
        gateSecret: 'gate-secret',
      }),
    );
    const md = objs
      .get('Canary/support-bot')
      .spec.analysis.webhooks.find((w: { name: string }) => w.name === 'quality-gate').metadata;
    expect(md).toMatchObject({
      mode: 'recif',
      passThreshold: '0.75',
      metrics: '',
      onUnavailable: 'approve',
      experiment: 'evals/team-a/support-bot',
    });
    expect(md.token).toBe(
      createHmac('sha256', 'gate-secret').update('team-a/support-bot').digest('hex'),
    );
    expect(quality.metadata).not.toHaveProperty('token');
  });

  it('carries the policy timeout, equal to the hook timeout (the gate answers inside it)', () => {
    const spec = {
      ...policySpec,
      analysis: { interval: '30s', threshold: 2 },
      gate: { ...policySpec.gate, timeout: '5s' },
    };
    for (const mode of ['progressive', 'manual'] as const) {
      const objs = byKindName(
        synthesizeAgent(fleetAgent({ rollout: { mode } }), { policies: policies(spec) }),
      );
      if (mode === 'progressive') {
        const hooks = objs.get('Canary/support-bot').spec.analysis.webhooks as {
          name: string;
          timeout: string;
          metadata: Record<string, string>;
        }[];
        const q = hooks.find((w) => w.name === 'quality-gate')!;
        expect(q.timeout).toBe('5s');
        expect(q.metadata.timeout).toBe(q.timeout);
      } else {
        const md = JSON.parse(
          objs.get('Deployment/support-bot-canary').metadata.annotations[
            'agent-canary.dev/gate'
          ] as string,
        ) as Record<string, string>;
        expect(md.timeout).toBe('5s');
      }
    }
  });
});

describe('step-hold webhooks', () => {
  it('hold each step for its policy duration, before each increase and before promotion', () => {
    const holds = webhooks.filter((w) => w.name === 'step-hold');
    expect(holds.map((w) => w.type)).toEqual(['confirm-traffic-increase', 'confirm-promotion']);
    for (const w of holds) {
      expect(w.url).toBe(policySpec.gateUrl);
      expect(w.metadata).toEqual({
        check: 'step-hold',
        agent: 'support-bot',
        stepWeights: '5,10,25,50',
        stepHolds: '0s,5m,10m,15m,20m',
      });
    }
  });
});

describe('manual mode gate annotation', () => {
  it('holds the same quality metadata as JSON with string values on Deployment <slug>-canary', () => {
    const objs = byKindName(synthesizeAgent(fleetAgent(), { policies: policies() }));
    const raw = objs.get('Deployment/support-bot-canary').metadata.annotations[
      'agent-canary.dev/gate'
    ];
    const md = JSON.parse(raw) as Record<string, unknown>;
    expect(md).toEqual(quality.metadata);
    for (const v of Object.values(md)) expect(typeof v).toBe('string');
  });
});

describe('canaryVersion is always written', () => {
  it('falls back to the agent version, then to the canary image tag', () => {
    const md = (o: Parameters<typeof fleetAgent>[0]) => {
      const objs = byKindName(synthesizeAgent(fleetAgent(o), { policies: policies() }));
      return JSON.parse(
        objs.get('Deployment/support-bot-canary').metadata.annotations[
          'agent-canary.dev/gate'
        ] as string,
      ) as Record<string, string>;
    };
    expect(md({}).canaryVersion).toBe('4');
    const noVersions = fleetAgent({});
    const spec = {
      ...noVersions.agent.spec,
      version: undefined,
      canary: {
        ...noVersions.agent.spec.canary!,
        version: undefined,
        image: 'ghcr.io/recif-platform/corail:v0.5.1',
      },
    };
    const objs = byKindName(
      synthesizeAgent(
        { ...noVersions, agent: { ...noVersions.agent, spec } },
        { policies: policies() },
      ),
    );
    const gate = JSON.parse(
      objs.get('Deployment/support-bot-canary').metadata.annotations[
        'agent-canary.dev/gate'
      ] as string,
    ) as Record<string, string>;
    expect(gate.canaryVersion).toBe('v0.5.1');
  });
});
