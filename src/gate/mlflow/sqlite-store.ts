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
  type Experiment, type KeyValue, type LocalStore, type Metric, type Run, type RunStatus,
  type SearchRunsRequest, type SearchRunsResponse, type ViewType,
} from './types.js';
import { searchInMemory } from './search.js';

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
  if (!m || !m[1]) throw new Error(`'${uri}' is not a SQLite URI. Fix: write sqlite:///relative/path.db or sqlite:////absolute/path.db.`);
  return m[1].split('?')[0]!;
}

export class SqliteStore implements LocalStore {
  readonly kind = 'sqlite' as const;
  readonly location: string;
  private db?: Database.Database;

  constructor(readonly path: string) {
    this.location = `sqlite:///${path}`;
  }

  private open(): Database.Database {
    if (this.db) return this.db;
    if (!existsSync(this.path)) throw new MlflowUnavailableError(`MLflow SQLite store ${this.path} does not exist`, 'store');
    try {
      this.db = new Database(this.path, { readonly: true, fileMustExist: true });
      // Wait briefly for a writer (MLflow logging a run) instead of failing with SQLITE_BUSY.
      this.db.pragma('busy_timeout = 1000');
      return this.db;
    } catch (err) {
      throw new MlflowUnavailableError(`cannot open MLflow SQLite store ${this.path}: ${(err as Error).message}`, 'store');
    }
  }

  private read<T>(what: string, fn: (db: Database.Database) => T): T {
    const db = this.open();
    try {
      return fn(db);
    } catch (err) {
      throw new MlflowUnavailableError(`reading ${what} from ${this.path} failed: ${(err as Error).message}`, 'store');
    }
  }

  private toExperiment(db: Database.Database, row: ExperimentRow): Experiment {
    const tags = db.prepare('SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key').all(row.experiment_id) as KeyValue[];
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
      const row = db.prepare("SELECT * FROM experiments WHERE name = ? ORDER BY lifecycle_stage = 'active' DESC LIMIT 1").get(name) as ExperimentRow | undefined;
      if (!row || row.lifecycle_stage === 'deleted') return null;
      return this.toExperiment(db, row);
    });
  }

  getExperiment(id: string): Experiment | null {
    return this.read('experiment', (db) => {
      const row = db.prepare('SELECT * FROM experiments WHERE experiment_id = ?').get(Number(id)) as ExperimentRow | undefined;
      return row ? this.toExperiment(db, row) : null;
    });
  }

  listExperiments(view: ViewType = 'ACTIVE_ONLY'): Experiment[] {
    return this.read('experiments', (db) => {
      const rows = db.prepare('SELECT * FROM experiments ORDER BY experiment_id').all() as ExperimentRow[];
      return rows
        .filter((r) => view === 'ALL' || (view === 'ACTIVE_ONLY') === (r.lifecycle_stage !== 'deleted'))
        .map((r) => this.toExperiment(db, r));
    });
  }

  /** Every run of the experiments with latest metrics, params and tags (what runs/search returns). */
  private loadRuns(db: Database.Database, where: string, args: unknown[]): Run[] {
    const runs = db.prepare(`SELECT * FROM runs WHERE ${where}`).all(...args) as RunRow[];
    if (runs.length === 0) return [];
    const sub = `SELECT run_uuid FROM runs WHERE ${where}`;
    const metrics = db.prepare(`SELECT key, value, timestamp, step, is_nan, run_uuid FROM latest_metrics WHERE run_uuid IN (${sub}) ORDER BY key`).all(...args) as MetricRow[];
    const params = db.prepare(`SELECT key, value, run_uuid FROM params WHERE run_uuid IN (${sub}) ORDER BY key`).all(...args) as (KeyValue & { run_uuid: string })[];
    const tags = db.prepare(`SELECT key, value, run_uuid FROM tags WHERE run_uuid IN (${sub}) ORDER BY key`).all(...args) as (KeyValue & { run_uuid: string })[];
    const byRun = new Map<string, { metrics: Metric[]; params: KeyValue[]; tags: KeyValue[] }>();
    for (const r of runs) byRun.set(r.run_uuid, { metrics: [], params: [], tags: [] });
    for (const m of metrics) byRun.get(m.run_uuid)?.metrics.push(toMetric(m));
    for (const p of params) byRun.get(p.run_uuid)?.params.push({ key: p.key, value: p.value ?? '' });
    for (const t of tags) byRun.get(t.run_uuid)?.tags.push({ key: t.key, value: t.value ?? '' });
    return runs.map((r) => {
      const d = byRun.get(r.run_uuid)!;
      return {
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

  async searchRuns(req: SearchRunsRequest): Promise<SearchRunsResponse> {
    const ids = req.experiment_ids.map((id) => Number(id)).filter((n) => Number.isInteger(n));
    if (ids.length === 0) return { runs: [] };
    const runs = this.read('runs', (db) => this.loadRuns(db, `experiment_id IN (${ids.map(() => '?').join(',')})`, ids));
    return searchInMemory(runs, req);
  }

  getRun(runId: string): Run | null {
    return this.read('run', (db) => this.loadRuns(db, 'run_uuid = ?', [runId])[0] ?? null);
  }

  getMetricHistory(runId: string, key: string): Metric[] {
    return this.read('metric history', (db) =>
      (db.prepare('SELECT key, value, timestamp, step, is_nan, run_uuid FROM metrics WHERE run_uuid = ? AND key = ? ORDER BY timestamp, step').all(runId, key) as MetricRow[]).map(toMetric),
    );
  }

  async ping(): Promise<void> {
    this.read('schema', (db) => db.prepare('SELECT count(*) AS n FROM experiments').get());
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }
}

function toMetric(m: MetricRow): Metric {
  // MLflow stores NaN as value 0 with is_nan = 1.
  return { key: m.key, value: m.is_nan ? NaN : Number(m.value), timestamp: Number(m.timestamp), step: Number(m.step) };
}
