/** Hand-made fleet agents and policies for the generator tests (no fleet/ or policies/ files needed). */
import type { AgentCanarySpec, FleetAgent, RolloutSettings } from '../../src/fleet/types.js';
import type { Policy, PolicySpec } from '../../src/policy/types.js';

export const policySpec: PolicySpec = {
  steps: [
    { weight: 5, hold: '5m' },
    { weight: 10, hold: '10m' },
    { weight: 25, hold: '15m' },
    { weight: 50, hold: '20m' },
  ],
  analysis: { interval: '1m', threshold: 3 },
  metrics: { successRate: { min: 99 }, latencyP99: { max: 500 } },
  abort: { successRate: { min: 95 }, errorRate: { max: 5 }, latencyP99: { max: 2000 } },
  gate: {
    mode: 'strict',
    passThreshold: 0.6,
    metrics: [
      { key: 'safety/mean', threshold: 0.8 },
      { key: 'latency/mean', direction: 'lower', threshold: 2000 },
    ],
    maxRegression: 0.05,
    regression: 'relative',
    alpha: 0.05,
    modelName: '{name}-v{version}',
    minSamples: 20,
    onUnavailable: 'reject',
    versionTag: 'recif.agent_version',
    experiment: 'recif/agents/{name}',
    cacheTtl: '60s',
    timeout: '8s',
  },
  gateUrl: 'http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger',
  prometheus: 'http://prometheus.istio-system:9090',
};

export function policies(spec: PolicySpec = policySpec): Map<string, Policy> {
  return new Map([
    [
      'default',
      {
        apiVersion: 'agent-canary.dev/v1alpha1',
        kind: 'RolloutPolicy',
        metadata: { name: 'default' },
        spec,
      },
    ],
  ]);
}

export interface AgentOptions {
  readonly namespace?: string;
  readonly name?: string;
  readonly canary?: AgentCanarySpec | null;
  readonly rollout?: Partial<RolloutSettings>;
  readonly version?: string;
}

export function fleetAgent(o: AgentOptions = {}): FleetAgent {
  const namespace = o.namespace ?? 'team-a';
  const name = o.name ?? 'support-bot';
  const canary =
    o.canary === undefined
      ? {
          enabled: true,
          weight: 10,
          image: 'ghcr.io/recif-platform/corail:v0.4.0',
          modelId: 'gpt-4.1-mini',
          systemPrompt: 'Be brief.',
          tools: ['web-search'],
          version: '4',
        }
      : o.canary;
  const rollout: RolloutSettings = {
    mode: 'manual',
    routing: 'istio',
    policy: 'default',
    loadTest: false,
    ...o.rollout,
  };
  return {
    id: `${namespace}/${name}`,
    file: `${namespace}/${name}.yaml`,
    agent: {
      apiVersion: 'agents.recif.dev/v1',
      kind: 'Agent',
      metadata: { name, namespace },
      spec: {
        name: 'Support Bot',
        framework: 'corail',
        image: 'ghcr.io/recif-platform/corail:v0.3.1',
        modelType: 'openai',
        modelId: 'gpt-4o-mini',
        systemPrompt: 'You are the support assistant.\nCite the article you used.\n',
        tools: ['ticket-lookup'],
        envSecrets: ['agent-env'],
        replicas: 2,
        version: o.version ?? '3',
        ...(canary ? { canary } : {}),
      },
    },
    rollout,
  };
}

export const gatewayRefs = [{ name: 'internal-gateway', namespace: 'gateway-system' }];

/** Objects of a manifest list by `<Kind>/<name>`. */
export function byKindName(
  manifests: readonly { object: Record<string, unknown> }[],
): Map<string, any> {
  const m = new Map<string, any>();
  for (const { object } of manifests)
    m.set(`${object['kind']}/${(object['metadata'] as { name: string }).name}`, object);
  return m;
}
