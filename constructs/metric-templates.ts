/**
 * Flagger MetricTemplates for checks the mesh provider has no built-in for.
 *
 * Gateway API (and plain Kubernetes) providers have no L7 built-ins in Flagger, so success rate
 * and p99 latency come from the application's own Prometheus histogram
 * `http_request_duration_seconds` (what Flagger's generic HTTP observer reads), scoped to the
 * canary pods with Flagger's pod-name pattern `<target>-<replicaset hash>-<pod hash>` (which
 * never matches `<target>-primary-...`). Istio has the built-ins but no error-rate check; the
 * error-rate template over `istio_requests_total` covers an abort bound the success-rate gate does
 * not imply. Queries are Go templates rendered by Flagger (`{{ target }}`, `{{ namespace }}`,
 * `{{ interval }}`); each returns one number. Names are `<slug>-<check>` in the agent's namespace.
 *
 * The `*-vs-primary` checks compare the canary with the primary (`<target>-primary`, Flagger's
 * stable copy) over the same window, so a slow or erroring dependency that hits both does not
 * fail the canary: `canary 5xx % - max(factor x primary 5xx %, floor)` and
 * `canary p99 - (factor x primary p99 + margin)`, both passing at <= 0 (`thresholdRange.max: 0`).
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { MetricTemplate, MetricTemplateSpecProviderType } from '../imports/flagger-flagger.app.js';
import type { AgentResource } from '../src/fleet/types.js';
import { SyncWave, agentLabels, syncWave } from './_labels.js';
import { parseDuration } from './_duration.js';

export type MetricCheck =
  | 'request-success-rate'
  | 'request-duration'
  | 'error-rate'
  | 'error-rate-vs-primary'
  | 'latency-vs-primary';

/** The canary relative to the primary: each query's value must be <= 0. */
export interface VsPrimary {
  readonly errorRate?: { readonly factor: number; readonly floor?: number };
  readonly latencyP99?: { readonly factor: number; readonly marginMs?: number };
}
/** Which telemetry the queries read: Istio's sidecar metrics or the app's own histogram. */
export type MetricSource = 'istio' | 'app';

export interface MetricTemplatesProps {
  readonly agent: AgentResource;
  /** Prometheus address (the policy's `prometheus`). */
  readonly prometheus: string;
  readonly source: MetricSource;
  /** The checks to emit templates for. */
  readonly checks: readonly MetricCheck[];
  /** App metrics: label holding the HTTP status code. @default 'status' */
  readonly statusLabel?: string;
  /** App metrics: label holding the pod name. @default 'pod' */
  readonly podLabel?: string;
  /** App metrics: label holding the namespace. @default 'namespace' */
  readonly namespaceLabel?: string;
  /** Factors of the `*-vs-primary` checks. */
  readonly vsPrimary?: VsPrimary;
}

export class MetricTemplates extends Construct {
  /** Template name per check, for the Canary's `templateRef`. */
  readonly names: ReadonlyMap<MetricCheck, string>;
  readonly templates: readonly MetricTemplate[];

  constructor(scope: Construct, id: string, props: MetricTemplatesProps) {
    super(scope, id);
    const { agent } = props;
    if (!/^https?:\/\//.test(props.prometheus)) {
      throw new ConstructInputError(
        `MetricTemplates ${agent.metadata.namespace}/${agent.metadata.name}: props.prometheus '${props.prometheus}' is not an http(s) URL. Fix: set the policy's prometheus to e.g. http://prometheus.istio-system:9090`,
      );
    }
    const q = queries(props);
    const names = new Map<MetricCheck, string>();
    const templates: MetricTemplate[] = [];
    for (const check of [...new Set(props.checks)]) {
      const name = `${agent.metadata.name}-${check}`;
      names.set(check, name);
      templates.push(
        new MetricTemplate(this, check, {
          metadata: {
            name,
            namespace: agent.metadata.namespace,
            labels: agentLabels(agent),
            annotations: syncWave(SyncWave.CONFIG),
          },
          spec: {
            provider: {
              type: MetricTemplateSpecProviderType.PROMETHEUS,
              address: props.prometheus,
            },
            query: q[check],
          },
        }),
      );
    }
    this.names = names;
    this.templates = templates;
  }
}

/** A number as PromQL reads it (no exponent for ordinary factors). */
function num(n: number): string {
  if (!Number.isFinite(n))
    throw new ConstructInputError(`MetricTemplates: ${n} is not a finite number`);
  return String(n);
}

