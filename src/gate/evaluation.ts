/**
 * Finds the evaluation of a version where MLflow puts it, through the `MlflowSource` primitives
 * (the same code for the REST client, `mlflow.db` and `mlruns/`):
 *
 * 1. runs tagged with Flagger's checksum or with the version (`versionTag`, today's way);
 * 2. MLflow 3: the version's LoggedModel, by name (`modelName`, Recif's `<agent>-v<version>`) or
 *    by the version tag on the model, and the runs that logged its `logged_model_metrics`
 *    (`mlflow.genai.evaluate` runs, tagged `mlflow.run.isEval`).
 *
 * Every lookup filters on the server (`runs/search` on a tag or run ids, `logged-models/search`
 * on a name or tag), so a busy experiment cannot push the baseline out of a page. The newest
 * FINISHED run wins; unfinished ones are only reported. For an evaluation run the per-row
 * assessments of its traces are read (`traces/search` on `metadata.mlflow.sourceRun`) for the
 * sample size and the statistical comparison.
 */
import type {
  CallOptions,
  LoggedModel,
  Metric,
  MlflowSource,
  Run,
  TraceInfo,
} from '../mlflow/types.js';
import { quoteKey, quoteValue } from '../mlflow/search.js';
import type { QualitySettings } from './settings.js';

export const IS_EVAL_TAG = 'mlflow.run.isEval';
export const SOURCE_RUN_METADATA = 'mlflow.sourceRun';

/** What was found for one version. */
export interface Evaluation {
  /** How it was found, for humans: `LoggedModel support-bot-v4 (m-1)`, `run tag checksum=c4`. */
  readonly via: string;
  readonly run: Run;
  readonly modelId?: string;
  /** Latest value per key (duplicates resolved to MLflow's latest: max (step, timestamp, value)). */
  readonly metrics: ReadonlyMap<string, number>;
  /** Evaluated rows and where the count came from. */
  readonly samples?: {
    readonly n: number;
    readonly from: 'dataset num_rows' | 'assessments' | 'metric';
  };
  /** Per-row feedback values per assessment name (lower-cased), when the run has traces. */
  readonly rows: ReadonlyMap<string, readonly number[]>;
  /** Things a human should know (a metric reported twice, rows skipped). */
  readonly notes: readonly string[];
}

export interface Side {
  readonly evaluation: Evaluation | null;
  /** Runs of this version that are not FINISHED (RUNNING, FAILED, ...), newest first. */
  readonly unfinished: readonly Run[];
  /** What was looked for, for the "no data" message. */
  readonly lookedFor: string;
}

export interface Evidence {
  readonly canary: Side;
  /** Absent when no stable version is known. */
  readonly stable?: Side;
}

export interface FindOptions extends CallOptions {
  /** Wraps each MLflow call (metrics, timing). */
  readonly timed?: <T>(operation: string, fn: () => Promise<T>) => Promise<T>;
  /** Rows per `traces/search` page. @default 500 */
  readonly tracePageSize?: number;
  /** Pages of traces read at most per run. @default 40 (20,000 rows) */
  readonly maxTracePages?: number;
}

interface Want {
  readonly version?: string;
  readonly checksum?: string;
}

/** Runs of one version, newest first, with how each was found. */
interface Candidates {
  readonly finished: readonly {
    readonly run: Run;
    readonly via: string;
    readonly model?: LoggedModel;
  }[];
  readonly unfinished: readonly Run[];
  readonly lookedFor: string;
}

const RUN_PAGE = 50;
const MODEL_PAGE = 20;

/** The LoggedModel name of a version. */
export function modelNameFor(s: QualitySettings, version: string): string {
  return s.modelName.replace(/\{version\}/g, version);
}

