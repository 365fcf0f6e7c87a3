/**
 * Cross-field checks of a complete (defaults filled, overrides merged) policy spec: what the
 * schema cannot say. Each rule returns findings with a path under `spec`; the loader decides
 * which file and line that path belongs to (the policy file, or the agent's `rollout.overrides`).
 */
import type { ProblemDetails } from '../errors/located.js';
import type { PathSegment } from '../yaml/path.js';
import { durationSeconds } from '../duration/duration.js';
import type { PolicySpec } from './types.js';

export interface PolicyFinding extends Omit<ProblemDetails, 'field'> {
  /** Path below `spec`, e.g. `['steps', 2, 'weight']`. */
  readonly path: readonly PathSegment[];
  /** Other fields the finding depends on: when an agent overrides one of them, the error points there. */
  readonly related?: readonly (readonly PathSegment[])[];
  /** What is allowed for the related fields, when the error points at one of them. */
  readonly relatedAllowed?: string;
}

export type PolicyRule = (spec: PolicySpec) => PolicyFinding[];

/** Steps strictly increase (1..99 is the schema's job): a step down would be a partial rollback. */
export const stepsIncrease: PolicyRule = (spec) => {
  const out: PolicyFinding[] = [];
  for (let i = 1; i < spec.steps.length; i++) {
    const prev = spec.steps[i - 1]!.weight;
    const cur = spec.steps[i]!.weight;
    if (cur <= prev) {
      out.push({
        path: ['steps', i, 'weight'],
        related: [['steps']],
        problem: `steps must strictly increase; step ${i + 1} (${cur}) is not above step ${i} (${prev})`,
        value: cur,
        allowed: `integer ${prev + 1}..99`,
        fix: 'order the steps by increasing weight and remove repeated weights',
      });
    }
  }
  return out;
};

/** Flagger runs a check every interval; below 10 s Prometheus windows are too short to mean anything. */
export const intervalLongEnough: PolicyRule = (spec) => {
  const s = durationSeconds(spec.analysis.interval);
  return s >= 10
    ? []
    : [
        {
          path: ['analysis', 'interval'],
          problem: 'the analysis interval is shorter than 10s',
          value: spec.analysis.interval,
          allowed: '>= 10s (e.g. 1m)',
          fix: 'use an interval of at least 10s; 1m is the default',
        },
      ];
};

/**
 * The gate must answer before Flagger gives up (its webhook default is 10 s) and before the next
 * check starts, else a slow MLflow turns into a failed check.
 */
export const gateTimeoutFits: PolicyRule = (spec) => {
  const t = durationSeconds(spec.gate.timeout);
  const interval = durationSeconds(spec.analysis.interval);
  if (t > 10 || t >= interval) {
    return [
      {
        path: ['gate', 'timeout'],
        related: [['analysis', 'interval']],
        relatedAllowed: `an interval longer than the gate timeout (${spec.gate.timeout}), at least 10s`,
        problem: `the gate timeout must be at most 10s and shorter than the analysis interval (${spec.analysis.interval})`,
        value: spec.gate.timeout,
        allowed: `1s..${Math.min(10, interval - 1)}s`,
        fix: 'use a shorter timeout, e.g. 8s',
      },
    ];
  }
  if (t < 1) {
    return [
      {
        path: ['gate', 'timeout'],
        problem: 'a 0s timeout fails every gate call',
        value: spec.gate.timeout,
        allowed: `1s..${Math.min(10, interval - 1)}s`,
        fix: 'use 8s (the default)',
      },
    ];
  }
  return [];
};

/**
 * Abort bounds must be looser than the promotion gates: otherwise a canary that merely fails to
 * advance is rolled back at once, and the promotion gate never matters.
 */
