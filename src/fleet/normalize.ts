/**
 * Rebuilds a validated fleet file as the emitted Agent resource and the rollout settings.
 *
 * Keys come out in one fixed order (the order of the Recif types), whatever order the file uses,
 * so reordering a fleet file never changes the synthesized manifests. `canary: null` (what the
 * Recif API writes after promote/rollback) is dropped: "no canary" needs no key.
 */
import type { AgentCanarySpec, AgentResource, AgentSpec, RolloutSettings } from './types.js';

/** AgentSpec keys in emission order (the Recif Go type's order, then the Helm CRD additions). */
export const AGENT_SPEC_KEYS = [
  'name', 'framework', 'description', 'strategy', 'channel', 'modelType', 'modelId', 'systemPrompt',
  'backgroundModel', 'storage', 'databaseUrl', 'tools', 'knowledgeBases', 'skills', 'envSecrets',
  'credentialSecret', 'gcpServiceAccount', 'image', 'replicas', 'suggestionsProvider', 'suggestions',
  'evalSampleRate', 'judgeModel', 'version', 'canary',
] as const satisfies readonly (keyof AgentSpec)[];

export const CANARY_KEYS = [
  'enabled', 'weight', 'image', 'modelType', 'modelId', 'systemPrompt', 'skills', 'tools', 'version',
] as const satisfies readonly (keyof AgentCanarySpec)[];

/** Defaults the Agent CRD applies (Helm CRD); the apiserver fills them, we only need them to compare. */
export const AGENT_SPEC_DEFAULTS = {
  strategy: 'simple',
  channel: 'rest',
  modelType: 'stub',
  modelId: 'stub-echo',
  image: 'ghcr.io/recif-platform/corail:latest',
  replicas: 1,
} as const;

export const ROLLOUT_DEFAULTS = { mode: 'manual', routing: 'istio', policy: 'default', loadTest: false } as const;

function pick(src: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    const v = src[k];
    if (v !== undefined && v !== null) out[k] = v;
  }
  return out;
}

function sortedStrings(m: unknown): Record<string, string> | undefined {
  if (!m || typeof m !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const k of Object.keys(m).sort()) out[k] = (m as Record<string, string>)[k]!;
  return out;
}

export function toAgentResource(data: Record<string, unknown>): AgentResource {
  const meta = data['metadata'] as Record<string, unknown>;
  const spec = data['spec'] as Record<string, unknown>;
  const metadata: Record<string, unknown> = { name: meta['name'], namespace: meta['namespace'] };
  const labels = sortedStrings(meta['labels']);
  const annotations = sortedStrings(meta['annotations']);
  if (labels) metadata['labels'] = labels;
  if (annotations) metadata['annotations'] = annotations;
  const outSpec = pick(spec, AGENT_SPEC_KEYS);
  if (outSpec['canary']) outSpec['canary'] = pick(outSpec['canary'] as Record<string, unknown>, CANARY_KEYS);
  return {
    apiVersion: 'agents.recif.dev/v1',
    kind: 'Agent',
    metadata: metadata as unknown as AgentResource['metadata'],
    spec: outSpec as unknown as AgentSpec,
  };
}

export function toRolloutSettings(raw: unknown): RolloutSettings {
  const r = (raw ?? {}) as Record<string, unknown>;
  const out: Record<string, unknown> = {
    mode: r['mode'] ?? ROLLOUT_DEFAULTS.mode,
    routing: r['routing'] ?? ROLLOUT_DEFAULTS.routing,
    policy: r['policy'] ?? ROLLOUT_DEFAULTS.policy,
  };
  if (r['overrides'] !== undefined) out['overrides'] = r['overrides'];
  if (r['gatewayRefs'] !== undefined) out['gatewayRefs'] = r['gatewayRefs'];
  if (r['hosts'] !== undefined) out['hosts'] = r['hosts'];
  out['loadTest'] = r['loadTest'] ?? ROLLOUT_DEFAULTS.loadTest;
  for (const k of ['strategy', 'iterations', 'sessionAffinity', 'cohorts', 'gateways', 'autoscaling']) {
    if (r[k] !== undefined) out[k] = r[k];
  }
  return out as unknown as RolloutSettings;
}
