/**
 * Reads MLflow's file store (`mlruns/`) directly, read-only, the way MLflow's FileStore lays
 * it out:
 *
 *   mlruns/<experiment_id>/meta.yaml            experiment (name, lifecycle_stage, ...)
 *   mlruns/<experiment_id>/tags/<key>           experiment tags
 *   mlruns/<experiment_id>/<run_id>/meta.yaml   run info (status as an integer 1..5)
 *   .../<run_id>/metrics/<key>                  lines "timestamp value step"; keys with `/` nest
 *   .../<run_id>/params/<key>, tags/<key>       the value is the file content
 *   .../<run_id>/inputs/<id>/meta.yaml          source_type DATASET (source_id = a datasets/ folder)
 *                                               or MODEL (source_id = a model id), tags
 *   mlruns/<experiment_id>/datasets/<id>/meta.yaml   name, digest, source_type, source, schema, profile
 *   mlruns/<experiment_id>/models/<model_id>/   LoggedModels: meta.yaml, params/, tags/, metrics/
 *                                               (lines "timestamp value step run_id [dataset digest]")
 *   mlruns/<experiment_id>/traces/<trace_id>/   trace_info.yaml, tags/, request_metadata/,
 *                                               assessments/<assessment_id>.yaml
 *
 * `.trash/` (deleted experiments) and `models/` (model registry) are not experiments.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  MlflowUnavailableError,
  type Assessment,
  type DatasetInput,
  type Experiment,
  type KeyValue,
  type LocalStore,
  type LoggedModel,
  type Metric,
  type ModelMetric,
  type Run,
  type RunStatus,
  type SearchLoggedModelsRequest,
  type SearchLoggedModelsResponse,
  type SearchRunsRequest,
  type SearchRunsResponse,
  type SearchTracesRequest,
  type SearchTracesResponse,
  type TraceInfo,
  type ViewType,
} from './types.js';
import { searchInMemory, searchModelsInMemory, searchTracesInMemory } from './search.js';

/** Folders of an experiment that are not runs. */
const EXPERIMENT_RESERVED = new Set(['tags', 'datasets', 'traces', 'models']);
const MODEL_STATUS: Readonly<Record<number, string>> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
};

export const RUN_STATUS_BY_NUMBER: Readonly<Record<number, RunStatus>> = {
  1: 'RUNNING',
  2: 'SCHEDULED',
  3: 'FINISHED',
  4: 'FAILED',
  5: 'KILLED',
};
const RESERVED = new Set(['.trash', 'models', '.mlflow', 'tags']);

/** `file:///abs/mlruns`, `file:rel` or a plain path -> the folder path. */
export function fileStorePathFromUri(uri: string): string {
  if (uri.startsWith('file://')) return decodeURIComponent(new URL(uri).pathname);
  if (uri.startsWith('file:')) return uri.slice('file:'.length);
  return uri;
}

/** Parses one metric line; MLflow writes Python floats (`nan`, `inf`, `-inf`). */
export function parseMetricLine(key: string, line: string): Metric | null {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) return null;
  const v = parts[1]!.toLowerCase();
  const value =
    v === 'nan'
      ? NaN
      : v === 'inf' || v === 'infinity'
        ? Infinity
        : v === '-inf' || v === '-infinity'
          ? -Infinity
          : Number(parts[1]);
  return {
    key,
    value,
    timestamp: Number(parts[0]),
    step: parts[2] !== undefined ? Number(parts[2]) : 0,
  };
}

/** MLflow's "latest" value: the largest (step, timestamp, value). */
export function latestOf(history: readonly Metric[]): Metric | undefined {
  let best: Metric | undefined;
  for (const m of history) {
    if (
      !best ||
      m.step > best.step ||
      (m.step === best.step &&
        (m.timestamp > best.timestamp || (m.timestamp === best.timestamp && m.value > best.value)))
    )
      best = m;
  }
  return best;
}

export class FileStore implements LocalStore {
  readonly kind = 'file' as const;
  readonly location: string;

  constructor(readonly root: string) {
    this.location = `file://${root}`;
  }

  private guard<T>(what: string, fn: () => T): T {
    if (!existsSync(this.root))
      throw new MlflowUnavailableError(`MLflow file store ${this.root} does not exist`, 'store');
    try {
      return fn();
    } catch (err) {
      if (err instanceof MlflowUnavailableError) throw err;
      throw new MlflowUnavailableError(
        `reading ${what} from ${this.root} failed: ${(err as Error).message}`,
        'store',
      );
    }
  }

