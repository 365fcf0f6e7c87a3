/**
 * Writers for MLflow's local layouts, used by the stand-in server (runs/create, log-metric, ...)
 * and by tests and the demo to build data exactly where and how MLflow writes it. The gate
 * itself never writes: its readers live in src/mlflow and open stores read-only.
 */
import { randomUUID } from 'node:crypto';
import type { RunStatus } from '../mlflow/types.js';

export interface CreateRunOptions {
  readonly runName?: string;
  /** @default Date.now() */
  readonly startTime?: number;
  readonly userId?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** @default 'RUNNING' (as runs/create) */
  readonly status?: RunStatus;
}

export interface UpdateRunOptions {
  readonly status?: RunStatus;
  readonly endTime?: number;
  readonly runName?: string;
}

/** A dataset an evaluation read; `rows` becomes the profile's `num_rows`. */
export interface DatasetSpec {
  readonly name: string;
  readonly rows: number;
  /** @default a digest of name and rows */
  readonly digest?: string;
  /** @default 'code' */
  readonly sourceType?: string;
}

export interface TraceSpec {
  /** @default a new `tr-<32 hex>` id */
  readonly traceId?: string;
  readonly requestTime?: number;
  /** @default 'OK' */
  readonly state?: string;
  readonly metadata?: Readonly<Record<string, string>>;
  readonly tags?: Readonly<Record<string, string>>;
}

export interface AssessmentSpec {
  readonly name: string;
  /** The feedback value: a number, a boolean or a string such as "yes". */
  readonly value: unknown;
  readonly runId?: string;
  /** @default 'LLM_JUDGE' */
  readonly sourceType?: string;
  readonly error?: string;
  readonly time?: number;
}

export interface StoreWriter {
  /**
   * Returns the new experiment id; RESOURCE_ALREADY_EXISTS if the name is taken (per workspace).
   * `workspace` is an MLflow 3 workspace (SQLite store only). @default 'default'
   */
  createExperiment(
    name: string,
    tags?: Readonly<Record<string, string>>,
    workspace?: string,
  ): string;
  /** Creates a LoggedModel (MLflow 3) and returns its id (`m-<32 hex>`). */
  createLoggedModel(
    experimentId: string,
    name: string,
    opts?: {
      tags?: Readonly<Record<string, string>>;
      params?: Readonly<Record<string, string>>;
      creationTime?: number;
      sourceRunId?: string;
    },
  ): string;
  /** A metric logged with `model_id`: a `logged_model_metrics` row naming the run. */
  logModelMetric(
    modelId: string,
    runId: string,
    key: string,
    value: number,
    timestamp?: number,
    step?: number,
    dataset?: { name: string; digest: string },
  ): void;
  /** `log_input`: a dataset (with its profile) as an input of the run. */
  logDatasetInput(
    runId: string,
    dataset: DatasetSpec,
    tags?: Readonly<Record<string, string>>,
  ): { name: string; digest: string };
  /** A LoggedModel as an input of the run (`model_inputs`). */
  logModelInput(runId: string, modelId: string): void;
  /** A trace info (no spans) in the experiment; returns its id. */
  createTrace(experimentId: string, spec?: TraceSpec): string;
  /** Feedback on a trace (`assessments`); returns its id. */
  logAssessment(traceId: string, a: AssessmentSpec): string;
  /** Returns the new run id; RESOURCE_DOES_NOT_EXIST for an unknown experiment. */
  createRun(experimentId: string, opts?: CreateRunOptions): string;
  logMetric(runId: string, key: string, value: number, timestamp?: number, step?: number): void;
  logParam(runId: string, key: string, value: string): void;
  setTag(runId: string, key: string, value: string): void;
  updateRun(runId: string, opts: UpdateRunOptions): void;
  /** Runs `fn` as one unit (one SQLite transaction); optional. */
  batch?<T>(fn: () => T): T;
  close(): void;
}

/** A 32-hex-digit run id like MLflow's `uuid.uuid4().hex`. */
export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
}

/** A 32-hex-digit id with a prefix, as MLflow mints model (`m-`), trace (`tr-`) and assessment (`a-`) ids. */
export function newPrefixedId(prefix: string): string {
  return `${prefix}${randomUUID().replace(/-/g, '')}`;
}

/** A run name in MLflow's "adjective-noun-number" style, deterministic per run id. */
export function defaultRunName(runId: string): string {
  const adjectives = ['brave', 'calm', 'eager', 'gentle', 'lucky', 'quiet', 'swift', 'bold'];
  const nouns = ['otter', 'falcon', 'lynx', 'heron', 'badger', 'sparrow', 'whale', 'fox'];
  const n = parseInt(runId.slice(0, 8), 16);
  return `${adjectives[n % 8]}-${nouns[(n >> 3) % 8]}-${n % 1000}`;
}

/** Declarative data for tests and the demo. */
export interface SeedRun {
  readonly name?: string;
  /** @default 'FINISHED' */
  readonly status?: RunStatus;
  /** @default now - (runs after this one) seconds */
  readonly startTime?: number;
  readonly endTime?: number;
  readonly tags?: Readonly<Record<string, string>>;
  readonly params?: Readonly<Record<string, string>>;
  /** A value, or a history (the last one is the latest). */
  readonly metrics?: Readonly<Record<string, number | readonly number[]>>;
  /** Name of a LoggedModel of the experiment: metrics are logged with its model_id, model input. */
  readonly model?: string;
  /** A dataset input with `num_rows` = rows. */
  readonly dataset?: DatasetSpec;
  /**
   * Per-row feedback values per assessment name: one trace per row (metadata
   * `mlflow.sourceRun` = this run) with one assessment per name, as `mlflow.genai.evaluate` does.
   */
  readonly assessments?: Readonly<Record<string, readonly unknown[]>>;
}

