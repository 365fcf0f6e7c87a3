/**
 * Reads MLflow's SQLite tracking store (`mlflow.db`, MLflow's default since 3.x) directly,
 * read-only: the database is opened with `readonly: true` and this module has no write
 * statement. Tables as MLflow's SQLAlchemy models define them (experiments, experiment_tags,
 * runs, latest_metrics, metrics, params, tags); other tables are ignored.
 *
 * Each call reads the current committed state, so runs logged by a live MLflow process (or
 * the stand-in) are seen without reopening.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
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
import {
  parseFilter,
  searchInMemory,
  searchModelsInMemory,
  searchTracesInMemory,
} from './search.js';

/** `logged_models.status` is LoggedModelStatus as an integer. */
const MODEL_STATUS: Readonly<Record<number, string>> = {
  0: 'LOGGED_MODEL_STATUS_UNSPECIFIED',
  1: 'LOGGED_MODEL_PENDING',
  2: 'LOGGED_MODEL_READY',
  3: 'LOGGED_MODEL_UPLOAD_FAILED',
};

interface ExperimentRow {
  experiment_id: number;
  name: string;
  artifact_location: string | null;
  lifecycle_stage: string | null;
  creation_time: number | null;
  last_update_time: number | null;
}

interface RunRow {
  run_uuid: string;
  name: string | null;
  user_id: string | null;
  status: string | null;
  start_time: number | null;
  end_time: number | null;
  lifecycle_stage: string | null;
  artifact_uri: string | null;
  experiment_id: number;
}

interface MetricRow {
  key: string;
  value: number;
  timestamp: number;
  step: number;
  is_nan: number | boolean;
  run_uuid: string;
}

/** `sqlite:///rel.db` -> `rel.db`, `sqlite:////abs/mlflow.db` -> `/abs/mlflow.db` (SQLAlchemy URLs). */
export function sqlitePathFromUri(uri: string): string {
  const m = /^sqlite:\/\/\/(.*)$/.exec(uri);
  if (!m || !m[1])
    throw new Error(
      `'${uri}' is not a SQLite URI. Fix: write sqlite:///relative/path.db or sqlite:////absolute/path.db.`,
    );
  return m[1].split('?')[0]!;
}

export interface SqliteStoreOptions {
  /**
   * MLflow 3 workspace (`MLFLOW_WORKSPACE`): only experiments of this workspace are seen.
   * @default 'default' (MLflow's own default workspace); databases without the column have one.
   */
  readonly workspace?: string;
}

