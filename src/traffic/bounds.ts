/**
 * The traffic bounds of a release plan as a list: each names the check (the query of
 * `queries.ts`), the side it bounds and the policy field it came from. Promotion gates hold a
 * canary that misses them; abort bounds fail it at once. The generator (Flagger metrics and the
 * abort hook), the validator and the manual-mode autopilot read the bounds from here, so the
 * policy fields are mapped to checks exactly once.
 *
 * The input is structural (the `metrics` and `abort` blocks of a policy spec, src/policy/types.ts)
 * so that this basic module names no model type.
 */
import { promNumber, renderQuery, type QueryVars, type TrafficCheck } from './queries.js';

interface Min {
  readonly min?: number;
}
interface Max {
  readonly max?: number;
}

/** The `metrics` (promotion gates) and `abort` blocks of a resolved policy spec. */
export interface TrafficBoundsSpec {
  readonly metrics: {
    readonly successRate?: Min;
    readonly errorRate?: Max;
    readonly latencyP99?: Max;
    readonly latencyP50?: Max;
  };
  readonly abort: {
    readonly successRate?: Min;
    readonly errorRate?: Max;
    readonly latencyP99?: Max;
    readonly latencyP50?: Max;
  };
}

/** The checks a bound can apply to (the `*-vs-primary` checks have bounds of their own). */
export type BoundedCheck = Extract<
  TrafficCheck,
  'request-success-rate' | 'error-rate' | 'request-duration' | 'request-duration-p50'
>;

export interface TrafficBound {
  readonly check: BoundedCheck;
  /** `gate`: hold the canary while missed; `abort`: fail it at once. */
  readonly kind: 'gate' | 'abort';
  /** The policy field, e.g. `abort.errorRate.max`. */
  readonly field: string;
  /** Passing values are >= min (success rate). */
  readonly min?: number;
  /** Passing values are <= max (error rate, latency). */
  readonly max?: number;
  /** Unit of the value, for messages: `%` or `ms`. */
  readonly unit: '%' | 'ms';
}

/** Policy key -> check, in the order checks are listed everywhere. */
const FIELDS = [
  ['successRate', 'request-success-rate', 'min', '%'],
  ['errorRate', 'error-rate', 'max', '%'],
  ['latencyP99', 'request-duration', 'max', 'ms'],
  ['latencyP50', 'request-duration-p50', 'max', 'ms'],
] as const;

function boundsOf(
  block: TrafficBoundsSpec['metrics'] | TrafficBoundsSpec['abort'],
  kind: 'gate' | 'abort',
): TrafficBound[] {
  const out: TrafficBound[] = [];
  const prefix = kind === 'gate' ? 'metrics' : 'abort';
  for (const [key, check, side, unit] of FIELDS) {
    const b = block[key] as (Min & Max) | undefined;
    const v = b?.[side];
    if (v === undefined) continue;
    out.push({ check, kind, field: `${prefix}.${key}.${side}`, [side]: v, unit });
  }
  return out;
}

/** The promotion gates (`metrics.*`) and abort bounds (`abort.*`) of a policy spec, each set ones only. */
export function trafficBounds(spec: TrafficBoundsSpec): {
  readonly gates: readonly TrafficBound[];
  readonly abort: readonly TrafficBound[];
} {
  return { gates: boundsOf(spec.metrics, 'gate'), abort: boundsOf(spec.abort, 'abort') };
}

/** True when `value` misses the bound. No value (no traffic) is not a breach: the caller decides. */
export function breaches(bound: TrafficBound, value: number): boolean {
  if (Number.isNaN(value)) return false;
  return (
    (bound.min !== undefined && value < bound.min) || (bound.max !== undefined && value > bound.max)
  );
}

/**
 * A PromQL expression that returns a sample exactly when the bound is breached and an empty
 * vector otherwise (also with no data): `(<query>) < min` / `(<query>) > max`. Several bounds
 * joined with `or` make one "is any abort bound breached" query.
 */
export function breachQuery(bound: TrafficBound, query: string): string {
  return bound.min !== undefined
    ? `(${query}) < ${promNumber(bound.min)}`
    : `(${query}) > ${promNumber(bound.max!)}`;
}

/**
 * One query that returns a sample when any of `bounds` is breached, the queries rendered for one
 * workload (Flagger's webhooks are not templated, unlike MetricTemplates).
 */
export function anyBreachQuery(
  bounds: readonly TrafficBound[],
  queries: Readonly<Record<TrafficCheck, string>>,
  vars: QueryVars,
): string {
  return bounds.map((b) => breachQuery(b, renderQuery(queries[b.check], vars))).join(' or ');
}

/** A string as one bash word (single quotes; a quote inside becomes '\''). */
export function shellWord(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A bash command that exits 0 exactly when Prometheus at `prometheus` returns a sample for
 * `query` (an instant query now), and non-zero when the result is empty, Prometheus cannot be
 * reached or refuses the query. As a Flagger `rollback` hook run by flagger-loadtester
 * (`type: bash`: 200 when the command succeeds) this rolls the canary back at once on a breach,
 * and never because Prometheus is away (the metric checks count that).
 */
export function breachProbeCommand(prometheus: string, query: string, timeoutSeconds = 4): string {
  const endpoint = `${prometheus.replace(/\/+$/, '')}/api/v1/query`;
  return `curl -sfG -m ${timeoutSeconds} ${shellWord(endpoint)} --data-urlencode ${shellWord(`query=${query}`)} | grep -q '"value"'`;
}
