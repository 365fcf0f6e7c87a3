/**
 * The PromQL of every traffic check, in one place: Flagger's MetricTemplates (constructs/
 * metric-templates.ts), the Grafana dashboards, the progressive-mode abort hook and the
 * manual-mode autopilot all read the same queries, so a panel, a Flagger check and an autopilot
 * check can never disagree about what "the canary's 5xx rate" means.
 *
 * Queries are Flagger Go templates over `{{ target }}`, `{{ namespace }}` and `{{ interval }}`
 * (Flagger renders them; `renderQuery` does the same for callers that query Prometheus
 * themselves). Each returns one number:
 * - `request-success-rate`: percent of non-5xx requests of the canary;
 * - `error-rate`: percent of 5xx requests (`100 - success`, so a canary without 5xx is 0, not empty);
 * - `request-duration`: p99 latency in milliseconds; `request-duration-p50`: the median;
 * - `error-rate-vs-primary`, `latency-vs-primary`: the canary against the primary on the same
 *   window, passing at <= 0.
 *
 * Two telemetry sources: Istio's sidecar metrics (`istio_requests_total`,
 * `istio_request_duration_milliseconds_bucket`, by `destination_workload`) and the application's
 * own histogram `http_request_duration_seconds` (what Flagger's generic HTTP observer reads, for
 * Gateway API), scoped by pod name `<workload>-<replicaset hash>-<pod hash>`.
 */

export type TrafficCheck =
  | 'request-success-rate'
  | 'request-duration'
  | 'request-duration-p50'
  | 'error-rate'
  | 'error-rate-vs-primary'
  | 'latency-vs-primary';

/** Which telemetry the queries read: Istio's sidecar metrics or the app's own histogram. */
export type MetricSource = 'istio' | 'app';

/** The canary relative to the primary: each query's value must be <= 0. */
export interface VsPrimary {
  readonly errorRate?: { readonly factor: number; readonly floor?: number };
  readonly latencyP99?: { readonly factor: number; readonly marginMs?: number };
}

/**
 * The workloads a query compares. Flagger: the canary is the target (`{{ target }}`) and the
 * stable copy `{{ target }}-primary`. Manual mode: the canary is `<slug>-canary`, stable `<slug>`.
 */
export interface QueryWorkloads {
  readonly canary: string;
  readonly stable: string;
}

/** Flagger's names: the Canary's target and its primary. */
export const FLAGGER_WORKLOADS: QueryWorkloads = {
  canary: '{{ target }}',
  stable: '{{ target }}-primary',
};

/** Flagger's metric window: the analysis interval, but never below one minute (rate() needs samples). */
export function analysisWindow(interval: string): string {
  const m = /^([0-9]+)(s|m)$/.exec(interval);
  if (!m)
    throw new RangeError(`analysis interval ${JSON.stringify(interval)} is not a Flagger duration`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1) >= 60 ? interval : '1m';
}

export interface TrafficQueryOptions {
  readonly source: MetricSource;
  /** App metrics: label holding the HTTP status code. @default 'status' */
  readonly statusLabel?: string;
  /** App metrics: label holding the pod name. @default 'pod' */
  readonly podLabel?: string;
  /** App metrics: label holding the namespace. @default 'namespace' */
  readonly namespaceLabel?: string;
  /** Factors of the `*-vs-primary` checks. @default { errorRate: {factor: 2, floor: 0}, latencyP99: {factor: 1.5, marginMs: 0} } */
  readonly vsPrimary?: VsPrimary;
  /** @default FLAGGER_WORKLOADS */
  readonly workloads?: QueryWorkloads;
}

/** A number as PromQL reads it (no exponent for ordinary factors). */
export function promNumber(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`PromQL: ${n} is not a finite number`);
  return String(n);
}

// Every agent of a fleet asks for the same few variants: build each once (frozen, shared).
const memo = new Map<string, Readonly<Record<TrafficCheck, string>>>();

/** The PromQL of each check (Go templates over `{{ target }}`, `{{ namespace }}`, `{{ interval }}`). */
export function trafficQueries(p: TrafficQueryOptions): Readonly<Record<TrafficCheck, string>> {
  const w = p.workloads ?? FLAGGER_WORKLOADS;
  const key = JSON.stringify([
    p.source,
    p.statusLabel,
    p.podLabel,
    p.namespaceLabel,
    p.vsPrimary?.errorRate?.factor,
    p.vsPrimary?.errorRate?.floor,
    p.vsPrimary?.latencyP99?.factor,
    p.vsPrimary?.latencyP99?.marginMs,
    w.canary,
    w.stable,
  ]);
  let q = memo.get(key);
  if (!q) {
    q = Object.freeze(buildQueries(p, w));
    if (memo.size < 1000) memo.set(key, q);
  }
  return q;
}