function tagOf(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** MLflow's latest: largest (step, timestamp, value). */
function newer(a: Metric, b: Metric): boolean {
  return (
    a.step > b.step ||
    (a.step === b.step &&
      (a.timestamp > b.timestamp || (a.timestamp === b.timestamp && a.value > b.value)))
  );
}

function metricsOf(
  run: Run,
  model: LoggedModel | undefined,
): { metrics: Map<string, number>; notes: string[] } {
  const best = new Map<string, Metric>();
  const seen = new Map<string, number[]>();
  const add = (m: Metric): void => {
    seen.set(m.key, [...(seen.get(m.key) ?? []), m.value]);
    const cur = best.get(m.key);
    if (!cur || newer(m, cur)) best.set(m.key, m);
  };
  for (const m of run.data.metrics ?? []) add(m);
  // A run that logged to its model but not to itself: take the model's rows of this run.
  if (best.size === 0 && model)
    for (const m of model.data.metrics ?? []) if (m.run_id === run.info.run_id) add(m);
  const notes: string[] = [];
  for (const [key, values] of seen) {
    if (values.length > 1) {
      notes.push(
        `metric ${key} is reported ${values.length} times in run ${run.info.run_id} (${values.map(String).join(', ')}); judged the latest, ${best.get(key)!.value}`,
      );
    }
  }
  return { metrics: new Map([...best].map(([k, m]) => [k, m.value])), notes };
}

/** `{"num_rows": 120}` in a dataset input's profile. */
function datasetRows(run: Run): number | undefined {
  let rows: number | undefined;
  for (const d of run.inputs?.dataset_inputs ?? []) {
    if (!d.dataset.profile) continue;
    try {
      const p = JSON.parse(d.dataset.profile) as { num_rows?: unknown };
      if (typeof p.num_rows === 'number' && Number.isFinite(p.num_rows))
        rows = Math.max(rows ?? 0, p.num_rows);
    } catch {
      // A profile that is not JSON says nothing about rows.
    }
  }
  return rows;
}

/** A feedback value as a number: numbers, booleans, and the judges' "yes"/"no". */
export function feedbackNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'yes' || t === 'true' || t === 'pass') return 1;
    if (t === 'no' || t === 'false' || t === 'fail') return 0;
    const n = Number(t);
    return t !== '' && Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** Per-row values per assessment name from the traces of one evaluation run. */
function rowsOf(
  traces: readonly TraceInfo[],
  runId: string,
): { rows: Map<string, number[]>; traced: number; skipped: number } {
  const rows = new Map<string, number[]>();
  let traced = 0;
  let skipped = 0;
  for (const t of traces) {
    // One value per (trace, name): the last valid feedback of this run.
    const last = new Map<string, number>();
    for (const a of t.assessments) {
      if (!a.valid || (a.run_id !== undefined && a.run_id !== runId)) continue;
      if (a.error !== undefined) {
        skipped++;
        continue;
      }
      const n = feedbackNumber(a.value);
      if (n === undefined) {
        skipped++;
        continue;
      }
      last.set(a.name.toLowerCase(), n);
    }
    if (last.size > 0) traced++;
    for (const [name, n] of last) {
      let list = rows.get(name);
      if (!list) rows.set(name, (list = []));
      list.push(n);
    }
  }
  return { rows, traced, skipped };
}

export class EvaluationFinder {
  constructor(
    private readonly source: MlflowSource,
    private readonly opts: FindOptions = {},
  ) {}

