/**
 * Flagger MetricTemplates for checks the mesh provider has no built-in for.
 *
 * The queries themselves live in src/traffic/queries.ts (one place for the MetricTemplates, the
 * Grafana dashboards, the abort hook and the manual-mode autopilot).
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
import {
  analysisWindow as windowOf,
  FLAGGER_WORKLOADS,
  trafficQueries,
  type QueryWorkloads,
  type MetricSource,
  type TrafficCheck,
  type VsPrimary,
} from '../src/traffic/queries.js';
import { SyncWave, agentLabels, syncWave } from './_labels.js';

/** The checks (src/traffic/queries.ts holds their PromQL, shared with the dashboards and the autopilot). */
export type MetricCheck = TrafficCheck;
export type { MetricSource, VsPrimary, QueryWorkloads };
export { FLAGGER_WORKLOADS };

/** Flagger's analysis window: the interval, but never below one minute (rate() needs samples). */
export function analysisWindow(interval: string): string {
  try {
    return windowOf(interval);
  } catch (err) {
    throw new ConstructInputError(`policy analysis.interval: ${(err as Error).message}`);
  }
}

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

/**
 * The PromQL of each check (Go templates over `{{ target }}`, `{{ namespace }}`, `{{ interval }}`);
 * the dashboards and the autopilot reuse it. `workloads`: Flagger's `<target>` / `<target>-primary`
 * by default, manual mode's `<slug>-canary` / `<slug>` for the autopilot.
 */
export function queries(
  p: Pick<
    MetricTemplatesProps,
    'source' | 'statusLabel' | 'podLabel' | 'namespaceLabel' | 'vsPrimary'
  >,
  workloads: QueryWorkloads = FLAGGER_WORKLOADS,
): Record<MetricCheck, string> {
  try {
    return trafficQueries({ ...p, workloads });
  } catch (err) {
    throw new ConstructInputError(`MetricTemplates: ${(err as Error).message}`);
  }
}