  private readMeta(path: string): Record<string, unknown> | null {
    if (!existsSync(path)) return null;
    const parsed = parseYaml(readFileSync(path, 'utf8')) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : null;
  }

  /** Files under `dir` as key/content pairs; nested folders give keys with `/`. */
  private readKeyed(dir: string, prefix = ''): { key: string; path: string }[] {
    if (!existsSync(dir)) return [];
    const out: { key: string; path: string }[] = [];
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const key = prefix ? `${prefix}/${entry.name}` : entry.name;
      if (entry.isDirectory()) out.push(...this.readKeyed(join(dir, entry.name), key));
      else if (entry.isFile()) out.push({ key, path: join(dir, entry.name) });
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  private experimentAt(dir: string): Experiment | null {
    const meta = this.readMeta(join(dir, 'meta.yaml'));
    if (!meta || meta.experiment_id === undefined || typeof meta.name !== 'string') return null;
    return {
      experiment_id: String(meta.experiment_id),
      name: meta.name,
      artifact_location:
        typeof meta.artifact_location === 'string' ? meta.artifact_location : undefined,
      lifecycle_stage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      creation_time: typeof meta.creation_time === 'number' ? meta.creation_time : undefined,
      last_update_time:
        typeof meta.last_update_time === 'number' ? meta.last_update_time : undefined,
      tags: this.readKeyed(join(dir, 'tags')).map(({ key, path }) => ({
        key,
        value: readFileSync(path, 'utf8'),
      })),
    };
  }

  private experimentDirs(view: ViewType): string[] {
    const dirs: string[] = [];
    const scan = (base: string): void => {
      if (!existsSync(base)) return;
      for (const e of readdirSync(base, { withFileTypes: true })) {
        if (e.isDirectory() && !RESERVED.has(e.name)) dirs.push(join(base, e.name));
      }
    };
    if (view !== 'DELETED_ONLY') scan(this.root);
    if (view !== 'ACTIVE_ONLY') scan(join(this.root, '.trash'));
    return dirs;
  }

  listExperiments(view: ViewType = 'ACTIVE_ONLY'): Experiment[] {
    return this.guard('experiments', () =>
      this.experimentDirs(view)
        .map((d) => this.experimentAt(d))
        .filter(
          (e): e is Experiment =>
            e !== null &&
            (view === 'ALL' || (view === 'ACTIVE_ONLY') === (e.lifecycle_stage === 'active')),
        )
        .sort((a, b) => Number(a.experiment_id) - Number(b.experiment_id)),
    );
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.listExperiments('ACTIVE_ONLY').find((e) => e.name === name) ?? null;
  }

  getExperiment(id: string): Experiment | null {
    return this.guard('experiment', () => {
      for (const base of [this.root, join(this.root, '.trash')]) {
        if (!/^[A-Za-z0-9_-]+$/.test(id)) return null;
        const e = this.experimentAt(join(base, id));
        if (e) return e;
      }
      return null;
    });
  }

  private runAt(dir: string): Run | null {
    const meta = this.readMeta(join(dir, 'meta.yaml'));
    if (!meta) return null;
    const runId = String(meta.run_id ?? meta.run_uuid ?? '');
    if (!runId) return null;
    const metrics: Metric[] = [];
    for (const { key, path } of this.readKeyed(join(dir, 'metrics'))) {
      const latest = latestOf(this.history(path, key));
      if (latest) metrics.push(latest);
    }
    const kv = (sub: string): KeyValue[] =>
      this.readKeyed(join(dir, sub)).map(({ key, path }) => ({
        key,
        value: readFileSync(path, 'utf8'),
      }));
    const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
    const status =
      typeof meta.status === 'number'
        ? RUN_STATUS_BY_NUMBER[meta.status]
        : typeof meta.status === 'string'
          ? (meta.status as RunStatus)
          : undefined;
    const inputs = this.inputsOf(dir);
    return {
      ...(inputs ? { inputs } : {}),
      info: {
        run_id: runId,
        run_uuid: runId,
        run_name: typeof meta.run_name === 'string' ? meta.run_name : undefined,
        experiment_id: String(meta.experiment_id ?? ''),
        user_id: typeof meta.user_id === 'string' ? meta.user_id : undefined,
        status: status ?? 'RUNNING',
        start_time: num(meta.start_time),
        end_time: num(meta.end_time) ?? undefined,
        artifact_uri: typeof meta.artifact_uri === 'string' ? meta.artifact_uri : undefined,
        lifecycle_stage: meta.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      },
      data: { metrics, params: kv('params'), tags: kv('tags') },
    };
  }

  /** A run's inputs: datasets (resolved in the experiment's datasets/ folder) and models. */
  private inputsOf(
    runDir: string,
  ): { dataset_inputs: DatasetInput[]; model_inputs: { model_id: string }[] } | undefined {
    const dir = join(runDir, 'inputs');
    if (!existsSync(dir)) return undefined;
    const out = {
      dataset_inputs: [] as DatasetInput[],
      model_inputs: [] as { model_id: string }[],
    };
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (!e.isDirectory()) continue;
      const meta = this.readMeta(join(dir, e.name, 'meta.yaml'));
      if (!meta) continue;
      const sourceId = String(meta.source_id ?? '');
      const tagMap =
        meta.tags && typeof meta.tags === 'object' ? (meta.tags as Record<string, unknown>) : {};
      const tags = Object.entries(tagMap).map(([key, value]) => ({ key, value: String(value) }));
      if (meta.source_type === 'MODEL') {
        out.model_inputs.push({ model_id: sourceId });
      } else if (
        (meta.source_type ?? 'DATASET') === 'DATASET' &&
        /^[A-Za-z0-9_-]+$/.test(sourceId)
      ) {
        const ds = this.readMeta(join(runDir, '..', 'datasets', sourceId, 'meta.yaml'));
        if (!ds) continue;
        const s = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
        out.dataset_inputs.push({
          tags,
          dataset: {
            name: String(ds.name ?? ''),
            digest: String(ds.digest ?? ''),
            source_type: s(ds.source_type),
            source: s(ds.source),
            schema: s(ds.schema),
            profile: s(ds.profile),
          },
        });
      }
    }
    return out;
  }

