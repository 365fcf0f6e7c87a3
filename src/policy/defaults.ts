/**
 * Defaults of every policy field (the `@default`s of `types.ts`). Steps, gates and abort bounds
 * default to the release plan, so a policy file with only `metadata.name` is the default policy.
 */
import type { GateMetric, PolicySpec } from './types.js';
import { defaultDirection } from './metric-direction.js';

export const DEFAULT_GATE_URL =
  'http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger';
export const DEFAULT_PROMETHEUS = 'http://prometheus.istio-system:9090';

// Frozen: resolved specs share unchanged branches with it, so nobody may mutate it.
export const DEFAULT_POLICY_SPEC: PolicySpec = deepFreeze({
  steps: [
    { weight: 5, hold: '5m' },
    { weight: 10, hold: '10m' },
    { weight: 25, hold: '15m' },
    { weight: 50, hold: '20m' },
  ],
  analysis: { interval: '1m', threshold: 3 },
  metrics: {
    successRate: { min: 99 },
    latencyP99: { max: 500 },
    latencyP50: { max: 100 },
    errorRate: { max: 0.1 },
    vsPrimary: { errorRate: { factor: 2, floor: 1 }, latencyP99: { factor: 1.5, marginMs: 50 } },
  },
  abort: { successRate: { min: 95 }, errorRate: { max: 5 }, latencyP99: { max: 2000 } },
  gate: {
    mode: 'strict',
    passThreshold: 0.6,
    metrics: [],
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
  gateUrl: DEFAULT_GATE_URL,
  prometheus: DEFAULT_PROMETHEUS,
  allowDirectStableChange: false,
});

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object') {
    for (const child of Object.values(v)) deepFreeze(child);
    Object.freeze(v);
  }
  return v;
}

/**
 * Deep merge for policies: mappings merge key by key, everything else (lists included) replaces.
 * Lists replace because a merged list of steps would be neither plan.
 */
export function deepMerge<T>(base: T, over: unknown): T {
  if (!isPlainObject(base) || !isPlainObject(over)) return (over === undefined ? base : over) as T;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) {
    if (v === undefined) continue;
    out[k] = k in out ? deepMerge(out[k], v) : v;
  }
  return out as T;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The policy spec with every default filled: `base` (defaults or a loaded policy) with `over`
 * merged, and the per-metric `direction` default (`higher`) written out.
 */
export function completeSpec(base: PolicySpec, over: unknown): PolicySpec {
  const merged = deepMerge(base, over);
  if (merged.gate.metrics.every((m) => m.direction !== undefined)) return merged;
  return {
    ...merged,
    gate: { ...merged.gate, metrics: merged.gate.metrics.map(resolveGateMetric) },
  };
}

/** A gate metric with its direction written out (by name when the policy leaves it out). */
function resolveGateMetric(m: GateMetric): GateMetric {
  const out: { -readonly [K in keyof GateMetric]: GateMetric[K] } = {
    key: m.key,
    direction: m.direction ?? defaultDirection(m.key),
  };
  if (m.threshold !== undefined) out.threshold = m.threshold;
  if (m.maxRegression !== undefined) out.maxRegression = m.maxRegression;
  if (m.regression !== undefined) out.regression = m.regression;
  return out;
}
