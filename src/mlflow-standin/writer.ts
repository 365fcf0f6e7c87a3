/**
 * Writers for MLflow's local layouts, used by the stand-in server (runs/create, log-metric, ...)
 * and by tests and the demo to build data exactly where and how MLflow writes it. The gate
 * itself never writes: its readers live in src/gate/mlflow and open stores read-only.
 */
import { randomUUID } from 'node:crypto';
import type { RunStatus } from '../gate/mlflow/types.js';

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

export interface StoreWriter {
  /** Returns the new experiment id; RESOURCE_ALREADY_EXISTS if the name is taken. */
  createExperiment(name: string, tags?: Readonly<Record<string, string>>): string;
  /** Returns the new run id; RESOURCE_DOES_NOT_EXIST for an unknown experiment. */
  createRun(experimentId: string, opts?: CreateRunOptions): string;
  logMetric(runId: string, key: string, value: number, timestamp?: number, step?: number): void;
  logParam(runId: string, key: string, value: string): void;
  setTag(runId: string, key: string, value: string): void;
  updateRun(runId: string, opts: UpdateRunOptions): void;
  close(): void;
}

/** A 32-hex-digit run id like MLflow's `uuid.uuid4().hex`. */
export function newRunId(): string {
  return randomUUID().replace(/-/g, '');
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
}

export interface SeedExperiment {
  readonly name: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly runs?: readonly SeedRun[];
}

export interface SeedResult {
  readonly experiments: Readonly<Record<string, string>>;
  /** Run ids per experiment name, in the order given. */
  readonly runs: Readonly<Record<string, readonly string[]>>;
}

/** Writes experiments and runs through any writer. Earlier runs get earlier start times. */
export function seed(writer: StoreWriter, experiments: readonly SeedExperiment[], now = Date.now()): SeedResult {
  const expIds: Record<string, string> = {};
  const runIds: Record<string, string[]> = {};
  for (const e of experiments) {
    const id = writer.createExperiment(e.name, e.tags);
    expIds[e.name] = id;
    runIds[e.name] = [];
    const runs = e.runs ?? [];
    runs.forEach((r, i) => {
      const start = r.startTime ?? now - (runs.length - i) * 1000;
      const runId = writer.createRun(id, { runName: r.name, startTime: start, tags: r.tags });
      for (const [k, v] of Object.entries(r.params ?? {})) writer.logParam(runId, k, v);
      for (const [k, v] of Object.entries(r.metrics ?? {})) {
        const values = typeof v === 'number' ? [v] : v;
        values.forEach((value, step) => writer.logMetric(runId, k, value, start + 500 + step, step));
      }
      const status = r.status ?? 'FINISHED';
      if (status !== 'RUNNING') writer.updateRun(runId, { status, endTime: r.endTime ?? start + 900 });
      runIds[e.name]!.push(runId);
    });
  }
  return { experiments: expIds, runs: runIds };
}