/**
 * The workloads a query compares. Flagger renders `{{ target }}` and names its stable copy
 * `<target>-primary`; manual mode (the autopilot, src/autopilot/traffic.ts) has Deployments
 * `<slug>-canary` and `<slug>` instead, and renders the same templates with those names.
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

/** Flagger's analysis window: the interval, but never below one minute (rate() needs samples). */
export function analysisWindow(interval: string): string {
  return parseDuration(interval, 'policy analysis.interval') >= 60 ? interval : '1m';
}

/** The PromQL of each check (Go templates over `{{ target }}`, `{{ namespace }}`, `{{ interval }}`); the dashboards and the autopilot reuse it. */
export function queries(
  p: Pick<
    MetricTemplatesProps,
    'source' | 'statusLabel' | 'podLabel' | 'namespaceLabel' | 'vsPrimary'
  >,
  workloads: QueryWorkloads = FLAGGER_WORKLOADS,
): Record<MetricCheck, string> {
  const ef = p.vsPrimary?.errorRate;
  const lf = p.vsPrimary?.latencyP99;
  // `err(w)`: percent of 5xx of workload w, as 100 - success so that zero errors is 0, not empty.
  const relative = (
    err: (primary: boolean) => string,
    p99: (primary: boolean) => string,
  ): Pick<Record<MetricCheck, string>, 'error-rate-vs-primary' | 'latency-vs-primary'> => ({
    'error-rate-vs-primary': `${err(false)} - clamp_min(${num(ef?.factor ?? 2)} * ${err(true)}, ${num(ef?.floor ?? 0)})`,
    'latency-vs-primary': `${p99(false)} - (${num(lf?.factor ?? 1.5)} * ${p99(true)} + ${num(lf?.marginMs ?? 0)})`,
  });
  if (p.source === 'istio') {
    const selOf = (primary: boolean): string =>
      `reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="${primary ? workloads.stable : workloads.canary}"`;
    const sel = selOf(false);
    const totalOf = (primary: boolean): string =>
      `sum(rate(istio_requests_total{${selOf(primary)}}[{{ interval }}]))`;
    const okOf = (primary: boolean): string =>
      `sum(rate(istio_requests_total{${selOf(primary)},response_code!~"5.*"}[{{ interval }}]))`;
    const total = totalOf(false);
    const ok = okOf(false);
    const p99 = (primary: boolean): string =>
      `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${selOf(primary)}}[{{ interval }}])) by (le))`;
    return {
      'request-success-rate': `${ok} / ${total} * 100`,
      // 100 - success: a canary without 5xx still yields a number (a ratio of 5xx would be empty).
      'error-rate': `100 - ${ok} / ${total} * 100`,
      'request-duration': `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${sel}}[{{ interval }}])) by (le))`,
      ...relative((primary) => `(100 - ${okOf(primary)} / ${totalOf(primary)} * 100)`, p99),
    };
  }
  const ns = p.namespaceLabel ?? 'namespace';
  const pod = p.podLabel ?? 'pod';
  const status = p.statusLabel ?? 'status';
  // Flagger's pod names: <target>-<replicaset hash>-<pod hash> (canary), <target>-primary-... (primary).
  const selOf = (primary: boolean): string =>
    `${ns}="{{ namespace }}",${pod}=~"${primary ? workloads.stable : workloads.canary}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;
  const sel = selOf(false);
  const totalOf = (primary: boolean): string =>
    `sum(rate(http_request_duration_seconds_count{${selOf(primary)}}[{{ interval }}]))`;
  const okOf = (primary: boolean): string =>
    `sum(rate(http_request_duration_seconds_count{${selOf(primary)},${status}!~"5.*"}[{{ interval }}]))`;
  const total = totalOf(false);
  const ok = okOf(false);
  const p99 = (primary: boolean): string =>
    `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${selOf(primary)}}[{{ interval }}])) by (le)) * 1000`;
  return {
    'request-success-rate': `${ok} / ${total} * 100`,
    'error-rate': `100 - ${ok} / ${total} * 100`,
    // Seconds histogram, reported in milliseconds like Flagger's built-in request-duration.
    'request-duration': `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${sel}}[{{ interval }}])) by (le)) * 1000`,
    ...relative(
      (primary) => `(100 - ${okOf(primary)} / ${totalOf(primary)} * 100)`,
      (primary) => `(${p99(primary)})`,
    ),
  };
}
