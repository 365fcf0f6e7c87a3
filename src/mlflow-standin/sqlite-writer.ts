/**
 * Builds and writes a real MLflow SQLite store (`mlflow.db`): the tables MLflow's SQLAlchemy
 * models define (experiments, experiment_tags, runs, metrics, latest_metrics, params, tags),
 * with MLflow's conventions: the Default experiment 0, the `mlflow.runName` tag, NaN stored as
 * value 0 with `is_nan = 1`, ±Infinity clamped to ±DBL_MAX, and `latest_metrics` kept as the
 * largest (step, timestamp, value) per key.
 */
import Database from 'better-sqlite3';
import { MlflowApiError, type RunStatus } from '../gate/mlflow/types.js';
import { defaultRunName, newRunId, type CreateRunOptions, type StoreWriter, type UpdateRunOptions } from './writer.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS experiments (
  experiment_id INTEGER NOT NULL,
  name VARCHAR(256) NOT NULL,
  artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32),
  creation_time BIGINT,
  last_update_time BIGINT,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
  UNIQUE (name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted'))
);
CREATE TABLE IF NOT EXISTS experiment_tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(5000),
  experiment_id INTEGER NOT NULL,
  CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE IF NOT EXISTS runs (
  run_uuid VARCHAR(32) NOT NULL,
  name VARCHAR(250),
  source_type VARCHAR(20),
  source_name VARCHAR(500),
  entry_point_name VARCHAR(50),
  user_id VARCHAR(256),
  status VARCHAR(9),
  start_time BIGINT,
  end_time BIGINT,
  deleted_time BIGINT,
  source_version VARCHAR(50),
  lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200),
  experiment_id INTEGER,
  CONSTRAINT run_pk PRIMARY KEY (run_uuid),
  CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')),
  CONSTRAINT status CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);
CREATE TABLE IF NOT EXISTS metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  step BIGINT DEFAULT '0' NOT NULL,
  is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX IF NOT EXISTS index_metrics_run_uuid ON metrics (run_uuid);
