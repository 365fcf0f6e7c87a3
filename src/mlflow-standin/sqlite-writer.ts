/**
 * Builds and writes a real MLflow SQLite store (`mlflow.db`) with every table of MLflow 3's
 * schema (sqlite-schema.ts) and MLflow's conventions: the Default experiment 0 in the `default`
 * workspace, experiments unique per (workspace, name), the `mlflow.runName` tag, NaN stored as
 * value 0 with `is_nan = 1`, ±Infinity clamped to ±DBL_MAX, `latest_metrics` kept as the largest
 * (step, timestamp, value) per key; datasets and inputs (`DATASET` -> `RUN`, `RUN_INPUT` ->
 * `MODEL_INPUT`), LoggedModels with their metrics, trace infos with request metadata, tags and
 * assessments (values as JSON text).
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { MlflowApiError, type RunStatus } from '../mlflow/types.js';
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
import { OTHER_TABLES, WRITTEN_TABLES } from './sqlite-schema.js';

/** LoggedModelStatus.READY */
const MODEL_READY = 2;

const DBL_MAX = 1.7976931348623157e308;

export class SqliteWriter implements StoreWriter {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = new Database(path);
    // MLflow leaves SQLite's default rollback journal; so do we (a WAL database cannot be
    // opened read-only once its -shm file is gone).
    this.db.pragma('busy_timeout = 1000');
    this.db.exec(WRITTEN_TABLES);
    this.db.exec(OTHER_TABLES);
    const now = Date.now();
    this.db
      .prepare(
        "INSERT OR IGNORE INTO workspaces (name, description) VALUES ('default', 'Default workspace')",
      )
      .run();
    this.db
      .prepare(
        "INSERT OR IGNORE INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (0, 'Default', ?, 'active', ?, ?, 'default')",
      )
      .run(`mlflow-artifacts:/0`, now, now);
  }

  batch<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  createExperiment(
    name: string,
    tags: Readonly<Record<string, string>> = {},
    workspace = 'default',
  ): string {
    if (
      this.db
        .prepare('SELECT 1 FROM experiments WHERE name = ? AND workspace = ?')
        .get(name, workspace)
    ) {
      throw new MlflowApiError(
        400,
        'RESOURCE_ALREADY_EXISTS',
        `Experiment(name=${name}) already exists.`,
      );
    }
    const now = Date.now();
    const next = (
      this.db
        .prepare('SELECT COALESCE(MAX(experiment_id), 0) + 1 AS id FROM experiments')
        .get() as { id: number }
    ).id;
    this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO workspaces (name) VALUES (?)').run(workspace);
      this.db
        .prepare(
          "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, creation_time, last_update_time, workspace) VALUES (?, ?, ?, 'active', ?, ?, ?)",
        )
        .run(next, name, `mlflow-artifacts:/${next}`, now, now, workspace);
      for (const [k, v] of Object.entries(tags))
        this.db
          .prepare('INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)')
          .run(k, v, next);
    })();
    return String(next);
  }

  private requireExperiment(experimentId: string): void {
    if (
      !this.db
        .prepare("SELECT 1 FROM experiments WHERE experiment_id = ? AND lifecycle_stage = 'active'")
        .get(Number(experimentId))
    ) {
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `No Experiment with id=${experimentId} exists`,
      );
    }
  }

  private experimentOfRun(runId: string): number {
    const row = this.db.prepare('SELECT experiment_id FROM runs WHERE run_uuid = ?').get(runId) as
      { experiment_id: number } | undefined;
    if (!row)
      throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return row.experiment_id;
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
    this.requireExperiment(experimentId);
    const id = newPrefixedId('m-');
    const t = opts.creationTime ?? Date.now();
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, creation_timestamp_ms, last_updated_timestamp_ms, status, lifecycle_stage, model_type, source_run_id, status_message) VALUES (?, ?, ?, ?, ?, ?, ?, 'active', NULL, ?, NULL)",
        )
        .run(
          id,
          Number(experimentId),
          name,
          `mlflow-artifacts:/${experimentId}/models/${id}/artifacts`,
          t,
          t,
          MODEL_READY,
          opts.sourceRunId ?? null,
        );
      for (const [k, v] of Object.entries(opts.tags ?? {}))
        this.db
          .prepare(
            'INSERT INTO logged_model_tags (model_id, experiment_id, tag_key, tag_value) VALUES (?, ?, ?, ?)',
          )
          .run(id, Number(experimentId), k, v);
      for (const [k, v] of Object.entries(opts.params ?? {}))
        this.db
          .prepare(
            'INSERT INTO logged_model_params (model_id, experiment_id, param_key, param_value) VALUES (?, ?, ?, ?)',
          )
          .run(id, Number(experimentId), k, v);
    })();
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
    const model = this.db
      .prepare('SELECT experiment_id FROM logged_models WHERE model_id = ?')
      .get(modelId) as { experiment_id: number } | undefined;
    if (!model)
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Logged model with ID '${modelId}' not found.`,
      );
    this.experimentOfRun(runId);
    const ds = dataset
      ? (this.db
          .prepare(
            'SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
          )
          .get(model.experiment_id, dataset.name, dataset.digest) as
          { dataset_uuid: string } | undefined)
      : undefined;
    this.db
      .prepare(
        'INSERT OR REPLACE INTO logged_model_metrics (model_id, metric_name, metric_timestamp_ms, metric_step, metric_value, experiment_id, run_id, dataset_uuid, dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        modelId,
        key,
        timestamp,
        step,
        Number.isNaN(value) ? null : value,
        model.experiment_id,
        runId,
        ds?.dataset_uuid ?? null,
        dataset?.name ?? null,
        dataset?.digest ?? null,
      );
  }

  logDatasetInput(
    runId: string,
    d: DatasetSpec,
    tags: Readonly<Record<string, string>> = {},
  ): { name: string; digest: string } {
    const exp = this.experimentOfRun(runId);
    const digest =
      d.digest ?? createHash('sha256').update(`${d.name}:${d.rows}`).digest('hex').slice(0, 8);
    const existing = this.db
      .prepare(
        'SELECT dataset_uuid FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?',
      )
      .get(exp, d.name, digest) as { dataset_uuid: string } | undefined;
    const uuid = existing?.dataset_uuid ?? newPrefixedId('').slice(0, 32);
    this.db.transaction(() => {
      if (!existing) {
        this.db
          .prepare(
            'INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source, dataset_schema, dataset_profile) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
          )
          .run(
            uuid,
            exp,
            d.name,
            digest,
            d.sourceType ?? 'code',
            JSON.stringify({ tags: {} }),
            null,
            JSON.stringify({ num_rows: d.rows }),
          );
      }
      const input = newPrefixedId('').slice(0, 32);
      this.db
        .prepare(
          "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, 'DATASET', ?, 'RUN', ?, 0)",
        )
        .run(input, uuid, runId);
      for (const [k, v] of Object.entries(tags))
        this.db
          .prepare('INSERT OR IGNORE INTO input_tags (input_uuid, name, value) VALUES (?, ?, ?)')
          .run(input, k, v);
    })();
    return { name: d.name, digest };
  }

  logModelInput(runId: string, modelId: string): void {
    this.experimentOfRun(runId);
    this.db
      .prepare(
        "INSERT OR IGNORE INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id, step) VALUES (?, 'RUN_INPUT', ?, 'MODEL_INPUT', ?, 0)",
      )
      .run(newPrefixedId('').slice(0, 32), runId, modelId);
  }

  createTrace(experimentId: string, spec: TraceSpec = {}): string {
    this.requireExperiment(experimentId);
    const id = spec.traceId ?? newPrefixedId('tr-');
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT INTO trace_info (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview, response_preview) VALUES (?, ?, ?, ?, ?, NULL, NULL, NULL)',
        )
        .run(id, Number(experimentId), spec.requestTime ?? Date.now(), 10, spec.state ?? 'OK');
      for (const [k, v] of Object.entries(spec.metadata ?? {}))
        this.db
          .prepare('INSERT INTO trace_request_metadata (key, value, request_id) VALUES (?, ?, ?)')
          .run(k, v, id);
      for (const [k, v] of Object.entries(spec.tags ?? {}))
        this.db
          .prepare('INSERT INTO trace_tags (key, value, request_id) VALUES (?, ?, ?)')
          .run(k, v, id);
    })();
    return id;
  }

  logAssessment(traceId: string, a: AssessmentSpec): string {
    if (!this.db.prepare('SELECT 1 FROM trace_info WHERE request_id = ?').get(traceId)) {
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `Trace with ID ${traceId} not found.`,
      );
    }
    const id = newPrefixedId('a-');
    const t = a.time ?? Date.now();
    this.db
      .prepare(
        "INSERT INTO assessments (assessment_id, trace_id, name, assessment_type, value, error, created_timestamp, last_updated_timestamp, source_type, source_id, run_id, span_id, rationale, overrides, valid, assessment_metadata) VALUES (?, ?, ?, 'feedback', ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, 1, NULL)",
      )
      .run(
        id,
        traceId,
        a.name,
        JSON.stringify(a.value ?? null),
        a.error ? JSON.stringify({ error_message: a.error }) : null,
        t,
        t,
        a.sourceType ?? 'LLM_JUDGE',
        'agent-canary',
        a.runId ?? null,
      );
    return id;
  }

  private requireRun(runId: string): void {
    if (!this.db.prepare('SELECT 1 FROM runs WHERE run_uuid = ?').get(runId)) {
      throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    }
  }

  createRun(experimentId: string, opts: CreateRunOptions = {}): string {
    if (
      !this.db
        .prepare("SELECT 1 FROM experiments WHERE experiment_id = ? AND lifecycle_stage = 'active'")
        .get(Number(experimentId))
    ) {
      throw new MlflowApiError(
        404,
        'RESOURCE_DOES_NOT_EXIST',
        `No Experiment with id=${experimentId} exists`,
      );
    }
    const runId = newRunId();
    const name = opts.runName ?? opts.tags?.['mlflow.runName'] ?? defaultRunName(runId);
    this.db.transaction(() => {
      this.db
        .prepare(
          "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, end_time, source_version, lifecycle_stage, artifact_uri, experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, NULL, '', 'active', ?, ?, NULL)",
        )
        .run(
          runId,
          name,
          opts.userId ?? 'agent-canary',
          opts.status ?? 'RUNNING',
          opts.startTime ?? Date.now(),
          `mlflow-artifacts:/${experimentId}/${runId}/artifacts`,
          Number(experimentId),
        );
      const tags = { ...opts.tags, 'mlflow.runName': name };
      for (const [k, v] of Object.entries(tags))
        this.db
          .prepare('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)')
          .run(k, v, runId);
    })();
    return runId;
  }

  logMetric(runId: string, key: string, value: number, timestamp = Date.now(), step = 0): void {
    this.requireRun(runId);
    const isNan = Number.isNaN(value);
    const stored = isNan
      ? 0
      : value === Infinity
        ? DBL_MAX
        : value === -Infinity
          ? -DBL_MAX
          : value;
    this.db.transaction(() => {
      this.db
        .prepare(
          'INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)',
        )
        .run(key, stored, timestamp, runId, step, isNan ? 1 : 0);
      const latest = this.db
        .prepare(
          'SELECT value, timestamp, step, is_nan FROM latest_metrics WHERE key = ? AND run_uuid = ?',
        )
        .get(key, runId) as
        { value: number; timestamp: number; step: number; is_nan: number } | undefined;
      const newer =
        !latest ||
        step > latest.step ||
        (step === latest.step &&
          (timestamp > latest.timestamp ||
            (timestamp === latest.timestamp && stored > latest.value)));
      if (newer)
        this.db
          .prepare(
            'INSERT OR REPLACE INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, ?, ?)',
          )
          .run(key, stored, timestamp, step, isNan ? 1 : 0, runId);
    })();
  }

  logParam(runId: string, key: string, value: string): void {
    this.requireRun(runId);
    const old = this.db
      .prepare('SELECT value FROM params WHERE key = ? AND run_uuid = ?')
      .get(key, runId) as { value: string } | undefined;
    if (old && old.value !== value) {
      throw new MlflowApiError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old.value}' for run ID='${runId}'. Attempted logging new value '${value}'.`,
      );
    }
    this.db
      .prepare('INSERT OR IGNORE INTO params (key, value, run_uuid) VALUES (?, ?, ?)')
      .run(key, value, runId);
  }

  setTag(runId: string, key: string, value: string): void {
    this.requireRun(runId);
    this.db
      .prepare('INSERT OR REPLACE INTO tags (key, value, run_uuid) VALUES (?, ?, ?)')
      .run(key, value, runId);
    if (key === 'mlflow.runName')
      this.db.prepare('UPDATE runs SET name = ? WHERE run_uuid = ?').run(value, runId);
  }

  updateRun(runId: string, opts: UpdateRunOptions): void {
    this.requireRun(runId);
    if (opts.status)
      this.db
        .prepare('UPDATE runs SET status = ? WHERE run_uuid = ?')
        .run(opts.status satisfies RunStatus, runId);
    if (opts.endTime !== undefined)
      this.db.prepare('UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(opts.endTime, runId);
    if (opts.runName) this.setTag(runId, 'mlflow.runName', opts.runName);
  }

  close(): void {
    this.db.close();
  }
}
