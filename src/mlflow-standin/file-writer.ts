/**
 * Builds and writes an MLflow file store (`mlruns/`) the way MLflow's FileStore does:
 * `meta.yaml` per experiment and run (run status as an integer), one file per metric with lines
 * `timestamp value step` (Python float spelling: `nan`, `inf`), keys with `/` as nested folders,
 * params and tags as files whose content is the value, and the Default experiment `0`; MLflow 3's
 * `datasets/`, run `inputs/`, `models/<model_id>/` (LoggedModels) and `traces/<trace_id>/` (trace
 * info, tags, request metadata, `assessments/<id>.yaml`) inside the experiment folder.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { MlflowApiError, type RunStatus } from '../mlflow/types.js';
import { createHash } from 'node:crypto';
import {
  defaultRunName,
  newPrefixedId,
  newRunId,
  type AssessmentSpec,
  type CreateRunOptions,
  type DatasetSpec,
  type StoreWriter,
  type TraceSpec,
  type UpdateRunOptions,
} from './writer.js';

const STATUS_NUMBER: Readonly<Record<RunStatus, number>> = {
  RUNNING: 1,
  SCHEDULED: 2,
  FINISHED: 3,
  FAILED: 4,
  KILLED: 5,
};

/** A float as Python's `str()` writes it. */
export function pythonFloat(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  if (v === Infinity) return 'inf';
  if (v === -Infinity) return '-inf';
  return Number.isInteger(v) && Math.abs(v) < 1e16 ? `${v}.0` : String(v);
}

