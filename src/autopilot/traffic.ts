/**
 * The policy's traffic checks against Prometheus, with the PromQL of the generated Flagger
 * MetricTemplates (`trafficQueries` in src/traffic/queries.ts, which the generator's templates,
 * the dashboards and this file share; rendered with manual mode's workloads `<slug>-canary` and
 * `<slug>` instead of Flagger's `<target>` and `<target>-primary`) and the policy's bounds as the
 * generator maps them (`trafficBounds`: promotion gates `metrics.*`, abort bounds `abort.*`),
 * plus the canary against stable (`error-rate-vs-primary`, `latency-vs-primary`: <= 0), over
 * Flagger's window (`analysisWindow`: the analysis interval, at least 1m).
 *
 * A missed gate is a failed check. A breached abort bound rolls the canary back at once, as the
 * generator's `abort` rollback hook does in Flagger. A query with no value (no traffic in the
 * window) fails its check, as in Flagger. A Prometheus that does not answer decides nothing
 * (`unavailable`): an outage of the monitoring is not the canary's fault.
 */
import type { FleetAgent } from '../fleet/types.js';
import type { Bound, PolicySpec } from '../policy/types.js';
import { trafficBounds } from '../traffic/bounds.js';
import {
  analysisWindow,
  renderQuery,
  trafficQueries,
  type TrafficCheck as MetricCheck,
} from '../traffic/queries.js';

export interface TrafficCheck {
  /** The check's name: the query (`request-success-rate`), `abort-<query>` for an abort bound. */
  readonly check: string;
  readonly query: string;
  readonly bound: Bound;
  /** An abort bound: breached means roll back now. */
  readonly abort: boolean;
  /** The query's value; null when it returned nothing. */
  readonly value: number | null;
  readonly passed: boolean;
}

export interface TrafficEvidence {
  /** `skipped`: no Prometheus given to a manual path (guard.ts), which then judges quality and hold only. */
  readonly status: 'checked' | 'unavailable' | 'not-configured' | 'skipped';
  readonly passed: boolean;
  /** An abort bound was breached: roll back without waiting for the threshold. */
  readonly aborted?: boolean;
  readonly message: string;
  readonly checks: readonly TrafficCheck[];
}

export interface PlannedCheck {
  readonly check: string;
  readonly metric: MetricCheck;
  readonly query: string;
  readonly bound: Bound;
  readonly abort: boolean;
}

/** The checks of a manual-mode agent under its policy, PromQL rendered. */
export function trafficChecks(agent: FleetAgent, policy: PolicySpec): PlannedCheck[] {
  const slug = agent.agent.metadata.name;
  const namespace = agent.agent.metadata.namespace;
  const q = trafficQueries({
    source: agent.rollout.routing === 'gateway-api' ? 'app' : 'istio',
    ...(policy.metrics.vsPrimary ? { vsPrimary: policy.metrics.vsPrimary } : {}),
    workloads: { canary: `${slug}-canary`, stable: slug },
  });
  const vars = {
    target: `${slug}-canary`,
    namespace,
    interval: analysisWindow(policy.analysis.interval),
  };
  const out: PlannedCheck[] = [];
  const add = (check: string, metric: MetricCheck, bound: Bound, abort: boolean): void => {
    out.push({ check, metric, query: renderQuery(q[metric], vars), bound, abort });
  };
  const { gates, abort } = trafficBounds(policy);
  for (const b of abort)
    add(`abort-${b.check}`, b.check, b.min !== undefined ? { min: b.min } : { max: b.max! }, true);
  for (const b of gates)
    add(b.check, b.check, b.min !== undefined ? { min: b.min } : { max: b.max! }, false);
  if (policy.metrics.vsPrimary?.errorRate)
    add('error-rate-vs-primary', 'error-rate-vs-primary', { max: 0 }, false);
  if (policy.metrics.vsPrimary?.latencyP99)
    add('latency-vs-primary', 'latency-vs-primary', { max: 0 }, false);
  return out;
}