export const abortLooserThanGates: PolicyRule = (spec) => {
  const out: PolicyFinding[] = [];
  const abortSr = spec.abort.successRate.min;
  const gateSr = spec.metrics.successRate.min;
  if (abortSr !== undefined && gateSr !== undefined && !(abortSr < gateSr)) {
    out.push({
      path: ['abort', 'successRate', 'min'],
      related: [['metrics', 'successRate', 'min']],
      relatedAllowed: `a percentage above abort.successRate.min (${abortSr})`,
      problem: `the abort success-rate bound must be below the promotion gate (metrics.successRate.min ${gateSr})`,
      value: abortSr,
      allowed: `a percentage below ${gateSr}`,
      fix: `lower abort.successRate.min (e.g. ${Math.max(0, gateSr - 4)}) or raise metrics.successRate.min`,
    });
  }
  // Upper bounds (5xx %, p99 ms, p50 ms): the abort bound lies above the gate.
  for (const [key, what, unit] of [
    ['errorRate', '5xx-rate', '%'],
    ['latencyP99', 'p99-latency', ' ms'],
    ['latencyP50', 'p50-latency', ' ms'],
  ] as const) {
    const abortMax = spec.abort[key]?.max;
    const gateMax = spec.metrics[key]?.max;
    if (abortMax === undefined || gateMax === undefined || abortMax > gateMax) continue;
    const unitWord = unit === '%' ? 'a percentage' : 'milliseconds';
    out.push({
      path: ['abort', key, 'max'],
      related: [['metrics', key, 'max']],
      relatedAllowed: `${unitWord} below abort.${key}.max (${abortMax})`,
      problem: `the abort ${what} bound must be above the promotion gate (metrics.${key}.max ${gateMax}${unit})`,
      value: abortMax,
      allowed: `${unitWord} above ${gateMax}`,
      fix: `raise abort.${key}.max (e.g. ${unit === '%' ? Math.min(100, gateMax * 10) : gateMax * 4}) or lower metrics.${key}.max`,
    });
  }
  return out;
};

/** The median is never above the 99th percentile, so a p50 bound at or above the p99 bound never binds. */
export const p50BelowP99: PolicyRule = (spec) => {
  const out: PolicyFinding[] = [];
  for (const block of ['metrics', 'abort'] as const) {
    const p50 = spec[block].latencyP50?.max;
    const p99 = spec[block].latencyP99?.max;
    if (p50 === undefined || p99 === undefined || p50 < p99) continue;
    out.push({
      path: [block, 'latencyP50', 'max'],
      related: [[block, 'latencyP99', 'max']],
      relatedAllowed: `milliseconds above ${block}.latencyP50.max (${p50})`,
      problem: `the p50 bound must be below the p99 bound (${block}.latencyP99.max ${p99} ms); a median at or above it never binds`,
      value: p50,
      allowed: `milliseconds below ${p99}`,
      fix: `lower ${block}.latencyP50.max (e.g. ${Math.floor(p99 / 5)}) or remove it`,
    });
  }
  return out;
};

/** In recif mode the pass threshold is compared with a mean of scores in 0..1. */
export const recifThresholdIsScore: PolicyRule = (spec) =>
  spec.gate.mode === 'recif' && (spec.gate.passThreshold < 0 || spec.gate.passThreshold > 1)
    ? [
        {
          path: ['gate', 'passThreshold'],
          problem: 'in recif mode the pass threshold is a mean score, which lies in 0..1',
          value: spec.gate.passThreshold,
          allowed: 'a number 0..1 (Recif uses 0.6)',
          fix: 'use a score between 0 and 1, e.g. 0.6',
        },
      ]
    : [];

/** Per-metric thresholds are keyed by metric: two entries for one key would contradict each other. */
export const gateMetricsUnique: PolicyRule = (spec) => {
  const seen = new Set<string>();
  const out: PolicyFinding[] = [];
  spec.gate.metrics.forEach((m, i) => {
    if (seen.has(m.key)) {
      out.push({
        path: ['gate', 'metrics', i, 'key'],
        problem: `metric ${m.key} is listed twice`,
        value: m.key,
        allowed: 'each metric key once',
        fix: 'keep one threshold per metric',
      });
    }
    seen.add(m.key);
  });
  return out;
};

export const policyRules: readonly PolicyRule[] = [
  stepsIncrease,
  intervalLongEnough,
  gateTimeoutFits,
  abortLooserThanGates,
  p50BelowP99,
  recifThresholdIsScore,
  gateMetricsUnique,
];

export function checkPolicySpec(spec: PolicySpec): PolicyFinding[] {
  return policyRules.flatMap((rule) => rule(spec));
}