CREATE TABLE IF NOT EXISTS latest_metrics (
  key VARCHAR(250) NOT NULL,
  value FLOAT NOT NULL,
  timestamp BIGINT,
  step BIGINT NOT NULL,
  is_nan BOOLEAN NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX IF NOT EXISTS index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE TABLE IF NOT EXISTS params (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000) NOT NULL,
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT param_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX IF NOT EXISTS index_params_run_uuid ON params (run_uuid);
CREATE TABLE IF NOT EXISTS tags (
  key VARCHAR(250) NOT NULL,
  value VARCHAR(8000),
  run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid)
);
CREATE INDEX IF NOT EXISTS index_tags_run_uuid ON tags (run_uuid);
CREATE TABLE IF NOT EXISTS alembic_version (
  version_num VARCHAR(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
`;

const DBL_MAX = 1.7976931348623157e308;

export class SqliteWriter implements StoreWriter {
  private readonly db: Database.Database;

  constructor(readonly path: string) {
    this.db = new Database(path);
    // MLflow leaves SQLite's default rollback journal; so do we (a WAL database cannot be
    // opened read-only once its -shm file is gone).
    this.db.pragma('busy_timeout = 1000');
    this.db.exec(SCHEMA);
    const now = Date.now();
    this.db
      .prepare("INSERT OR IGNORE INTO experiments VALUES (0, 'Default', ?, 'active', ?, ?)")
      .run(`mlflow-artifacts:/0`, now, now);
  }

  createExperiment(name: string, tags: Readonly<Record<string, string>> = {}): string {
    if (this.db.prepare('SELECT 1 FROM experiments WHERE name = ?').get(name)) {
      throw new MlflowApiError(400, 'RESOURCE_ALREADY_EXISTS', `Experiment(name=${name}) already exists.`);
    }
    const now = Date.now();
    const next = (this.db.prepare('SELECT COALESCE(MAX(experiment_id), 0) + 1 AS id FROM experiments').get() as { id: number }).id;
    this.db.transaction(() => {
      this.db.prepare("INSERT INTO experiments VALUES (?, ?, ?, 'active', ?, ?)").run(next, name, `mlflow-artifacts:/${next}`, now, now);
      for (const [k, v] of Object.entries(tags)) this.db.prepare('INSERT INTO experiment_tags VALUES (?, ?, ?)').run(k, v, next);
    })();
    return String(next);
  }

  private requireRun(runId: string): void {
    if (!this.db.prepare('SELECT 1 FROM runs WHERE run_uuid = ?').get(runId)) {
      throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    }
  }

  createRun(experimentId: string, opts: CreateRunOptions = {}): string {
    if (!this.db.prepare("SELECT 1 FROM experiments WHERE experiment_id = ? AND lifecycle_stage = 'active'").get(Number(experimentId))) {
      throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `No Experiment with id=${experimentId} exists`);
    }
    const runId = newRunId();
    const name = opts.runName ?? opts.tags?.['mlflow.runName'] ?? defaultRunName(runId);
    this.db.transaction(() => {
      this.db
        .prepare("INSERT INTO runs VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, NULL, NULL, '', 'active', ?, ?)")
        .run(runId, name, opts.userId ?? 'agent-canary', opts.status ?? 'RUNNING', opts.startTime ?? Date.now(), `mlflow-artifacts:/${experimentId}/${runId}/artifacts`, Number(experimentId));
      const tags = { ...opts.tags, 'mlflow.runName': name };
      for (const [k, v] of Object.entries(tags)) this.db.prepare('INSERT OR REPLACE INTO tags VALUES (?, ?, ?)').run(k, v, runId);
    })();
    return runId;
  }

  logMetric(runId: string, key: string, value: number, timestamp = Date.now(), step = 0): void {
    this.requireRun(runId);
    const isNan = Number.isNaN(value);
    const stored = isNan ? 0 : value === Infinity ? DBL_MAX : value === -Infinity ? -DBL_MAX : value;
    this.db.transaction(() => {
      this.db.prepare('INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)').run(key, stored, timestamp, runId, step, isNan ? 1 : 0);
      const latest = this.db.prepare('SELECT value, timestamp, step, is_nan FROM latest_metrics WHERE key = ? AND run_uuid = ?').get(key, runId) as
        | { value: number; timestamp: number; step: number; is_nan: number }
        | undefined;
      const newer = !latest || step > latest.step || (step === latest.step && (timestamp > latest.timestamp || (timestamp === latest.timestamp && stored > latest.value)));
      if (newer) this.db.prepare('INSERT OR REPLACE INTO latest_metrics VALUES (?, ?, ?, ?, ?, ?)').run(key, stored, timestamp, step, isNan ? 1 : 0, runId);
    })();
  }

  logParam(runId: string, key: string, value: string): void {
    this.requireRun(runId);
    const old = this.db.prepare('SELECT value FROM params WHERE key = ? AND run_uuid = ?').get(key, runId) as { value: string } | undefined;
    if (old && old.value !== value) {
      throw new MlflowApiError(400, 'INVALID_PARAMETER_VALUE', `Changing param values is not allowed. Param with key='${key}' was already logged with value='${old.value}' for run ID='${runId}'. Attempted logging new value '${value}'.`);
    }
    this.db.prepare('INSERT OR IGNORE INTO params VALUES (?, ?, ?)').run(key, value, runId);
  }

  setTag(runId: string, key: string, value: string): void {
    this.requireRun(runId);
    this.db.prepare('INSERT OR REPLACE INTO tags VALUES (?, ?, ?)').run(key, value, runId);
    if (key === 'mlflow.runName') this.db.prepare('UPDATE runs SET name = ? WHERE run_uuid = ?').run(value, runId);
  }

  updateRun(runId: string, opts: UpdateRunOptions): void {
    this.requireRun(runId);
    if (opts.status) this.db.prepare('UPDATE runs SET status = ? WHERE run_uuid = ?').run(opts.status satisfies RunStatus, runId);
    if (opts.endTime !== undefined) this.db.prepare('UPDATE runs SET end_time = ? WHERE run_uuid = ?').run(opts.endTime, runId);
    if (opts.runName) this.setTag(runId, 'mlflow.runName', opts.runName);
  }

  close(): void {
    this.db.close();
  }
}
