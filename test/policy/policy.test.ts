import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FleetError, parseFleetFile } from '../../src/fleet/load.js';
import type { FleetAgent } from '../../src/fleet/types.js';
import { DEFAULT_POLICY_SPEC } from '../../src/policy/defaults.js';
import {
  loadPolicies,
  parsePolicyFile,
  PolicyError,
  resolvePolicy,
} from '../../src/policy/load.js';
import { checkPolicySpec, policyRules } from '../../src/policy/rules.js';
import { edit, GOOD, POLICY_DIR, tempTree } from '../fleet/helpers.js';

const DEFAULT_TEXT = readFileSync(join(POLICY_DIR, 'default.yaml'), 'utf8');
const FILE = 'policies/default.yaml';

function policyFails(text: string, file = FILE): PolicyError {
  try {
    parsePolicyFile(file, text);
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('expected a PolicyError');
}

function lineOf(text: string, needle: string): number {
  const i = text.indexOf(needle);
  if (i < 0) throw new Error(`not found: ${needle}`);
  return text.slice(0, i).split('\n').length;
}

/** A fleet agent using `policy` with `overrides` (YAML lines under `overrides:`). */
function agentWith(policy: string, overrides?: string): FleetAgent {
  const rollout = `  policy: ${policy}\n` + (overrides ? `  overrides:\n${overrides}` : '');
  return parseFleetFile('team-a/support-bot.yaml', edit(GOOD, '  policy: default\n', rollout));
}

describe('policies/default.yaml', () => {
  const policies = loadPolicies(POLICY_DIR);
  const def = policies.get('default')!;

  it('encodes the release plan', () => {
    expect(def.spec.steps).toEqual([
      { weight: 5, hold: '5m' },
      { weight: 10, hold: '10m' },
      { weight: 25, hold: '15m' },
      { weight: 50, hold: '20m' },
    ]);
    expect(def.spec.analysis).toEqual({ interval: '1m', threshold: 3 });
    expect(def.spec.metrics).toEqual({
      successRate: { min: 99 },
      errorRate: { max: 0.1 },
      latencyP99: { max: 500 },
      latencyP50: { max: 100 },
      vsPrimary: { errorRate: { factor: 2, floor: 1 }, latencyP99: { factor: 1.5, marginMs: 50 } },
    });
    expect(def.spec.abort).toEqual({
      successRate: { min: 95 },
      errorRate: { max: 5 },
      latencyP99: { max: 2000 },
    });
    expect(def.spec.gate).toMatchObject({
      mode: 'strict',
      passThreshold: 0.6,
      maxRegression: 0.05,
      minSamples: 20,
      onUnavailable: 'reject',
      versionTag: 'recif.agent_version',
      experiment: 'recif/agents/{name}',
      cacheTtl: '60s',
      timeout: '8s',
    });
    expect(def.spec.gateUrl).toMatch(/^http:\/\/agent-canary-gate\./);
  });

  it('passes every semantic rule, and so does every shipped policy', () => {
    for (const rule of policyRules) expect(rule(def.spec)).toEqual([]);
    for (const p of policies.values()) expect(checkPolicySpec(p.spec)).toEqual([]);
    expect([...policies.keys()]).toEqual(['default', 'fast']);
  });

  it('a policy with only a name gets every default (the release plan)', () => {
    const p = parsePolicyFile(
      'policies/plain.yaml',
      'apiVersion: agent-canary.dev/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: plain }\n',
    );
    expect(p.spec).toEqual(DEFAULT_POLICY_SPEC);
    expect(p.spec).toEqual(def.spec);
  });

  it('fast.yaml overrides only what it states; the rest is default', () => {
    const fast = policies.get('fast')!;
    expect(fast.spec.steps.map((s) => s.weight)).toEqual([10, 50]);
    expect(fast.spec.abort).toEqual(DEFAULT_POLICY_SPEC.abort);
    expect(fast.spec.gate.passThreshold).toBe(0.6);
    // the per-metric direction default is written out
    expect(fast.spec.gate.metrics).toEqual([
      { key: 'safety/mean', direction: 'higher', threshold: 0.9 },
    ]);
  });
});

describe('semantic policy checks fail on a bad policy, at the right line', () => {
  const cases: Array<[string, string, string, string, string]> = [
    [
      'steps not increasing',
      '{ weight: 25, hold: 15m }',
      '{ weight: 10, hold: 15m }',
      'spec.steps[2].weight',
      '{ weight: 10, hold: 15m }',
    ],
    ['hours are not a Flagger duration', 'hold: 20m', 'hold: 1h', 'spec.steps[3].hold', 'hold: 1h'],
    [
      'interval below 10s',
      'interval: 1m',
      'interval: 5s',
      'spec.analysis.interval',
      'interval: 5s',
    ],
    ['gate timeout above 10s', 'timeout: 8s', 'timeout: 15s', 'spec.gate.timeout', 'timeout: 15s'],
    [
      'threshold below 1',
      'threshold: 3',
      'threshold: 0',
      'spec.analysis.threshold',
      'threshold: 0',
    ],
    [
      'abort success rate not looser',
      'successRate: { min: 95 }',
      'successRate: { min: 99 }',
      'spec.abort.successRate.min',
      'successRate: { min: 99 }\n    errorRate',
    ],
    [
      'abort latency not looser',
      'latencyP99: { max: 2000 }',
      'latencyP99: { max: 500 }',
      'spec.abort.latencyP99.max',
      'latencyP99: { max: 500 }\n    # latencyP50',
    ],
    [
      'abort 5xx rate not looser than the 5xx gate',
      'errorRate: { max: 5 }',
      'errorRate: { max: 0.1 }',
      'spec.abort.errorRate.max',
      'errorRate: { max: 0.1 }       # percent of 5xx responses',
    ],
    [
      'p50 gate not below the p99 gate',
      'latencyP50: { max: 100 }',
      'latencyP50: { max: 500 }',
      'spec.metrics.latencyP50.max',
      'latencyP50: { max: 500 }',
    ],
    [
      'p50 gate not a number of milliseconds',
      'latencyP50: { max: 100 }',
      'latencyP50: { max: -1 }',
      'spec.metrics.latencyP50.max',
      'latencyP50: { max: -1 }',
    ],
    [
      'abort p50 not looser than the p50 gate',
      '# latencyP50: { max: 1000 } # optional',
      'latencyP50: { max: 50 }',
      'spec.abort.latencyP50.max',
      'latencyP50: { max: 50 }',
    ],
    [
      'load-test command with an unknown placeholder',
      'gateUrl:',
      'loadTest: { command: "hey -z {window} {host}" }\n  gateUrl:',
      'spec.loadTest.command',
      'loadTest:',
    ],
    [
      'recif pass threshold outside 0..1',
      'passThreshold: 0.6',
      'passThreshold: 60',
      'spec.gate.passThreshold',
      'passThreshold: 60',
    ],
    [
      'step weight 100',
      '{ weight: 50, hold: 20m }',
      '{ weight: 100, hold: 20m }',
      'spec.steps[3].weight',
      '{ weight: 100',
    ],
    ['unknown field', 'gateUrl:', 'gateURL:', 'spec.gateURL', 'gateURL:'],
  ];
  for (const [title, from, to, field, at] of cases) {
    it(title, () => {
      let text = edit(DEFAULT_TEXT, from, to);
      if (title.startsWith('recif')) text = edit(text, 'mode: strict', 'mode: recif');
      const e = policyFails(text);
      expect(e.field).toBe(field);
      expect(e.file).toBe(FILE);
      expect(e.line).toBe(lineOf(text, at));
      expect(e.message).toMatch(
        new RegExp(
          `^policies/default\\.yaml:${e.line}: ${field.replace(/[.[\]]/g, '\\$&')}: .+ \\(got .+; allowed: .+\\)\\. Fix: .+`,
        ),
      );
    });
  }

  it('the gate timeout must be below a short interval too', () => {
    const e = policyFails(
      edit(edit(DEFAULT_TEXT, 'interval: 1m', 'interval: 10s'), 'timeout: 8s', 'timeout: 10s'),
    );
    expect(e.field).toBe('spec.gate.timeout');
    expect(e.allowed).toBe('1s..9s');
  });

  it('a pass threshold above 1 is fine in strict mode (thresholds of unbounded metrics)', () => {
    expect(() =>
      parsePolicyFile(FILE, edit(DEFAULT_TEXT, 'passThreshold: 0.6', 'passThreshold: 60')),
    ).not.toThrow();
  });

  it('a rule violated by a default value says so', () => {
    const text =
      'apiVersion: agent-canary.dev/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: tight }\nspec:\n  metrics:\n    successRate: { min: 90 }\n';
    const e = policyFails(text, 'policies/tight.yaml');
    expect(e.field).toBe('spec.abort.successRate.min');
    expect(e.problem).toContain('default');
  });

  it('name must equal the file name; apiVersion and kind are exact', () => {
    expect(policyFails(DEFAULT_TEXT, 'policies/other.yaml')).toMatchObject({
      field: 'metadata.name',
      value: 'default',
      allowed: 'other',
    });
    expect(policyFails(edit(DEFAULT_TEXT, 'kind: RolloutPolicy', 'kind: Policy'))).toMatchObject({
      field: 'kind',
      allowed: 'RolloutPolicy',
    });
    expect(
      policyFails(edit(DEFAULT_TEXT, 'agent-canary.dev/v1alpha1', 'agent-canary.dev/v1')),
    ).toMatchObject({ field: 'apiVersion' });
  });
});

describe('resolvePolicy', () => {
  const policies = loadPolicies(POLICY_DIR);

  it('returns the named policy; overrides deep-merge and arrays replace', () => {
    expect(resolvePolicy(policies, agentWith('default'))).toEqual(policies.get('default')!.spec);
    const spec = resolvePolicy(
      policies,
      agentWith(
        'default',
        '    gate: { passThreshold: 0.8 }\n    steps: [{ weight: 20, hold: 5m }]\n    metrics: { latencyP99: { max: 800 } }\n',
      ),
    );
    expect(spec.gate.passThreshold).toBe(0.8);
    expect(spec.gate.minSamples).toBe(20);
    expect(spec.steps).toEqual([{ weight: 20, hold: '5m' }]);
    expect(spec.metrics).toEqual({
      successRate: { min: 99 },
      errorRate: { max: 0.1 },
      latencyP99: { max: 800 },
      latencyP50: { max: 100 },
      vsPrimary: { errorRate: { factor: 2, floor: 1 }, latencyP99: { factor: 1.5, marginMs: 50 } },
    });
    // the loaded policy itself is untouched
    expect(policies.get('default')!.spec.gate.passThreshold).toBe(0.6);
  });

  it('override gate metrics replace the policy list and get the direction default', () => {
    const spec = resolvePolicy(
      policies,
      agentWith(
        'fast',
        '    gate:\n      metrics: [{ key: latency/mean, direction: lower, threshold: 2000 }, { key: relevance/mean, threshold: 0.7 }]\n',
      ),
    );
    expect(spec.gate.metrics).toEqual([
      { key: 'latency/mean', direction: 'lower', threshold: 2000 },
      { key: 'relevance/mean', direction: 'higher', threshold: 0.7 },
    ]);
  });

  it('an unknown policy name lists the available names, at the rollout.policy line', () => {
    try {
      resolvePolicy(policies, agentWith('slow'));
      throw new Error('expected a PolicyError');
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect(err).toMatchObject({
        file: 'team-a/support-bot.yaml',
        line: 22,
        field: 'rollout.policy',
        value: 'slow',
        allowed: 'default, fast',
      });
    }
  });

  it('a bad override is reported at its line in the fleet file', () => {
    const cases: Array<[string, string, number, unknown]> = [
      ['    analysis: { interval: 5s }\n', 'rollout.overrides.analysis.interval', 24, '5s'],
      ['    gate:\n      timeout: 2m\n', 'rollout.overrides.gate.timeout', 25, '2m'],
      [
        '    steps: [{ weight: 50, hold: 5m }, { weight: 20, hold: 5m }]\n',
        'rollout.overrides.steps[1].weight',
        24,
        20,
      ],
      // a gate tightened past the policy's abort bound points at the override that caused it
      [
        '    metrics:\n      successRate: { min: 94 }\n',
        'rollout.overrides.metrics.successRate.min',
        25,
        94,
      ],
    ];
    for (const [yaml, field, line, value] of cases) {
      try {
        resolvePolicy(policies, agentWith('default', yaml));
        throw new Error(`expected a PolicyError for ${field}`);
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
        expect(err).toMatchObject({ file: 'team-a/support-bot.yaml', field, line, value });
      }
    }
  });

  it('a misspelt or mistyped override is caught when the fleet file loads, at its line', () => {
    for (const [yaml, field, value] of [
      ['    stepz: []\n', 'rollout.overrides.stepz', []],
      ['    gate: { mode: lenient }\n', 'rollout.overrides.gate.mode', 'lenient'],
    ] as const) {
      try {
        agentWith('default', yaml);
        throw new Error(`expected a FleetError for ${field}`);
      } catch (err) {
        expect(err).toBeInstanceOf(FleetError);
        expect(err).toMatchObject({ file: 'team-a/support-bot.yaml', line: 24, field, value });
      }
    }
  });

  it('overrides of an agent built in code are still schema-checked (no lines to point at)', () => {
    const base = agentWith('default');
    const built: FleetAgent = {
      ...base,
      rollout: { ...base.rollout, overrides: { gate: { mode: 'lenient' } } },
    };
    try {
      resolvePolicy(policies, built);
      throw new Error('expected a PolicyError');
    } catch (err) {
      expect(err).toBeInstanceOf(PolicyError);
      expect(err).toMatchObject({
        file: 'team-a/support-bot.yaml',
        line: 0,
        field: 'rollout.overrides.gate.mode',
        allowed: 'strict | recif',
      });
    }
  });

  it('loadPolicies refuses a folder with a broken policy, naming the file', () => {
    const t = tempTree({
      'ok.yaml':
        'apiVersion: agent-canary.dev/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: ok }\n',
      'bad.yaml':
        'apiVersion: agent-canary.dev/v1alpha1\nkind: RolloutPolicy\nmetadata: { name: bad }\nspec:\n  analysis: { threshold: 0 }\n',
    });
    try {
      try {
        loadPolicies(t.dir);
        throw new Error('expected a PolicyError');
      } catch (err) {
        expect(err).toBeInstanceOf(PolicyError);
        expect((err as PolicyError).file.endsWith('bad.yaml')).toBe(true);
        expect(err).toMatchObject({ line: 5, field: 'spec.analysis.threshold', value: 0 });
      }
    } finally {
      t.cleanup();
    }
  });
});