export class SqliteStore implements LocalStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  readonly workspace: string;
  private db?: Database.Database;
  private tables?: Set<string>;
  private columns = new Map<string, Set<string>>();

  constructor(
    readonly path: string,
    opts: SqliteStoreOptions = {},
  ) {
    this.location = `sqlite:///${path}`;
    this.workspace = opts.workspace || 'default';
  }

  /** Tables differ between MLflow versions: read what exists, never fail on a newer table missing. */
  private has(db: Database.Database, table: string, column?: string): boolean {
    if (!this.tables) {
      this.tables = new Set(
        (
          db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
            name: string;
          }[]
        ).map((r) => r.name),
      );
    }
    if (!this.tables.has(table)) return false;
    if (column === undefined) return true;
    let cols = this.columns.get(table);
    if (!cols) {
      cols = new Set(
        (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((r) => r.name),
      );
      this.columns.set(table, cols);
    }
    return cols.has(column);
  }

  /** SQL condition (and its argument) restricting `experiments` to this store's workspace. */
  private inWorkspace(db: Database.Database, alias = ''): { sql: string; args: unknown[] } {
    return this.has(db, 'experiments', 'workspace')
      ? { sql: ` AND ${alias}workspace = ?`, args: [this.workspace] }
      : { sql: '', args: [] };
  }

  /** Experiment ids of `ids` that belong to this store's workspace. */
  private ownIds(db: Database.Database, ids: readonly string[]): number[] {
    const nums = ids.map((id) => Number(id)).filter((n) => Number.isInteger(n));
    if (nums.length === 0) return [];
    const ws = this.inWorkspace(db);
    const rows = db
      .prepare(
        `SELECT experiment_id FROM experiments WHERE experiment_id IN (${nums.map(() => '?').join(',')})${ws.sql}`,
      )
      .all(...nums, ...ws.args) as { experiment_id: number }[];
    return rows.map((r) => r.experiment_id);
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    if (!existsSync(this.path))
      throw new MlflowUnavailableError(`MLflow SQLite store ${this.path} does not exist`, 'store');
    try {
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
      // Wait briefly for a writer (MLflow logging a run) instead of failing with SQLITE_BUSY.
      this.db.pragma('busy_timeout = 1000');
      return this.db;
    } catch (err) {
      throw new MlflowUnavailableError(
        `cannot open MLflow SQLite store ${this.path}: ${(err as Error).message}`,
        'store',
      );
    }
  }

  private read<T>(what: string, fn: (db: Database.Database) => T): T {
    const db = this.open();
    try {
      return fn(db);
    } catch (err) {
      throw new MlflowUnavailableError(
        `reading ${what} from ${this.path} failed: ${(err as Error).message}`,
        'store',
      );
    }
  }

  private toExperiment(db: Database.Database, row: ExperimentRow): Experiment {
    const tags = db
      .prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key')
      .all(row.experiment_id) as KeyValue[];
    return {
      experiment_id: String(row.experiment_id),
      name: row.name,
      artifact_location: row.artifact_location ?? undefined,
      lifecycle_stage: row.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
      creation_time: row.creation_time ?? undefined,
      last_update_time: row.last_update_time ?? undefined,
      tags: tags.map((t) => ({ key: t.key, value: t.value ?? '' })),
    };
  }

  async getExperimentByName(name: string): Promise<Experiment | null> {
    return this.read('experiment', (db) => {
      const ws = this.inWorkspace(db);
      const row = db
        .prepare(
          `SELECT * FROM experiments WHERE name = ?${ws.sql} ORDER BY lifecycle_stage = 'active' DESC LIMIT 1`,
        )
        .get(name, ...ws.args) as ExperimentRow | undefined;
      if (!row || row.lifecycle_stage === 'deleted') return null;
      return this.toExperiment(db, row);
    });
  }

  getExperiment(id: string): Experiment | null {
    return this.read('experiment', (db) => {
      const ws = this.inWorkspace(db);
      const row = db
        .prepare(`SELECT * FROM experiments WHERE experiment_id = ?${ws.sql}`)
        .get(Number(id), ...ws.args) as ExperimentRow | undefined;
      return row ? this.toExperiment(db, row) : null;
    });
  }

  listExperiments(view: ViewType = 'ACTIVE_ONLY'): Experiment[] {
    return this.read('experiments', (db) => {
      const ws = this.inWorkspace(db);
      const rows = db
        .prepare(`SELECT * FROM experiments WHERE 1 = 1${ws.sql} ORDER BY experiment_id`)
        .all(...ws.args) as ExperimentRow[];
      return rows
        .filter(
          (r) => view === 'ALL' || (view === 'ACTIVE_ONLY') === (r.lifecycle_stage !== 'deleted'),
        )
        .map((r) => this.toExperiment(db, r));
    });
  }

  /** Every run of the experiments with latest metrics, params and tags (what runs/search returns). */
  private loadRuns(db: Database.Database, where: string, args: unknown[]): Run[] {
    const runs = db.prepare(`SELECT * FROM runs WHERE ${where}`).all(...args) as RunRow[];
    if (runs.length === 0) return [];
    const sub = `SELECT run_uuid FROM runs WHERE ${where}`;
    const metrics = db
      .prepare(
        `SELECT key, value, timestamp, step, is_nan, run_uuid FROM latest_metrics WHERE run_uuid IN (${sub}) ORDER BY key`,
      )
      .all(...args) as MetricRow[];
    const params = db
      .prepare(`SELECT key, value, run_uuid FROM params WHERE run_uuid IN (${sub}) ORDER BY key`)
      .all(...args) as (KeyValue & { run_uuid: string })[];
    const tags = db
      .prepare(`SELECT key, value, run_uuid FROM tags WHERE run_uuid IN (${sub}) ORDER BY key`)
      .all(...args) as (KeyValue & { run_uuid: string })[];
    const byRun = new Map<string, { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] }>();
    for (const r of runs) byRun.set(r.run_uuid, { metrics: [], params: [], tags: [] });
    for (const m of metrics) byRun.get(m.run_uuid)?.metrics.push(toMetric(m));
    for (const p of params)
      byRun.get(p.run_uuid)?.params.push({ key: p.key, value: p.value ?? '' });
    for (const t of tags) byRun.get(t.run_uuid)?.tags.push({ key: t.key, value: t.value ?? '' });
    const inputs = this.runInputs(db, sub, args);
    return runs.map((r) => {
      const d = byRun.get(r.run_uuid)!;
      const inp = inputs.get(r.run_uuid);
      return {
        ...(inp ? { inputs: inp } : {}),
        info: {
          run_id: r.run_uuid,
          run_uuid: r.run_uuid,
          run_name: r.name ?? undefined,
          experiment_id: String(r.experiment_id),
          user_id: r.user_id ?? undefined,
          status: (r.status ?? 'RUNNING') as RunStatus,
          start_time: r.start_time ?? undefined,
          end_time: r.end_time ?? undefined,
          artifact_uri: r.artifact_uri ?? undefined,
          lifecycle_stage: r.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
        },
        data: d,
      };
    });
  }

  /** Dataset inputs (with their profile: the row count) and model inputs of the selected runs. */
  private runInputs(
    db: Database.Database,
    sub: string,
    args: unknown[],
  ): Map<string, { dataset_inputs: DatasetInput[]; model_inputs: { model_id: string }[] }> {
    const out = new Map<
      string,
      { dataset_inputs: DatasetInput[]; model_inputs: { model_id: string }[] }
    >();
    if (!this.has(db, 'inputs')) return out;
    const entry = (run: string) => {
      let e = out.get(run);
      if (!e) out.set(run, (e = { dataset_inputs: [], model_inputs: [] }));
      return e;
    };
    if (this.has(db, 'datasets')) {
      const rows = db
        .prepare(
          `SELECT i.input_uuid, i.destination_id AS run_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, d.dataset_schema, d.dataset_profile
         FROM inputs i JOIN datasets d ON d.dataset_uuid = i.source_id
         WHERE i.source_type = 'DATASET' AND i.destination_type = 'RUN' AND i.destination_id IN (${sub}) ORDER BY i.input_uuid`,
        )
        .all(...args) as {
        input_uuid: string;
        run_uuid: string;
        name: string;
        digest: string;
        dataset_source_type: string;
        dataset_source: string;
        dataset_schema: string | null;
        dataset_profile: string | null;
      }[];
      const tagRows =
        this.has(db, 'input_tags') && rows.length
          ? (db
              .prepare(
                `SELECT input_uuid, name, value FROM input_tags WHERE input_uuid IN (${rows.map(() => '?').join(',')})`,
              )
              .all(...rows.map((r) => r.input_uuid)) as {
              input_uuid: string;
              name: string;
              value: string;
            }[])
          : [];
      for (const r of rows) {
        entry(r.run_uuid).dataset_inputs.push({
          tags: tagRows
            .filter((t) => t.input_uuid === r.input_uuid)
            .map((t) => ({ key: t.name, value: t.value })),
          dataset: {
            name: r.name,
            digest: r.digest,
            source_type: r.dataset_source_type,
            source: r.dataset_source,
            schema: r.dataset_schema ?? undefined,
            profile: r.dataset_profile ?? undefined,
          },
        });
      }
    }
    const models = db
      .prepare(
        `SELECT source_id AS run_uuid, destination_id AS model_id FROM inputs WHERE source_type = 'RUN_INPUT' AND destination_type = 'MODEL_INPUT' AND source_id IN (${sub})`,
      )
      .all(...args) as { run_uuid: string; model_id: string }[];
    for (const m of models) entry(m.run_uuid).model_inputs.push({ model_id: m.model_id });
    return out;
  }

  async searchRuns(req: SearchRunsRequest): Promise<SearchRunsResponse> {
    // A bad filter is the caller's error (INVALID_PARAMETER_VALUE), not an unreadable store.
    const clauses = parseFilter(req.filter);
    const runs = this.read('runs', (db) => {
      const ids = this.ownIds(db, req.experiment_ids);
      if (ids.length === 0) return [];
      // Tag equality clauses go to SQL (indexed); the in-memory search applies the full filter.
      const where = [`experiment_id IN (${ids.map(() => '?').join(',')})`];
      const args: unknown[] = [...ids];
      for (const c of clauses) {
        if (c.type === 'tag' && c.op === '=' && typeof c.value === 'string') {
          where.push('run_uuid IN (SELECT run_uuid FROM tags WHERE key = ? AND value = ?)');
          args.push(c.key, c.value);
        } else if (
          c.type === 'attribute' &&
          c.key === 'run_id' &&
          c.op === 'IN' &&
          Array.isArray(c.value)
        ) {
          where.push(`run_uuid IN (${c.value.map(() => '?').join(',')})`);
          args.push(...c.value);
        }
      }
      return this.loadRuns(db, where.join(' AND '), args);
    });
    return searchInMemory(runs, req);
  }

  async searchLoggedModels(req: SearchLoggedModelsRequest): Promise<SearchLoggedModelsResponse> {
    parseFilter(req.filter, 'models');
    const models = this.read('logged models', (db) => {
      if (!this.has(db, 'logged_models')) return [];
      const ids = this.ownIds(db, req.experiment_ids);
      if (ids.length === 0) return [];
      const where = `experiment_id IN (${ids.map(() => '?').join(',')}) AND (lifecycle_stage IS NULL OR lifecycle_stage = 'active')`;
      const rows = db.prepare(`SELECT * FROM logged_models WHERE ${where}`).all(...ids) as {
        model_id: string;
        experiment_id: number;
        name: string;
        creation_timestamp_ms: number;
        last_updated_timestamp_ms: number;
        status: number;
        source_run_id: string | null;
      }[];
      if (rows.length === 0) return [];
      const sub = `SELECT model_id FROM logged_models WHERE ${where}`;
      const tags = this.has(db, 'logged_model_tags')
        ? (db
            .prepare(
              `SELECT model_id, tag_key, tag_value FROM logged_model_tags WHERE model_id IN (${sub}) ORDER BY tag_key`,
            )
            .all(...ids) as { model_id: string; tag_key: string; tag_value: string }[])
        : [];
      const params = this.has(db, 'logged_model_params')
        ? (db
            .prepare(
              `SELECT model_id, param_key, param_value FROM logged_model_params WHERE model_id IN (${sub}) ORDER BY param_key`,
            )
            .all(...ids) as { model_id: string; param_key: string; param_value: string }[])
        : [];
      const metrics = this.has(db, 'logged_model_metrics')
        ? (db
            .prepare(
              `SELECT * FROM logged_model_metrics WHERE model_id IN (${sub}) ORDER BY metric_name, metric_timestamp_ms`,
            )
            .all(...ids) as {
            model_id: string;
            metric_name: string;
            metric_timestamp_ms: number;
            metric_step: number;
            metric_value: number | null;
            run_id: string;
            dataset_name: string | null;
            dataset_digest: string | null;
          }[])
        : [];
      return rows.map((r): LoggedModel => ({
        info: {
          model_id: r.model_id,
          experiment_id: String(r.experiment_id),
          name: r.name,
          creation_timestamp_ms: Number(r.creation_timestamp_ms),
          last_updated_timestamp_ms: Number(r.last_updated_timestamp_ms),
          status: MODEL_STATUS[r.status] ?? String(r.status),
          source_run_id: r.source_run_id ?? undefined,
          tags: tags
            .filter((t) => t.model_id === r.model_id)
            .map((t) => ({ key: t.tag_key, value: t.tag_value })),
        },
        data: {
          params: params
            .filter((p) => p.model_id === r.model_id)
            .map((p) => ({ key: p.param_key, value: p.param_value })),
          metrics: metrics
            .filter((m) => m.model_id === r.model_id)
            .map((m): ModelMetric => ({
              key: m.metric_name,
              value: m.metric_value === null ? NaN : Number(m.metric_value),
              timestamp: Number(m.metric_timestamp_ms),
              step: Number(m.metric_step),
              run_id: m.run_id,
              dataset_name: m.dataset_name ?? undefined,
              dataset_digest: m.dataset_digest ?? undefined,
            })),
        },
      }));
    });
    return searchModelsInMemory(models, req);
  }

  async searchTraces(req: SearchTracesRequest): Promise<SearchTracesResponse> {
    const clauses = parseFilter(req.filter, 'traces');
    const traces = this.read('traces', (db) => {
      if (!this.has(db, 'trace_info')) return [];
      const ids = this.ownIds(db, req.experiment_ids);
      if (ids.length === 0) return [];
      const where = [`t.experiment_id IN (${ids.map(() => '?').join(',')})`];
      const args: unknown[] = [...ids];
      // Metadata equality (the evaluation run: metadata.`mlflow.sourceRun`) goes to SQL as a
      // lookup per trace on the (key, request_id) primary key: MLflow has no index on the value,
      // so `request_id IN (SELECT ... WHERE key = ? AND value = ?)` read every trace's row of
      // that key in the store (seconds at 100,000 traces); the experiment's traces are few.
      for (const c of clauses) {
        if (
          c.type === 'metadata' &&
          c.op === '=' &&
          typeof c.value === 'string' &&
          this.has(db, 'trace_request_metadata')
        ) {
          where.push(
            'EXISTS (SELECT 1 FROM trace_request_metadata m WHERE m.key = ? AND m.request_id = t.request_id AND m.value = ?)',
          );
          args.push(c.key, c.value);
        }
      }
      const rows = db
        .prepare(
          `SELECT t.request_id, t.experiment_id, t.timestamp_ms, t.status FROM trace_info t WHERE ${where.join(' AND ')}`,
        )
        .all(...args) as {
        request_id: string;
        experiment_id: number;
        timestamp_ms: number;
        status: string;
      }[];
      if (rows.length === 0) return [];
      // The selected traces' ids as one JSON parameter: each child table is read once by its
      // request-id index, instead of re-running the selection as a subquery per table.
      const sub = 'SELECT value FROM json_each(?)';
      const idsJson = JSON.stringify(rows.map((r) => r.request_id));
      const byId = new Map<
        string,
        {
          metadata: Record<string, string>;
          tags: Record<string, string>;
          assessments: Assessment[];
        }
      >();
      for (const r of rows) byId.set(r.request_id, { metadata: {}, tags: {}, assessments: [] });
      if (this.has(db, 'trace_request_metadata')) {
        for (const m of db
          .prepare(
            `SELECT key, value, request_id FROM trace_request_metadata WHERE request_id IN (${sub})`,
          )
          .all(idsJson) as { key: string; value: string | null; request_id: string }[]) {
          byId.get(m.request_id)!.metadata[m.key] = m.value ?? '';
        }
      }
      if (this.has(db, 'trace_tags')) {
        for (const t of db
          .prepare(`SELECT key, value, request_id FROM trace_tags WHERE request_id IN (${sub})`)
          .all(idsJson) as { key: string; value: string | null; request_id: string }[]) {
          byId.get(t.request_id)!.tags[t.key] = t.value ?? '';
        }
      }
      if (this.has(db, 'assessments')) {
        const rowsA = db
          .prepare(
            `SELECT assessment_id, trace_id, name, assessment_type, value, error, run_id, valid FROM assessments WHERE trace_id IN (${sub}) ORDER BY created_timestamp, assessment_id`,
          )
          .all(idsJson) as {
          assessment_id: string;
          trace_id: string;
          name: string;
          assessment_type: string;
          value: string;
          error: string | null;
          run_id: string | null;
          valid: number;
        }[];
        for (const a of rowsA) {
          // Expectations are ground truth, not scores; values are JSON text.
          if (a.assessment_type !== 'feedback') continue;
          let value: unknown;
          try {
            value = JSON.parse(a.value) as unknown;
          } catch {
            value = a.value;
          }
          byId.get(a.trace_id)!.assessments.push({
            assessment_id: a.assessment_id,
            name: a.name,
            trace_id: a.trace_id,
            value,
            run_id: a.run_id ?? undefined,
            valid: Boolean(a.valid),
            error: a.error ?? undefined,
          });
        }
      }
      return rows.map((r): TraceInfo => ({
        trace_id: r.request_id,
        experiment_id: String(r.experiment_id),
        request_time: Number(r.timestamp_ms),
        state: r.status,
        ...byId.get(r.request_id)!,
      }));
    });
    return searchTracesInMemory(traces, req);
  }

  getRun(runId: string): Run | null {
    return this.read('run', (db) => {
      const ws = this.inWorkspace(db);
      return (
        this.loadRuns(
          db,
          `run_uuid = ? AND experiment_id IN (SELECT experiment_id FROM experiments WHERE 1 = 1${ws.sql})`,
          [runId, ...ws.args],
        )[0] ?? null
      );
    });
  }

  getMetricHistory(runId: string, key: string): Metric[] {
    return this.read('metric history', (db) =>
      (
        db
          .prepare(
            'SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step',
          )
          .all(runId, key) as MetricRow[]
      ).map(toMetric),
    );
  }

  async ping(): Promise<void> {
    this.read('schema', (db) => db.prepare('SELECT count(*) AS n FROM experiments').get());
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
    this.tables = undefined;
    this.columns.clear();
  }
}

function toMetric(m: MetricRow): Metric {
  // MLflow stores NaN as value 0 with is_nan = 1.
  return {
    key: m.key,
    value: m.is_nan ? NaN : Number(m.value),
    timestamp: Number(m.timestamp),
    step: Number(m.step),
  };
}
