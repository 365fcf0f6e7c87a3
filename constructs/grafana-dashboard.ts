/**
 * One Grafana dashboard per agent namespace, as a ConfigMap the Grafana sidecar loads (label
 * `grafana_dashboard: "1"`, file `agent-canary-<namespace>.json`): traffic split, error rate and
 * p99 latency canary vs stable, rollout progress (Flagger's weight and status) and the quality
 * gate's verdicts, for the agent picked in the `agent` variable.
 *
 * The request panels use the MetricTemplates' own PromQL (`queries()` in metric-templates.ts),
 * with the template variables filled in for a dashboard: `{{ namespace }}` is the namespace,
 * `{{ interval }}` Grafana's `$__rate_interval`, and `{{ target }}` every workload of the agent
 * (`$agent`, `$agent-canary`, `$agent-primary`), summed per workload so stable and canary are two
 * series: in manual mode `<slug>` is stable and `<slug>-canary` the challenger; in progressive
 * mode `<slug>-primary` is stable and `<slug>` the challenger. Istio agents read Istio's
 * telemetry, Gateway API agents their own `http_request_duration_seconds` histogram, as the
 * templates do; a row per source is emitted only when an agent of the namespace uses it.
 *
 * The gate's counter `agent_canary_gate_decisions_total` has no agent label, so its panel shows
 * every verdict of the gate server (by check and result).
 */
import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import { MANAGED_BY, SyncWave, syncWave } from './_labels.js';
import { queries, type MetricSource } from './metric-templates.js';

export interface DashboardAgent {
  readonly name: string;
  readonly source: MetricSource;
}

export interface NamespaceDashboardProps {
  readonly namespace: string;
  /** The namespace's agents (the `agent` variable's options), with the telemetry they use. */
  readonly agents: readonly DashboardAgent[];
}

type Panel = Record<string, unknown>;

/** The agent's workloads, whatever the mode: `<slug>`, `<slug>-canary`, `<slug>-primary`. */
const WORKLOADS = '$agent(-canary|-primary)?';

/** A MetricTemplate query made a per-workload dashboard query. */
export function dashboardQuery(template: string, namespace: string, source: MetricSource): string {
  let q = template
    .replaceAll('{{ namespace }}', namespace)
    .replaceAll('{{ interval }}', '$__rate_interval');
  // The agent's workloads instead of one target; then every `sum(rate(...))` grouped per workload.
  q = q
    .replaceAll('destination_workload="{{ target }}"', `destination_workload=~"${WORKLOADS}"`)
    .replaceAll('{{ target }}-', `${WORKLOADS}-`);
  const group = source === 'istio' ? 'destination_workload' : 'workload';
  q = q.replace(
    /sum\(rate\((.+?)\[\$__rate_interval\]\)\)( by \(le\))?/g,
    (_m, sel: string, le?: string) => {
      const rate = `rate(${sel}[$__rate_interval])`;
      // Pods are named <workload>-<replicaset hash>-<pod hash>: the app metrics' workload comes from the pod name.
      const series =
        source === 'istio'
          ? rate
          : `label_replace(${rate}, "workload", "$1", "pod", "(.+)-[0-9a-zA-Z]+-[0-9a-zA-Z]+")`;
      return `sum by (${le ? 'le, ' : ''}${group}) (${series})`;
    },
  );
  return q;
}

function timeseries(
  id: number,
  title: string,
  y: number,
  x: number,
  targets: { expr: string; legend: string }[],
  unit: string,
  description: string,
): Panel {
  return {
    id,
    type: 'timeseries',
    title,
    description,
    datasource: { type: 'prometheus', uid: '${datasource}' },
    gridPos: { h: 8, w: 12, x, y },
    fieldConfig: { defaults: { unit }, overrides: [] },
    options: {
      legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'mean'] },
      tooltip: { mode: 'multi' },
    },
    targets: targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      expr: t.expr,
      legendFormat: t.legend,
    })),
  };
}

function row(id: number, title: string, y: number): Panel {
  return {
    id,
    type: 'row',
    title,
    collapsed: false,
    gridPos: { h: 1, w: 24, x: 0, y },
    panels: [],
  };
}