export interface SeedModel {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly creationTime?: number;
}

export interface SeedExperiment {
  readonly name: string;
  /** MLflow 3 workspace (SQLite store). @default 'default' */
  readonly workspace?: string;
  readonly tags?: Readonly<Record<string, string>>;
  /** LoggedModels, created before the runs. */
  readonly models?: readonly SeedModel[];
  readonly runs?: readonly SeedRun[];
}

/** A feedback value as a number (bool -> 0/1, "yes"/"no" -> 1/0), for the aggregates. */
function asNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v === 'yes') return 1;
  if (v === 'no') return 0;
  return undefined;
}

/**
 * A run shaped like `mlflow.genai.evaluate()` (what Recif's runtime does): tag
 * `mlflow.run.isEval`, metrics `<scorer>/mean` computed from the per-row values, a dataset input
 * with `num_rows`, the LoggedModel's metrics, and one trace per row with its assessments. No
 * version tag and no `samples` metric.
 */
export function genaiEvaluation(
  model: string,
  rows: Readonly<Record<string, readonly unknown[]>>,
  extra: Partial<SeedRun> = {},
): SeedRun {
  const metrics: Record<string, number> = {};
  let n = 0;
  for (const [name, values] of Object.entries(rows)) {
    const nums = values.map(asNumber).filter((x): x is number => x !== undefined);
    if (nums.length) metrics[`${name}/mean`] = nums.reduce((a, b) => a + b, 0) / nums.length;
    n = Math.max(n, values.length);
  }
  return {
    ...extra,
    tags: { 'mlflow.run.isEval': 'true', ...extra.tags },
    metrics: { ...metrics, ...extra.metrics },
    model,
    dataset: extra.dataset ?? { name: 'eval_data', rows: n },
    assessments: rows,
  };
}

export interface SeedResult {
  readonly experiments: Readonly<Record<string, string>>;
  /** Run ids per experiment name, in the order given. */
  readonly runs: Readonly<Record<string, readonly string[]>>;
}

/** Writes experiments and runs through any writer. Earlier runs get earlier start times. */
export function seed(
  writer: StoreWriter,
  experiments: readonly SeedExperiment[],
  now = Date.now(),
): SeedResult {
  const expIds: Record<string, string> = {};
  const runIds: Record<string, string[]> = {};
  for (const e of experiments) {
    const id = writer.createExperiment(e.name, e.tags, e.workspace);
    expIds[e.name] = id;
    runIds[e.name] = [];
    const models = new Map<string, string>();
    (e.models ?? []).forEach((m, i) => {
      models.set(
        m.name,
        writer.createLoggedModel(id, m.name, {
          tags: m.tags,
          creationTime: m.creationTime ?? now - 100_000 + i,
        }),
      );
    });
    const runs = e.runs ?? [];
    const each = (r: SeedRun, i: number): void => {
      const start = r.startTime ?? now - (runs.length - i) * 1000;
      const runId = writer.createRun(id, { runName: r.name, startTime: start, tags: r.tags });
      let modelId: string | undefined;
      if (r.model !== undefined) {
        modelId =
          models.get(r.model) ?? writer.createLoggedModel(id, r.model, { creationTime: start - 1 });
        models.set(r.model, modelId);
        writer.logModelInput(runId, modelId);
      }
      const ds = r.dataset
        ? writer.logDatasetInput(runId, r.dataset, { 'mlflow.data.context': 'evaluation' })
        : undefined;
      for (const [k, v] of Object.entries(r.params ?? {})) writer.logParam(runId, k, v);
      for (const [k, v] of Object.entries(r.metrics ?? {})) {
        const values = typeof v === 'number' ? [v] : v;
        values.forEach((value, step) => {
          writer.logMetric(runId, k, value, start + 500 + step, step);
          if (modelId)
            writer.logModelMetric(modelId, runId, k, value, start + 500 + step, step, ds);
        });
      }
      const rows = r.assessments ?? {};
      const n = Math.max(0, ...Object.values(rows).map((v) => v.length));
      for (let row = 0; row < n; row++) {
        const traceId = writer.createTrace(id, {
          requestTime: start + 10 + row,
          metadata: {
            'mlflow.sourceRun': runId,
            ...(modelId ? { 'mlflow.modelId': modelId } : {}),
          },
          tags: { 'eval.requestId': `row-${row}` },
        });
        for (const [name, values] of Object.entries(rows)) {
          if (row < values.length)
            writer.logAssessment(traceId, { name, value: values[row], runId, time: start + 400 });
        }
      }
      const status = r.status ?? 'FINISHED';
      if (status !== 'RUNNING')
        writer.updateRun(runId, { status, endTime: r.endTime ?? start + 900 });
      runIds[e.name]!.push(runId);
    };
    runs.forEach((r, i) => (writer.batch ? writer.batch(() => each(r, i)) : each(r, i)));
  }
  return { experiments: expIds, runs: runIds };
}