  private modelAt(dir: string, experimentId: string): LoggedModel | null {
    const meta = this.readMeta(join(dir, 'meta.yaml'));
    if (!meta || meta.lifecycle_stage === 'deleted') return null;
    const modelId = String(meta.model_id ?? '');
    if (!modelId) return null;
    const kv = (sub: string): KeyValue[] =>
      this.readKeyed(join(dir, sub)).map(({ key, path }) => ({
        key,
        value: readFileSync(path, 'utf8'),
      }));
    const metrics: ModelMetric[] = [];
    for (const { key, path } of this.readKeyed(join(dir, 'metrics'))) {
      for (const line of readFileSync(path, 'utf8').split('\n')) {
        const parts = line.trim().split(/\s+/);
        if (parts.length < 4) continue;
        const m = parseMetricLine(key, parts.slice(0, 3).join(' '));
        if (m)
          metrics.push({
            ...m,
            run_id: parts[3],
            dataset_name: parts[4],
            dataset_digest: parts[5],
          });
      }
    }
    const status =
      typeof meta.status === 'number'
        ? MODEL_STATUS[meta.status]
        : typeof meta.status === 'string'
          ? meta.status
          : undefined;
    return {
      info: {
        model_id: modelId,
        experiment_id: String(meta.experiment_id ?? experimentId),
        name: String(meta.name ?? ''),
        creation_timestamp_ms:
          typeof meta.creation_timestamp === 'number' ? meta.creation_timestamp : 0,
        last_updated_timestamp_ms:
          typeof meta.last_updated_timestamp === 'number' ? meta.last_updated_timestamp : undefined,
        status,
        source_run_id: typeof meta.source_run_id === 'string' ? meta.source_run_id : undefined,
        tags: kv('tags'),
      },
      data: { params: kv('params'), metrics },
    };
  }

  async searchLoggedModels(req: SearchLoggedModelsRequest): Promise<SearchLoggedModelsResponse> {
    const models = this.guard('logged models', () =>
      req.experiment_ids.flatMap((id) => {
        const d = this.experimentDir(id);
        const base = d ? join(d, 'models') : null;
        if (!base || !existsSync(base)) return [];
        return readdirSync(base, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => this.modelAt(join(base, e.name), id))
          .filter((m): m is LoggedModel => m !== null);
      }),
    );
    return searchModelsInMemory(models, req);
  }

