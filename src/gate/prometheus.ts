/**
 * A minimal Prometheus registry (text exposition format 0.0.4): counters and histograms with
 * labels. The gate exports only a handful of series, so a dependency is not worth it.
 */
type Labels = Readonly<Record<string, string>>;

const labelCache = new Map<string, string>();

/** `{a="x",b="y"}`; memoised because the hot path increments the same few series. */
function labelText(labels: Labels): string {
  let raw = '';
  for (const k in labels) raw += `${k}\u0000${labels[k]}\u0001`;
  const hit = labelCache.get(raw);
  if (hit !== undefined) return hit;
  const text = renderLabels(labels);
  if (labelCache.size < 10_000) labelCache.set(raw, text);
  return text;
}

function renderLabels(labels: Labels): string {
  const parts = Object.entries(labels).map(
    ([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"')}"`,
  );
  return parts.length ? `{${parts.join(',')}}` : '';
}

interface Metric {
  render(): string;
}

export class Counter implements Metric {
  private readonly values = new Map<string, { labels: Labels; value: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Labels = {}, by = 1): void {
    // Label names are fixed per counter, so the values alone identify a series.
    let raw = '';
    for (const k in labels) raw += labels[k] + '\u0001';
    const cur = this.values.get(raw);
    if (cur) cur.value += by;
    else this.values.set(raw, { labels, value: by });
  }
  get(labels: Labels = {}): number {
    let raw = '';
    for (const k in labels) raw += labels[k] + '\u0001';
    return this.values.get(raw)?.value ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const v of this.values.values())
      lines.push(`${this.name}${labelText(v.labels)} ${v.value}`);
    return lines.join('\n');
  }
}

export class Histogram implements Metric {
  private readonly series = new Map<
    string,
    { labels: Labels; counts: number[]; sum: number; count: number }
  >();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}
  observe(labels: Labels, value: number): void {
    const key = labelText(labels);
    let s = this.series.get(key);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    this.buckets.forEach((b, i) => {
      if (value <= b) s.counts[i]!++;
    });
    s.sum += value;
    s.count++;
  }
  count(labels: Labels = {}): number {
    return this.series.get(labelText(labels))?.count ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) =>
        lines.push(
          `${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`,
        ),
      );
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

/** The gate's series. */
export class GateMetrics {
  readonly decisions = new Counter(
    'agent_canary_gate_decisions_total',
    'Webhook answers by check (quality, step-hold, event, unknown), mode and result (pass, fail, no_data, unavailable_approve, unavailable_reject, hold, released, state_error, bad_request, unauthorized, logged).',
  );
  readonly cache = new Counter(
    'agent_canary_gate_cache_total',
    'Verdict cache lookups by result (hit, miss, shared: joined an in-flight MLflow query).',
  );
  readonly mlflowDuration = new Histogram(
    'agent_canary_gate_mlflow_request_duration_seconds',
    'MLflow calls by source, operation and outcome.',
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  readonly mlflowErrors = new Counter(
    'agent_canary_gate_mlflow_errors_total',
    'MLflow calls that failed, by source, operation and kind (timeout, connection, http, malformed, auth, store, api).',
  );
  readonly http = new Counter(
    'agent_canary_gate_http_requests_total',
    'HTTP answers by route, method and status code.',
  );

  render(): string {
    return `${[this.decisions, this.cache, this.mlflowDuration, this.mlflowErrors, this.http].map((m) => m.render()).join('\n')}\n`;
  }
}