  private call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    return this.opts.timed ? this.opts.timed(operation, fn) : fn();
  }

  private get callOpts(): CallOptions {
    return { deadline: this.opts.deadline, signal: this.opts.signal };
  }

  private async runsWhere(experimentId: string, filter: string): Promise<Run[]> {
    const res = await this.call('runs/search', () =>
      this.source.searchRuns(
        {
          experiment_ids: [experimentId],
          filter,
          order_by: ['attributes.start_time DESC'],
          max_results: RUN_PAGE,
        },
        this.callOpts,
      ),
    );
    return [...res.runs];
  }

  private async modelsWhere(experimentId: string, filter: string): Promise<LoggedModel[]> {
    const res = await this.call('logged-models/search', () =>
      this.source.searchLoggedModels(
        { experiment_ids: [experimentId], filter, max_results: MODEL_PAGE },
        this.callOpts,
      ),
    );
    return [...res.models];
  }

  /** Evidence for the canary and, when a stable version is known, for stable. */
  async find(
    experimentId: string,
    s: QualitySettings,
    checksum: string | undefined,
  ): Promise<Evidence> {
    // When canary and stable share a version string only the checksum tells them apart.
    const canaryVersion =
      s.canaryVersion !== undefined && s.canaryVersion !== s.stableVersion
        ? s.canaryVersion
        : undefined;
    const [canary, stable] = await Promise.all([
      this.candidates(experimentId, s, { version: canaryVersion, checksum }),
      s.stableVersion !== undefined
        ? this.candidates(experimentId, s, { version: s.stableVersion })
        : Promise.resolve(undefined),
    ]);
    const canaryPick = canary.finished[0];
    // A run of the canary revision is never stable's baseline.
    const canaryIds = new Set(
      [...canary.finished, ...canary.unfinished.map((run) => ({ run }))].map(
        (c) => c.run.info.run_id,
      ),
    );
    const stablePick = stable?.finished.find((c) => !canaryIds.has(c.run.info.run_id));
    const [ce, se] = await Promise.all([
      canaryPick
        ? this.evaluation(experimentId, s, canaryPick.run, canaryPick.model, canaryPick.via)
        : Promise.resolve(null),
      stablePick
        ? this.evaluation(experimentId, s, stablePick.run, stablePick.model, stablePick.via)
        : Promise.resolve(null),
    ]);
    const side = (c: Candidates, evaluation: Evaluation | null, exclude?: Set<string>): Side => ({
      evaluation,
      unfinished: c.unfinished.filter((r) => !exclude?.has(r.info.run_id)),
      lookedFor: c.lookedFor,
    });
    return stable
      ? { canary: side(canary, ce), stable: side(stable, se, canaryIds) }
      : { canary: side(canary, ce) };
  }

  /**
   * Every FINISHED evaluation of `version`, newest first, each with its metrics (latest value per
   * key): the score history the dashboard plots. Found the same way as the gate's own evidence.
   */
  async evaluationsOf(
    experimentId: string,
    s: QualitySettings,
    version: string,
  ): Promise<{ run: Run; via: string; metrics: ReadonlyMap<string, number> }[]> {
    const c = await this.candidates(experimentId, s, { version });
    return c.finished.map((f) => ({
      run: f.run,
      via: f.via,
      metrics: metricsOf(f.run, f.model).metrics,
    }));
  }

  private async candidates(
    experimentId: string,
    s: QualitySettings,
    want: Want,
  ): Promise<Candidates> {
    const looked: string[] = [];
    const runQueries: Promise<Run[]>[] = [];
    const runLabels: string[] = [];
    const modelQueries: Promise<LoggedModel[]>[] = [];
    if (want.checksum) {
      looked.push(`run tag ${s.checksumTag}=${want.checksum}`);
      runLabels.push(`run tag ${s.checksumTag}=${want.checksum}`);
      runQueries.push(
        this.runsWhere(
          experimentId,
          `tags.${quoteKey(s.checksumTag)} = ${quoteValue(want.checksum)}`,
        ),
      );
    }
    if (want.version !== undefined) {
      const name = modelNameFor(s, want.version);
      looked.push(
        `run tag ${s.versionTag}=${want.version}`,
        `LoggedModel '${name}'`,
        `LoggedModel tag ${s.versionTag}=${want.version}`,
      );
      runLabels.push(`run tag ${s.versionTag}=${want.version}`);
      runQueries.push(
        this.runsWhere(
          experimentId,
          `tags.${quoteKey(s.versionTag)} = ${quoteValue(want.version)}`,
        ),
      );
      modelQueries.push(this.modelsWhere(experimentId, `name = ${quoteValue(name)}`));
      modelQueries.push(
        this.modelsWhere(
          experimentId,
          `tags.${quoteKey(s.versionTag)} = ${quoteValue(want.version)}`,
        ),
      );
    }
    const [runLists, modelLists] = await Promise.all([
      Promise.all(runQueries),
      Promise.all(modelQueries),
    ]);
    const runs = new Map<string, { run: Run; via: string; model?: LoggedModel }>();
    runLists.forEach((list, i) => {
      for (const run of list)
        if (!runs.has(run.info.run_id)) runs.set(run.info.run_id, { run, via: runLabels[i]! });
    });
    // Models, newest first, and the runs that logged their metrics (evaluation runs).
    const models = new Map<string, LoggedModel>();
    for (const list of modelLists) for (const m of list) models.set(m.info.model_id, m);
    const modelOfRun = new Map<string, LoggedModel>();
    for (const m of [...models.values()].sort(
      (a, b) => b.info.creation_timestamp_ms - a.info.creation_timestamp_ms,
    )) {
      for (const metric of m.data.metrics ?? [])
        if (metric.run_id && !modelOfRun.has(metric.run_id)) modelOfRun.set(metric.run_id, m);
    }
    const missing = [...modelOfRun.keys()].filter((id) => !runs.has(id)).slice(0, 100);
    if (missing.length > 0) {
      const byId = await this.runsWhere(
        experimentId,
        `attributes.run_id IN (${missing.map(quoteValue).join(', ')})`,
      );
      for (const run of byId) runs.set(run.info.run_id, { run, via: '' });
    }
    for (const [id, m] of modelOfRun) {
      const r = runs.get(id);
      if (r)
        runs.set(id, {
          run: r.run,
          model: m,
          via: `LoggedModel '${m.info.name}' (${m.info.model_id})`,
        });
    }
    const all = [...runs.values()]
      .filter((r) => r.run.info.lifecycle_stage === 'active')
      .sort((a, b) => (b.run.info.start_time ?? 0) - (a.run.info.start_time ?? 0));
    const finished = all.filter((r) => r.run.info.status === 'FINISHED');
    const unfinished = all.filter((r) => r.run.info.status !== 'FINISHED').map((r) => r.run);
    return { finished, unfinished, lookedFor: looked.join(' or ') };
  }

  private async evaluation(
    experimentId: string,
    s: QualitySettings,
    run: Run,
    model: LoggedModel | undefined,
    via: string,
  ): Promise<Evaluation> {
    const { metrics, notes } = metricsOf(run, model);
    const runId = run.info.run_id;
    let rows = new Map<string, number[]>();
    let traced = 0;
    // Only evaluation runs have per-row assessments; a hand-tagged run is judged on aggregates.
    if (tagOf(run, IS_EVAL_TAG) === 'true' || model) {
      const traces = await this.traces(experimentId, runId);
      const r = rowsOf(traces.list, runId);
      rows = r.rows;
      traced = r.traced;
      if (r.skipped > 0)
        notes.push(
          `${r.skipped} assessments of run ${runId} had an error or no numeric value and were left out`,
        );
      if (traces.truncated)
        notes.push(`run ${runId} has more traces than the gate reads (${traces.list.length} read)`);
    }
    const fromDataset = datasetRows(run);
    const samplesKey =
      [...metrics.keys()].find((k) => k === s.samplesKey) ??
      [...metrics.keys()].find((k) => k.toLowerCase() === s.samplesKey.toLowerCase());
    const fromMetric = samplesKey !== undefined ? metrics.get(samplesKey) : undefined;
    const samples =
      fromDataset !== undefined
        ? { n: fromDataset, from: 'dataset num_rows' as const }
        : traced > 0
          ? { n: traced, from: 'assessments' as const }
          : fromMetric !== undefined && Number.isFinite(fromMetric)
            ? { n: fromMetric, from: 'metric' as const }
            : undefined;
    return { via, run, modelId: model?.info.model_id, metrics, samples, rows, notes };
  }

  private async traces(
    experimentId: string,
    runId: string,
  ): Promise<{ list: TraceInfo[]; truncated: boolean }> {
    const list: TraceInfo[] = [];
    let token: string | undefined;
    const pages = this.opts.maxTracePages ?? 40;
    for (let page = 0; page < pages; page++) {
      const res = await this.call('traces/search', () =>
        this.source.searchTraces(
          {
            experiment_ids: [experimentId],
            filter: `metadata.${quoteKey(SOURCE_RUN_METADATA)} = ${quoteValue(runId)}`,
            max_results: this.opts.tracePageSize ?? 500,
            page_token: token,
          },
          this.callOpts,
        ),
      );
      list.push(...res.traces);
      token = res.next_page_token;
      if (!token) return { list, truncated: false };
    }
    return { list, truncated: true };
  }
}