/** The dashboard model (Grafana JSON, schemaVersion 39). */
export function dashboardModel(props: NamespaceDashboardProps): Record<string, unknown> {
  const ns = props.namespace;
  const agents = [...props.agents].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const panels: Panel[] = [];
  let id = 1;
  let y = 0;
  const trackNote =
    'Manual mode: <agent> is stable, <agent>-canary the challenger. Progressive mode: <agent>-primary is stable, <agent> the challenger.';
  for (const source of ['istio', 'app'] as const) {
    if (!agents.some((a) => a.source === source)) continue;
    const q = queries({ source });
    const label = source === 'istio' ? '{{destination_workload}}' : '{{workload}}';
    const total = q['request-success-rate'].split(' / ')[1]!.replace(/ \* 100$/, '');
    panels.push(
      row(
        id++,
        source === 'istio'
          ? 'Requests (Istio telemetry)'
          : 'Requests (application metrics, Gateway API agents)',
        y++,
      ),
    );
    panels.push(
      timeseries(
        id++,
        'Traffic split',
        y,
        0,
        [
          {
            expr: `${dashboardQuery(total, ns, source)} / ignoring(${source === 'istio' ? 'destination_workload' : 'workload'}) group_left sum(${dashboardQuery(total, ns, source)}) * 100`,
            legend: label,
          },
        ],
        'percent',
        `Share of requests per workload. ${trackNote}`,
      ),
    );
    panels.push(
      timeseries(
        id++,
        'Error rate (5xx), canary vs stable',
        y,
        12,
        [{ expr: dashboardQuery(q['error-rate'], ns, source), legend: label }],
        'percent',
        `The error-rate MetricTemplate's query per workload. ${trackNote}`,
      ),
    );
    y += 8;
    panels.push(
      timeseries(
        id++,
        'Latency p99, canary vs stable',
        y,
        0,
        [{ expr: dashboardQuery(q['request-duration'], ns, source), legend: label }],
        'ms',
        `The request-duration MetricTemplate's query per workload. ${trackNote}`,
      ),
    );
    panels.push(
      timeseries(
        id++,
        'Success rate, canary vs stable',
        y,
        12,
        [{ expr: dashboardQuery(q['request-success-rate'], ns, source), legend: label }],
        'percent',
        `The request-success-rate MetricTemplate's query per workload. ${trackNote}`,
      ),
    );
    y += 8;
  }
  panels.push(row(id++, 'Rollout', y++));
  panels.push(
    timeseries(
      id++,
      'Rollout progress (Flagger weight and status)',
      y,
      0,
      [
        {
          expr: `flagger_canary_weight{namespace="${ns}",workload=~"$agent(-primary)?"}`,
          legend: 'weight {{workload}}',
        },
        {
          expr: `flagger_canary_status{namespace="${ns}",name="$agent"}`,
          legend: 'status (0 running, 1 succeeded, 2 failed)',
        },
      ],
      'none',
      'Progressive agents: the weight Flagger routes to each workload and the canary status. Manual agents: the weight is in Git (see the traffic split).',
    ),
  );
  panels.push(
    timeseries(
      id,
      'Quality gate verdicts',
      y,
      12,
      [
        {
          expr: 'sum by (check, result) (increase(agent_canary_gate_decisions_total[$__rate_interval]))',
          legend: '{{check}} {{result}}',
        },
      ],
      'short',
      'Answers of the agent-canary gate server by check (quality, step-hold) and result; the counter has no agent label, so this is every agent of the gate.',
    ),
  );

  const options = agents.map((a, i) => ({ text: a.name, value: a.name, selected: i === 0 }));
  return {
    title: `agent-canary: ${ns}`,
    uid: `agent-canary-${createHash('sha256').update(ns).digest('hex').slice(0, 12)}`,
    tags: ['agent-canary', ns],
    timezone: 'browser',
    schemaVersion: 39,
    editable: true,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
        },
        {
          name: 'agent',
          label: 'Agent',
          type: 'custom',
          query: agents.map((a) => a.name).join(','),
          current: options[0] ? { text: options[0].text, value: options[0].value } : {},
          options,
        },
      ],
    },
    panels,
  };
}

export class NamespaceDashboard extends Construct {
  readonly configMap: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: NamespaceDashboardProps) {
    super(scope, id);
    this.configMap = new k8s.KubeConfigMap(this, 'Dashboard', {
      metadata: {
        name: 'agent-canary-dashboard',
        namespace: props.namespace,
        labels: {
          grafana_dashboard: '1',
          'app.kubernetes.io/part-of': 'agent-canary',
          'app.kubernetes.io/managed-by': MANAGED_BY,
        },
        annotations: syncWave(SyncWave.CONFIG),
      },
      data: {
        [`agent-canary-${props.namespace}.json`]: `${JSON.stringify(dashboardModel(props), null, 2)}\n`,
      },
    });
  }
}
