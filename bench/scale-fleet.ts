/**
 * The generated fleet of bench/scale.ts: N agents in `namespaces` namespaces, half manual and
 * half progressive, both routings, every traffic feature somewhere (cohorts, session affinity,
 * gateways, blue-green, HPAs), two policies. Deterministic: the same N gives the same bytes.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const POLICY_DEFAULT = `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  steps:
    - { weight: 5, hold: 0s }
    - { weight: 10, hold: 5m }
    - { weight: 25, hold: 10m }
    - { weight: 50, hold: 15m }
`;

export const POLICY_FAST = `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: fast
spec:
  steps:
    - { weight: 10, hold: 0s }
    - { weight: 50, hold: 1m }
`;

export interface ScaleAgent {
  readonly ns: string;
  readonly name: string;
  /** Path relative to the fleet folder. */
  readonly rel: string;
  readonly mode: 'manual' | 'progressive';
  readonly text: string;
}

/** Agent i of a fleet of `namespaces` namespaces (i even: manual, odd: progressive). */
export function scaleAgent(i: number, namespaces: number): ScaleAgent {
  const ns = `team-${String(i % namespaces).padStart(3, '0')}`;
  const name = `agent-${String(i).padStart(5, '0')}`;
  const mode = i % 2 === 0 ? 'manual' : 'progressive';
  const routing = Math.floor(i / 2) % 2 === 0 ? 'istio' : 'gateway-api';
  const kind = Math.floor(i / 4) % 4;
  const canary =
    kind === 3
      ? ''
      : `  canary:
    enabled: true
    weight: ${mode === 'manual' ? 10 : 0}
    image: ghcr.io/recif-platform/corail:v0.4.${i % 7}
    modelId: gpt-4.1-mini
    version: "${i + 1}"
`;
  // Every traffic feature somewhere, each where its mode and routing allow it.
  const traffic =
    kind === 0 && mode === 'manual' && routing === 'istio'
      ? '  hosts: [a.example.com]\n  gateways: [istio-system/public, mesh]\n  cohorts: [{ header: x-internal-user, values: ["true"] }]\n  sessionAffinity: { header: x-conversation-id }\n'
      : kind === 1
        ? '  sessionAffinity: { cookie: agent-track }\n'
        : kind === 3
          ? '  strategy: blue-green\n'
          : '';
  const text = `# ${name}: generated for bench/scale.ts
apiVersion: agents.recif.dev/v1
kind: Agent
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  name: Agent ${i}
  framework: corail
  description: Generated agent ${i} for the scale benchmark.
  image: ghcr.io/recif-platform/corail:v0.3.${i % 5}
  modelType: openai
  modelId: gpt-4o-mini
  systemPrompt: |
    You are agent ${i}. Answer from the knowledge base only,
    and hand over to a human when asked.
  tools: [ticket-lookup, order-status]
  envSecrets: [agent-env]
${i % 8 === 0 ? '' : '  replicas: 2\n'}  version: "${i}"
${canary}rollout:
  mode: ${mode}
  routing: ${routing}
  policy: ${i % 10 === 9 ? 'fast' : 'default'}
${routing === 'gateway-api' ? '  gatewayRefs:\n    - name: internal-gateway\n      namespace: gateway-system\n' : ''}${traffic}${i % 8 === 0 ? '  autoscaling: { minReplicas: 2, maxReplicas: 8 }\n' : ''}`;
  return { ns, name, rel: `${ns}/${name}.yaml`, mode, text };
}

/** Writes fleet/ and policies/ of N agents under `dir`; returns the agents. */
export function writeScaleProject(dir: string, agents: number, namespaces: number): ScaleAgent[] {
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'default.yaml'), POLICY_DEFAULT);
  writeFileSync(join(dir, 'policies', 'fast.yaml'), POLICY_FAST);
  const out: ScaleAgent[] = [];
  const made = new Set<string>();
  for (let i = 0; i < agents; i++) {
    const a = scaleAgent(i, namespaces);
    if (!made.has(a.ns)) {
      mkdirSync(join(dir, 'fleet', a.ns), { recursive: true });
      made.add(a.ns);
    }
    writeFileSync(join(dir, 'fleet', a.rel), a.text);
    out.push(a);
  }
  return out;
}