function buildQueries(p: TrafficQueryOptions, w: QueryWorkloads): Record<TrafficCheck, string> {
  const ef = p.vsPrimary?.errorRate;
  const lf = p.vsPrimary?.latencyP99;
  const workload = (primary: boolean): string => (primary ? w.stable : w.canary);
  let selOf: (primary: boolean) => string;
  let countMetric: string;
  let bucketMetric: string;
  let statusLabel: string;
  // The app histogram is in seconds; every latency is reported in milliseconds like Flagger's built-in.
  let toMs: string;
  if (p.source === 'istio') {
    selOf = (primary) =>
      `reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="${workload(primary)}"`;
    countMetric = 'istio_requests_total';
    bucketMetric = 'istio_request_duration_milliseconds_bucket';
    statusLabel = 'response_code';
    toMs = '';
  } else {
    const ns = p.namespaceLabel ?? 'namespace';
    const pod = p.podLabel ?? 'pod';
    // Flagger's pod names: <target>-<replicaset hash>-<pod hash> (never <target>-primary-...).
    selOf = (primary) =>
      `${ns}="{{ namespace }}",${pod}=~"${workload(primary)}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;
    countMetric = 'http_request_duration_seconds_count';
    bucketMetric = 'http_request_duration_seconds_bucket';
    statusLabel = p.statusLabel ?? 'status';
    toMs = ' * 1000';
  }
  const total = (primary: boolean): string =>
    `sum(rate(${countMetric}{${selOf(primary)}}[{{ interval }}]))`;
  const ok = (primary: boolean): string =>
    `sum(rate(${countMetric}{${selOf(primary)},${statusLabel}!~"5.*"}[{{ interval }}]))`;
  const quantile = (q: number, primary: boolean): string =>
    `histogram_quantile(${q}, sum(rate(${bucketMetric}{${selOf(primary)}}[{{ interval }}])) by (le))${toMs}`;
  const errPercent = (primary: boolean): string =>
    `(100 - ${ok(primary)} / ${total(primary)} * 100)`;
  const p99 = (primary: boolean): string =>
    toMs ? `(${quantile(0.99, primary)})` : quantile(0.99, primary);
  return {
    'request-success-rate': `${ok(false)} / ${total(false)} * 100`,
    // 100 - success: a canary without 5xx still yields a number (a ratio of 5xx would be empty).
    'error-rate': `100 - ${ok(false)} / ${total(false)} * 100`,
    'request-duration': quantile(0.99, false),
    'request-duration-p50': quantile(0.5, false),
    'error-rate-vs-primary': `${errPercent(false)} - clamp_min(${promNumber(ef?.factor ?? 2)} * ${errPercent(true)}, ${promNumber(ef?.floor ?? 0)})`,
    'latency-vs-primary': `${p99(false)} - (${promNumber(lf?.factor ?? 1.5)} * ${p99(true)} + ${promNumber(lf?.marginMs ?? 0)})`,
  };
}

/** Values of Flagger's template variables, for callers that query Prometheus themselves. */
export interface QueryVars {
  /** `{{ target }}`: the target Deployment (Flagger) or the canary workload (manual). */
  readonly target: string;
  readonly namespace: string;
  /** `{{ interval }}`: the range of `rate()`, a Prometheus duration like `1m`. */
  readonly interval: string;
}

/**
 * A query with Flagger's variables filled in, as Flagger's `text/template` renders it. Values are
 * DNS-1123 names and durations, which need no escaping inside PromQL strings; anything else is
 * refused rather than quoted wrongly.
 */
export function renderQuery(template: string, vars: QueryVars): string {
  for (const [k, v] of Object.entries(vars)) {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(v))
      throw new RangeError(`renderQuery: ${k} ${JSON.stringify(v)} is not a name or a duration`);
  }
  return template.replace(
    /\{\{ (target|namespace|interval) \}\}/g,
    (_m, k: keyof QueryVars) => vars[k],
  );
}
