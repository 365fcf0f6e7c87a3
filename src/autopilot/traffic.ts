/**
 * The policy's traffic checks against Prometheus, with the PromQL of the generated Flagger
 * MetricTemplates (`queries` in constructs/metric-templates.ts, rendered with manual mode's
 * workloads `<slug>-canary` and `<slug>` instead of Flagger's `<target>` and `<target>-primary`)
 * and the bounds Flagger gets (`effectiveBounds`: the strictest of gate and abort bound):
 *
 *   request-success-rate  >= successRateMin        request-duration (p99 ms) <= latencyP99Max
 *   error-rate            <= errorRateMax          (only when the success bound does not imply it)
 *   error-rate-vs-primary <= 0, latency-vs-primary <= 0   (the canary against stable)
 *
 * over Flagger's window (`analysisWindow`: the analysis interval, at least 1m). A query with no
 * value (no traffic in the window) fails its check, as in Flagger. A Prometheus that does not
 * answer decides nothing (`unavailable`): an outage of the monitoring is not the canary's fault.
 */
import { effectiveBounds } from '../../constructs/_bounds.js';
import { analysisWindow, queries, type MetricCheck } from '../../constructs/metric-templates.js';
import type { FleetAgent } from '../fleet/types.js';
import type { Bound, PolicySpec } from '../policy/types.js';

export interface TrafficCheck {
  readonly check: MetricCheck;
  readonly query: string;
  readonly bound: Bound;
  /** The query's value; null when it returned nothing. */
  readonly value: number | null;
  readonly passed: boolean;
}

export interface TrafficEvidence {
  /** `skipped`: no Prometheus given to a manual path (guard.ts), which then judges quality and hold only. */
  readonly status: 'checked' | 'unavailable' | 'not-configured' | 'skipped';
  readonly passed: boolean;
  readonly message: string;
  readonly checks: readonly TrafficCheck[];
}

export interface PlannedCheck {
  readonly check: MetricCheck;
  readonly query: string;
  readonly bound: Bound;
}

/** The checks of a manual-mode agent under its policy, PromQL rendered. */
export function trafficChecks(agent: FleetAgent, policy: PolicySpec): PlannedCheck[] {
  const slug = agent.agent.metadata.name;
  const namespace = agent.agent.metadata.namespace;
  const source = agent.rollout.routing === 'gateway-api' ? 'app' : 'istio';
  const q = queries(
    { source, vsPrimary: policy.metrics.vsPrimary },
    { canary: `${slug}-canary`, stable: slug },
  );
  const window = analysisWindow(policy.analysis.interval);
  // Flagger's template variables, as Flagger renders them.
  const render = (t: string): string =>
    t.replaceAll('{{ namespace }}', namespace).replaceAll('{{ interval }}', window);
  const b = effectiveBounds(policy);
  const out: PlannedCheck[] = [];
  const add = (check: MetricCheck, bound: Bound): void => {
    out.push({ check, query: render(q[check]), bound });
  };
  if (b.successRateMin !== undefined) add('request-success-rate', { min: b.successRateMin });
  if (b.latencyP99Max !== undefined) add('request-duration', { max: b.latencyP99Max });
  if (b.errorRateMax !== undefined) add('error-rate', { max: b.errorRateMax });
  if (policy.metrics.vsPrimary?.errorRate) add('error-rate-vs-primary', { max: 0 });
  if (policy.metrics.vsPrimary?.latencyP99) add('latency-vs-primary', { max: 0 });
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
      checks.push({ ...p, value, passed: value !== null && within(value, p.bound) });
    }
    const failed = checks.filter((c) => !c.passed);
    return {
      status: 'checked',
      passed: failed.length === 0,
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