  private traceAt(dir: string, experimentId: string): TraceInfo | null {
    const meta = this.readMeta(join(dir, 'trace_info.yaml'));
    if (!meta) return null;
    const traceId = String(meta.trace_id ?? meta.request_id ?? '');
    if (!traceId) return null;
    const map = (sub: string): Record<string, string> =>
      Object.fromEntries(
        this.readKeyed(join(dir, sub)).map(({ key, path }) => [key, readFileSync(path, 'utf8')]),
      );
    const assessments: Assessment[] = [];
    const adir = join(dir, 'assessments');
    if (existsSync(adir)) {
      for (const f of readdirSync(adir)
        .filter((n) => n.endsWith('.yaml'))
        .sort()) {
        const a = this.readMeta(join(adir, f));
        const fb =
          a?.feedback && typeof a.feedback === 'object'
            ? (a.feedback as Record<string, unknown>)
            : undefined;
        if (!a || !fb) continue; // expectations are ground truth, not scores
        assessments.push({
          assessment_id: String(a.assessment_id ?? f.slice(0, -5)),
          name: String(a.assessment_name ?? a.name ?? ''),
          trace_id: traceId,
          value: fb.value,
          run_id: typeof a.run_id === 'string' ? a.run_id : undefined,
          valid: a.valid === undefined ? true : a.valid === true,
          error: fb.error === undefined || fb.error === null ? undefined : JSON.stringify(fb.error),
        });
      }
    }
    const rt = meta.request_time ?? meta.timestamp_ms;
    return {
      trace_id: traceId,
      experiment_id: experimentId,
      request_time: typeof rt === 'number' ? rt : typeof rt === 'string' ? Date.parse(rt) || 0 : 0,
      state: String(meta.state ?? meta.status ?? 'OK'),
      metadata: map('request_metadata'),
      tags: map('tags'),
      assessments,
    };
  }

  async searchTraces(req: SearchTracesRequest): Promise<SearchTracesResponse> {
    const traces = this.guard('traces', () =>
      req.experiment_ids.flatMap((id) => {
        const d = this.experimentDir(id);
        const base = d ? join(d, 'traces') : null;
        if (!base || !existsSync(base)) return [];
        return readdirSync(base, { withFileTypes: true })
          .filter((e) => e.isDirectory())
          .map((e) => this.traceAt(join(base, e.name), id))
          .filter((t): t is TraceInfo => t !== null);
      }),
    );
    return searchTracesInMemory(traces, req);
  }

  private history(path: string, key: string): Metric[] {
    return readFileSync(path, 'utf8')
      .split('\n')
      .map((l) => parseMetricLine(key, l))
      .filter((m): m is Metric => m !== null);
  }

  private runsOf(expDir: string): Run[] {
    const out: Run[] = [];
    for (const e of readdirSync(expDir, { withFileTypes: true })) {
      if (!e.isDirectory() || EXPERIMENT_RESERVED.has(e.name)) continue;
      const run = this.runAt(join(expDir, e.name));
      if (run) out.push(run);
    }
    return out;
  }

  private experimentDir(id: string): string | null {
    if (!/^[A-Za-z0-9_-]+$/.test(id)) return null;
    for (const base of [this.root, join(this.root, '.trash')]) {
      const d = join(base, id);
      if (existsSync(join(d, 'meta.yaml'))) return d;
    }
    return null;
  }

  async searchRuns(req: SearchRunsRequest): Promise<SearchRunsResponse> {
    const runs = this.guard('runs', () =>
      req.experiment_ids.flatMap((id) => {
        const d = this.experimentDir(id);
        return d ? this.runsOf(d) : [];
      }),
    );
    return searchInMemory(runs, req);
  }

  /** Finds a run folder by id (run ids are unique across experiments). */
  private runDir(runId: string): string | null {
    if (!/^[A-Za-z0-9_-]+$/.test(runId)) return null;
    for (const d of this.experimentDirs('ALL')) {
      const p = join(d, runId);
      if (existsSync(join(p, 'meta.yaml')) && statSync(p).isDirectory()) return p;
    }
    return null;
  }

  getRun(runId: string): Run | null {
    return this.guard('run', () => {
      const d = this.runDir(runId);
      return d ? this.runAt(d) : null;
    });
  }

  getMetricHistory(runId: string, key: string): Metric[] {
    return this.guard('metric history', () => {
      const d = this.runDir(runId);
      if (!d || key.split('/').some((p) => p === '..' || p === '')) return [];
      const p = join(d, 'metrics', ...key.split('/'));
      return existsSync(p) ? this.history(p, key) : [];
    });
  }

  async ping(): Promise<void> {
    this.guard('store', () => readdirSync(this.root));
  }

  async close(): Promise<void> {}

  /** For writers: the folder of a run. */
  locateRun(runId: string): string | null {
    return this.runDir(runId);
  }
}
