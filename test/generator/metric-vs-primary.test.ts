/**
 * Traffic metrics relative to the primary (stable): the canary's 5xx percent against k x the
 * primary's (with a floor), its p99 against k x the primary's + d ms, for Istio and Gateway API.
 */
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { byKindName, fleetAgent, gatewayRefs, policies, policySpec } from './_fixtures.js';

const spec = {
  ...policySpec,
  metrics: {
    ...policySpec.metrics,
    vsPrimary: { errorRate: { factor: 3, floor: 0.5 }, latencyP99: { factor: 1.25, marginMs: 40 } },
  },
};
const opts = { policies: policies(spec) };
const istio = byKindName(synthesizeAgent(fleetAgent({ rollout: { mode: 'progressive' } }), opts));
const gw = byKindName(
  synthesizeAgent(
    fleetAgent({ rollout: { mode: 'progressive', routing: 'gateway-api', gatewayRefs } }),
    opts,
  ),
);

/**
 * A structural PromQL check: balanced brackets outside strings, selectors made of
 * `label op "value"` pairs, known functions only, and Flagger's template variables as whole tokens.
 */
function checkPromql(q: string): void {
  const stack: string[] = [];
  const pairs: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const noTemplates = q.replace(/\{\{ (target|namespace|interval) \}\}/g, 'X');
  expect(noTemplates).not.toMatch(/\{\{|\}\}/);
  for (let i = 0; i < noTemplates.length; i++) {
    const c = noTemplates[i]!;
    if (c === '"') {
      const end = noTemplates.indexOf('"', i + 1);
      expect(end).toBeGreaterThan(i);
      i = end;
      continue;
    }
    if (c === '(' || c === '[' || c === '{') stack.push(c);
    if (c === ')' || c === ']' || c === '}') expect(stack.pop()).toBe(pairs[c]);
  }
  expect(stack).toEqual([]);
  for (const sel of noTemplates.match(/\{[^}]*\}/g) ?? []) {
    for (const m of sel.slice(1, -1).split(/,(?=[a-z_]+(?:=|!=|=~|!~)")/))
      expect(m).toMatch(/^[a-z_]+(=|!=|=~|!~)"[^"]*"$/);
  }
  const outside = noTemplates.replace(/"[^"]*"/g, '""');
  for (const fn of outside.match(/[a-z_]+(?=\s*\()/g) ?? [])
    expect(['sum', 'rate', 'histogram_quantile', 'clamp_min', 'by']).toContain(fn);
  for (const range of outside.match(/\[[^\]]*\]/g) ?? []) expect(range).toBe('[X]');
}

describe.each([
  ['istio', istio],
  ['gateway-api', gw],
] as const)('%s', (_routing, objs) => {
  it('judges the canary relative to the primary, passing at <= 0', () => {
    const metrics = objs.get('Canary/support-bot').spec.analysis.metrics as {
      name: string;
      thresholdRange: object;
      templateRef?: { name: string };
    }[];
    expect(metrics.filter((m) => m.name.endsWith('-vs-primary'))).toEqual([
      {
        name: 'error-rate-vs-primary',
        interval: '1m',
        thresholdRange: { max: 0 },
        templateRef: { name: 'support-bot-error-rate-vs-primary' },
      },
      {
        name: 'latency-vs-primary',
        interval: '1m',
        thresholdRange: { max: 0 },
        templateRef: { name: 'support-bot-latency-vs-primary' },
      },
    ]);
  });

  it('writes valid PromQL with k and d from the policy, canary and primary selected apart', () => {
    const err = objs.get('MetricTemplate/support-bot-error-rate-vs-primary').spec.query as string;
    const lat = objs.get('MetricTemplate/support-bot-latency-vs-primary').spec.query as string;
    for (const q of [err, lat]) checkPromql(q);
    expect(err).toMatch(/ - clamp_min\(3 \* \(100 - .*\), 0\.5\)$/);
    expect(lat).toMatch(/ - \(1\.25 \* .* \+ 40\)$/);
    for (const q of [err, lat]) {
      expect(q).toContain('{{ target }}-primary');
      // The canary side selects the canary workload alone (not the primary's pods).
      const canarySide = q.slice(0, q.indexOf(' - ', q.indexOf('}')));
      expect(canarySide).not.toContain('-primary');
    }
  });
});

describe('policy defaults', () => {
  it('compare with the primary by default (k = 2 and floor 1 % for errors, 1.5 x + 50 ms for p99)', async () => {
    const { DEFAULT_POLICY_SPEC } = await import('../../src/policy/defaults.js');
    expect(DEFAULT_POLICY_SPEC.metrics.vsPrimary).toEqual({
      errorRate: { factor: 2, floor: 1 },
      latencyP99: { factor: 1.5, marginMs: 50 },
    });
  });
});