function safeKey(key: string, what: string): string[] {
  const parts = key.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..')) {
    throw new MlflowApiError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Invalid ${what} name: '${key}'. Names may not contain empty, '.' or '..' path segments.`,
    );
  }
  return parts;
}

export class FileWriter implements StoreWriter {
  readonly root: string;

  constructor(root: string) {
    this.root = resolve(root);
    mkdirSync(this.root, { recursive: true });
    if (!existsSync(join(this.root, '0', 'meta.yaml'))) this.writeExperiment('0', 'Default');
  }

  private writeExperiment(id: string, name: string): void {
    const dir = join(this.root, id);
    mkdirSync(dir, { recursive: true });
    const now = Date.now();
    writeFileSync(
      join(dir, 'meta.yaml'),
      stringifyYaml({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: id,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      }),
    );
  }

  private experiments(): { id: string; name: string }[] {
    return readdirSync(this.root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && existsSync(join(this.root, e.name, 'meta.yaml')))
      .map((e) => ({
        id: e.name,
        name: String(
          (
            parseYaml(readFileSync(join(this.root, e.name, 'meta.yaml'), 'utf8')) as {
              name?: unknown;
            }
          ).name,
        ),
      }));
  }

  createExperiment(
    name: string,
    tags: Readonly<Record<string, string>> = {},
    workspace = 'default',
  ): string {
    if (workspace !== 'default') {
      throw new MlflowApiError(
        400,
        'INVALID_PARAMETER_VALUE',
        `MLflow's file store has no workspaces (asked for '${workspace}'); use the SQLite store.`,
      );
    }
    const existing = this.experiments();
    if (existing.some((e) => e.name === name))
      throw new MlflowApiError(
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Experiment '${name}' already exists.`,
      );
    const id = String(existing.reduce((max, e) => Math.max(max, Number(e.id) || 0), 0) + 1);
    this.writeExperiment(id, name);
    for (const [k, v] of Object.entries(tags))
      this.writeKeyed(join(this.root, id, 'tags'), k, v, 'tag');
    return id;
  }

  private writeKeyed(dir: string, key: string, value: string, what: string): void {
    const path = join(dir, ...safeKey(key, what));
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, value);
  }

  private runDir(runId: string): string {
    if (/^[A-Za-z0-9_-]+$/.test(runId)) {
      for (const e of this.experiments()) {
        const d = join(this.root, e.id, runId);
        if (existsSync(join(d, 'meta.yaml'))) return d;
      }
    }
    throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run '${runId}' not found`);
  }

  private readRunMeta(dir: string): Record<string, unknown> {
    return parseYaml(readFileSync(join(dir, 'meta.yaml'), 'utf8')) as Record<string, unknown>;
  }

  private writeRunMeta(dir: string, meta: Record<string, unknown>): void {
    writeFileSync(join(dir, 'meta.yaml'), stringifyYaml(meta));
  }

  createRun(experimentId: string, opts: CreateRunOptions = {}): string {
    if (!/^[0-9]+$/.test(experimentId) || !existsSync(join(this.root, experimentId, 'meta.yaml'))) {
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Could not find experiment with ID ${experimentId}`,
      );
    }
    const runId = newRunId();
    const dir = join(this.root, experimentId, runId);
    mkdirSync(join(dir, 'artifacts'), { recursive: true });
    for (const sub of ['metrics', 'params', 'tags']) mkdirSync(join(dir, sub), { recursive: true });
    const name = opts.runName ?? opts.tags?.['mlflow.runName'] ?? defaultRunName(runId);
    this.writeRunMeta(dir, {
      artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
      end_time: null,
      entry_point_name: '',
      experiment_id: experimentId,
      lifecycle_stage: 'active',
      run_id: runId,
      run_name: name,
      run_uuid: runId,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: opts.startTime ?? Date.now(),
      status: STATUS_NUMBER[opts.status ?? 'RUNNING'],
      tags: [],
      user_id: opts.userId ?? 'agent-canary',
    });
    for (const [k, v] of Object.entries({ ...opts.tags, 'mlflow.runName': name }))
      this.writeKeyed(join(dir, 'tags'), k, v, 'tag');
    return runId;
  }

  logMetric(runId: string, key: string, value: number, timestamp = Date.now(), step = 0): void {
    const dir = this.runDir(runId);
    const path = join(dir, 'metrics', ...safeKey(key, 'metric'));
    mkdirSync(dirname(path), { recursive: true });
    appendFileSync(path, `${timestamp} ${pythonFloat(value)} ${step}\n`);
  }

  logParam(runId: string, key: string, value: string): void {
    const dir = this.runDir(runId);
    const path = join(dir, 'params', ...safeKey(key, 'param'));
    if (existsSync(path) && readFileSync(path, 'utf8') !== value) {
      throw new MlflowApiError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${readFileSync(path, 'utf8')}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
      );
    }
    this.writeKeyed(join(dir, 'params'), key, value, 'param');
  }

  setTag(runId: string, key: string, value: string): void {
    const dir = this.runDir(runId);
    this.writeKeyed(join(dir, 'tags'), key, value, 'tag');
    if (key === 'mlflow.runName')
      this.writeRunMeta(dir, { ...this.readRunMeta(dir), run_name: value });
  }

  updateRun(runId: string, opts: UpdateRunOptions): void {
    const dir = this.runDir(runId);
    const meta = this.readRunMeta(dir);
    if (opts.status) meta.status = STATUS_NUMBER[opts.status];
    if (opts.endTime !== undefined) meta.end_time = opts.endTime;
    if (opts.runName) {
      meta.run_name = opts.runName;
      this.writeKeyed(join(dir, 'tags'), 'mlflow.runName', opts.runName, 'tag');
    }
    this.writeRunMeta(dir, meta);
  }

  private experimentDir(experimentId: string): string {
    const dir = join(this.root, experimentId);
    if (!/^[0-9]+$/.test(experimentId) || !existsSync(join(dir, 'meta.yaml'))) {
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Could not find experiment with ID ${experimentId}`,
      );
    }
    return dir;
  }

  private modelDir(modelId: string): string {
    if (/^[A-Za-z0-9_-]+$/.test(modelId)) {
      for (const e of this.experiments()) {
        const d = join(this.root, e.id, 'models', modelId);
        if (existsSync(join(d, 'meta.yaml'))) return d;
      }
    }
    throw new MlflowApiError(
      404,
      'RESOURCE_DOES_NOT_EXIST',
      `Logged model with ID '${modelId}' not found.`,
    );
  }

  createLoggedModel(
    experimentId: string,
    name: string,
    opts: {
      tags?: Readonly<Record<string, string>>;
      params?: Readonly<Record<string, string>>;
      creationTime?: number;
      sourceRunId?: string;
    } = {},
  ): string {
    const exp = this.experimentDir(experimentId);
    const id = newPrefixedId('m-');
    const dir = join(exp, 'models', id);
    for (const sub of ['metrics', 'params', 'tags', 'artifacts'])
      mkdirSync(join(dir, sub), { recursive: true });
    const t = opts.creationTime ?? Date.now();
    writeFileSync(
      join(dir, 'meta.yaml'),
      stringifyYaml({
        artifact_location: pathToFileURL(join(dir, 'artifacts')).href,
        creation_timestamp: t,
        experiment_id: experimentId,
        last_updated_timestamp: t,
        lifecycle_stage: 'active',
        model_id: id,
        model_type: null,
        name,
        source_run_id: opts.sourceRunId ?? null,
        status: 2,
        status_message: null,
      }),
    );
    for (const [k, v] of Object.entries(opts.tags ?? {}))
      this.writeKeyed(join(dir, 'tags'), k, v, 'tag');
    for (const [k, v] of Object.entries(opts.params ?? {}))
      this.writeKeyed(join(dir, 'params'), k, v, 'param');
    return id;
  }

  logModelMetric(
    modelId: string,
    runId: string,
    key: string,
    value: number,
    timestamp = Date.now(),
    step = 0,
    dataset?: { name: string; digest: string },
  ): void {
    const dir = this.modelDir(modelId);
    this.runDir(runId);
    const path = join(dir, 'metrics', ...safeKey(key, 'metric'));
    mkdirSync(dirname(path), { recursive: true });
    const ds = dataset ? ` ${dataset.name} ${dataset.digest}` : '';
    appendFileSync(path, `${timestamp} ${pythonFloat(value)} ${step} ${runId}${ds}\n`);
  }

  logDatasetInput(
    runId: string,
    d: DatasetSpec,
    tags: Readonly<Record<string, string>> = {},
  ): { name: string; digest: string } {
    const run = this.runDir(runId);
    const digest =
      d.digest ?? createHash('sha256').update(`${d.name}:${d.rows}`).digest('hex').slice(0, 8);
    const datasetId = createHash('sha256')
      .update(`${d.name}\0${digest}`)
      .digest('hex')
      .slice(0, 32);
    const dsDir = join(dirname(run), 'datasets', datasetId);
    if (!existsSync(join(dsDir, 'meta.yaml'))) {
      mkdirSync(dsDir, { recursive: true });
      writeFileSync(
        join(dsDir, 'meta.yaml'),
        stringifyYaml({
          digest,
          name: d.name,
          profile: JSON.stringify({ num_rows: d.rows }),
          schema: null,
          source: JSON.stringify({ tags: {} }),
          source_type: d.sourceType ?? 'code',
        }),
      );
    }
    const inputDir = join(run, 'inputs', newPrefixedId('').slice(0, 32));
    mkdirSync(inputDir, { recursive: true });
    writeFileSync(
      join(inputDir, 'meta.yaml'),
      stringifyYaml({
        destination_id: runId,
        destination_type: 'RUN',
        source_id: datasetId,
        source_type: 'DATASET',
        tags,
      }),
    );
    return { name: d.name, digest };
  }

  logModelInput(runId: string, modelId: string): void {
    const run = this.runDir(runId);
    const inputDir = join(run, 'inputs', newPrefixedId('').slice(0, 32));
    mkdirSync(inputDir, { recursive: true });
    writeFileSync(
      join(inputDir, 'meta.yaml'),
      stringifyYaml({
        destination_id: runId,
        destination_type: 'RUN',
        source_id: modelId,
        source_type: 'MODEL',
      }),
    );
  }

  createTrace(experimentId: string, spec: TraceSpec = {}): string {
    const exp = this.experimentDir(experimentId);
    const id = spec.traceId ?? newPrefixedId('tr-');
    const dir = join(exp, 'traces', id);
    for (const sub of ['tags', 'request_metadata', 'assessments'])
      mkdirSync(join(dir, sub), { recursive: true });
    writeFileSync(
      join(dir, 'trace_info.yaml'),
      stringifyYaml({
        trace_id: id,
        client_request_id: null,
        trace_location: {
          type: 'MLFLOW_EXPERIMENT',
          mlflow_experiment: { experiment_id: experimentId },
        },
        request_time: new Date(spec.requestTime ?? Date.now()).toISOString(),
        execution_duration_ms: 10,
        state: spec.state ?? 'OK',
      }),
    );
    for (const [k, v] of Object.entries(spec.metadata ?? {}))
      this.writeKeyed(join(dir, 'request_metadata'), k, v, 'metadata');
    for (const [k, v] of Object.entries(spec.tags ?? {}))
      this.writeKeyed(join(dir, 'tags'), k, v, 'tag');
    return id;
  }

  logAssessment(traceId: string, a: AssessmentSpec): string {
    let dir: string | undefined;
    if (/^[A-Za-z0-9_-]+$/.test(traceId)) {
      for (const e of this.experiments()) {
        const d = join(this.root, e.id, 'traces', traceId);
        if (existsSync(join(d, 'trace_info.yaml'))) dir = d;
      }
    }
    if (!dir)
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Trace with ID ${traceId} not found.`,
      );
    const id = newPrefixedId('a-');
    const t = a.time ?? Date.now();
    mkdirSync(join(dir, 'assessments'), { recursive: true });
    writeFileSync(
      join(dir, 'assessments', `${id}.yaml`),
      stringifyYaml({
        assessment_id: id,
        assessment_name: a.name,
        trace_id: traceId,
        source: { source_type: a.sourceType ?? 'LLM_JUDGE', source_id: 'agent-canary' },
        create_time_ms: t,
        last_update_time_ms: t,
        feedback: {
          value: a.value ?? null,
          ...(a.error ? { error: { error_message: a.error } } : {}),
        },
        run_id: a.runId ?? null,
        valid: true,
      }),
    );
    return id;
  }

  close(): void {}
}