function within(v: number, b: Bound): boolean {
  return (b.min === undefined || v >= b.min) && (b.max === undefined || v <= b.max);
}

function boundText(b: Bound): string {
  return [b.min !== undefined ? `>=${b.min}` : '', b.max !== undefined ? `<=${b.max}` : '']
    .filter(Boolean)
    .join(' ');
}

function round(v: number): string {
  return String(Math.round(v * 100) / 100);
}

/** `request-success-rate=99.5 (>=99) ok` */
export function describeCheck(c: TrafficCheck): string {
  return `${c.check}=${c.value === null ? 'no-data' : round(c.value)} (${boundText(c.bound)}) ${c.passed ? 'ok' : 'FAIL'}`;
}

export interface PrometheusOptions {
  /** Prometheus base URL; undefined: each policy's `prometheus`. */
  readonly url?: string;
  /** Per-query timeout. @default 5000 */
  readonly timeoutMs?: number;
  /**
   * No Prometheus at all: `wait` makes every canary wait, saying so (the autopilot never moves a
   * canary unchecked); `skip` passes the traffic part, recorded as not checked (the manual paths,
   * which a person asked for). @default undefined (checks run)
   */
  readonly disabled?: 'wait' | 'skip';
}

export class TrafficChecker {
  constructor(private readonly opts: PrometheusOptions = {}) {}

  /** Runs the agent's checks; `unavailable` when Prometheus cannot be asked. */
  async check(agent: FleetAgent, policy: PolicySpec): Promise<TrafficEvidence> {
    if (this.opts.disabled === 'skip') {
      return {
        status: 'skipped',
        passed: true,
        message: 'traffic not checked (no Prometheus given: --prometheus URL)',
        checks: [],
      };
    }
    if (this.opts.disabled === 'wait') {
      return {
        status: 'not-configured',
        passed: false,
        message:
          'no Prometheus is configured, so the traffic checks cannot run (set --prometheus URL)',
        checks: [],
      };
    }
    const base = (this.opts.url ?? policy.prometheus).replace(/\/+$/, '');
    const planned = trafficChecks(agent, policy);
    const checks: TrafficCheck[] = [];
    for (const p of planned) {
      let value: number | null;
      try {
        value = await this.query(base, p.query);
      } catch (err) {
        return {
          status: 'unavailable',
          passed: false,
          message: `Prometheus at ${base} did not answer (${(err as Error).message})`,
          checks,
        };
      }
      checks.push({
        check: p.check,
        query: p.query,
        bound: p.bound,
        abort: p.abort,
        value,
        // No value is no breach of an abort bound (the gates fail it), as the abort hook reads it.
        passed: value === null ? p.abort : within(value, p.bound),
      });
    }
    const failed = checks.filter((c) => !c.passed);
    return {
      status: 'checked',
      passed: failed.length === 0,
      aborted: failed.some((c) => c.abort),
      message:
        failed.length === 0
          ? `traffic checks passed: ${checks.map(describeCheck).join('; ')}`
          : `traffic checks failed: ${failed.map(describeCheck).join('; ')}`,
      checks,
    };
  }

  /** One instant query; the first sample's value, or null when the result is empty or NaN. */
  private async query(base: string, promql: string): Promise<number | null> {
    const res = await fetch(`${base}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: promql }).toString(),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 5000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 200)}`);
    const body = JSON.parse(text) as {
      status?: string;
      data?: { resultType?: string; result?: unknown };
    };
    if (body.status !== 'success') throw new Error(`query failed: ${text.slice(0, 200)}`);
    const r = body.data?.result;
    let raw: unknown;
    if (body.data?.resultType === 'scalar' && Array.isArray(r)) raw = r[1];
    else if (Array.isArray(r) && r.length > 0) raw = (r[0] as { value?: unknown[] }).value?.[1];
    if (raw === undefined) return null;
    const v = Number(raw);
    return Number.isFinite(v) ? v : null;
  }
}
