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
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { MetricTemplate, MetricTemplateSpecProviderType } from '../imports/flagger-flagger.app.js';
import type { AgentResource } from '../src/fleet/types.js';
import { SyncWave, agentLabels, syncWave } from './_labels.js';

export type MetricCheck = 'request-success-rate' | 'request-duration' | 'error-rate';
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
}

export class MetricTemplates extends Construct {
  /** Template name per check, for the Canary's `templateRef`. */
  readonly names: ReadonlyMap<MetricCheck, string>;
  readonly templates: readonly MetricTemplate[];

  constructor(scope: Construct, id: string, props: MetricTemplatesProps) {
    super(scope, id);
    const { agent } = props;
    if (!/^https?:\/\//.test(props.prometheus)) {
      throw new ConstructInputError(`MetricTemplates ${agent.metadata.namespace}/${agent.metadata.name}: props.prometheus '${props.prometheus}' is not an http(s) URL. Fix: set the policy's prometheus to e.g. http://prometheus.istio-system:9090`);
    }
    const q = queries(props);
    const names = new Map<MetricCheck, string>();
    const templates: MetricTemplate[] = [];
    for (const check of [...new Set(props.checks)]) {
      const name = `${agent.metadata.name}-${check}`;
      names.set(check, name);
      templates.push(new MetricTemplate(this, check, {
        metadata: { name, namespace: agent.metadata.namespace, labels: agentLabels(agent), annotations: syncWave(SyncWave.CONFIG) },
        spec: { provider: { type: MetricTemplateSpecProviderType.PROMETHEUS, address: props.prometheus }, query: q[check] },
      }));
    }
    this.names = names;
    this.templates = templates;
  }
}

/** The PromQL of each check (Go templates over `{{ target }}`, `{{ namespace }}`, `{{ interval }}`); the dashboards reuse it. */
export function queries(p: Pick<MetricTemplatesProps, 'source' | 'statusLabel' | 'podLabel' | 'namespaceLabel'>): Record<MetricCheck, string> {
  if (p.source === 'istio') {
    const sel = 'reporter="destination",destination_workload_namespace="{{ namespace }}",destination_workload="{{ target }}"';
    const total = `sum(rate(istio_requests_total{${sel}}[{{ interval }}]))`;
    const ok = `sum(rate(istio_requests_total{${sel},response_code!~"5.*"}[{{ interval }}]))`;
    return {
      'request-success-rate': `${ok} / ${total} * 100`,
      // 100 - success: a canary without 5xx still yields a number (a ratio of 5xx would be empty).
      'error-rate': `100 - ${ok} / ${total} * 100`,
      'request-duration': `histogram_quantile(0.99, sum(rate(istio_request_duration_milliseconds_bucket{${sel}}[{{ interval }}])) by (le))`,
    };
  }
  const ns = p.namespaceLabel ?? 'namespace';
  const pod = p.podLabel ?? 'pod';
  const status = p.statusLabel ?? 'status';
  const sel = `${ns}="{{ namespace }}",${pod}=~"{{ target }}-[0-9a-zA-Z]+(-[0-9a-zA-Z]+)"`;
  const total = `sum(rate(http_request_duration_seconds_count{${sel}}[{{ interval }}]))`;
  const ok = `sum(rate(http_request_duration_seconds_count{${sel},${status}!~"5.*"}[{{ interval }}]))`;
  return {
    'request-success-rate': `${ok} / ${total} * 100`,
    'error-rate': `100 - ${ok} / ${total} * 100`,
    // Seconds histogram, reported in milliseconds like Flagger's built-in request-duration.
    'request-duration': `histogram_quantile(0.99, sum(rate(http_request_duration_seconds_bucket{${sel}}[{{ interval }}])) by (le)) * 1000`,
  };
}
