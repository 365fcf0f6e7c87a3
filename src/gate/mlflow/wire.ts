/**
 * Reading MLflow's JSON defensively. The tracking server follows protobuf JSON (`"NaN"`,
 * `"Infinity"` as strings, int64 as numbers or strings, empty lists omitted), but older servers
 * and proxies emit Python's bare `NaN`/`Infinity` tokens, which `JSON.parse` rejects.
 */
import type { Experiment, KeyValue, Metric, Run, RunStatus } from './types.js';

/** Parses JSON, accepting bare NaN / Infinity / -Infinity tokens outside strings. */
export function parseLenientJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (first) {
    if (!/NaN|Infinity/.test(text)) throw first;
    let out = '';
    let inString = false;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        out += c;
        if (c === '\\') { out += text[i + 1] ?? ''; i++; }
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') { inString = true; out += c; continue; }
      if (text.startsWith('-Infinity', i)) { out += '"-Infinity"'; i += 8; continue; }
      if (text.startsWith('Infinity', i)) { out += '"Infinity"'; i += 7; continue; }
      if (text.startsWith('NaN', i)) { out += '"NaN"'; i += 2; continue; }
      out += c;
    }
    return JSON.parse(out) as unknown;
  }
}

/** A metric value from the wire: number, or protobuf's string spellings of non-finite doubles. */
export function toDouble(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    if (v === 'NaN' || v === 'nan') return NaN;
    if (v === 'Infinity' || v === 'inf') return Infinity;
    if (v === '-Infinity' || v === '-inf') return -Infinity;
    const n = Number(v);
    if (v.trim() !== '' && !Number.isNaN(n)) return n;
  }
  throw new TypeError(`not a number: ${JSON.stringify(v)}`);
}

function toInt(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
}

function obj(v: unknown, what: string): Record<string, unknown> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TypeError(`${what} is not an object`);
  return v as Record<string, unknown>;
}

function list(v: unknown, what: string): unknown[] {
  if (v === undefined || v === null) return []; // MLflow omits empty repeated fields
  if (!Array.isArray(v)) throw new TypeError(`${what} is not a list`);
  return v;
}

function kv(v: unknown, what: string): KeyValue {
  const o = obj(v, what);
  if (typeof o.key !== 'string') throw new TypeError(`${what}.key is not a string`);
  return { key: o.key, value: o.value === undefined || o.value === null ? '' : String(o.value) };
}

export function toExperiment(v: unknown): Experiment {
  const o = obj(v, 'experiment');
  if (o.experiment_id === undefined || typeof o.name !== 'string') throw new TypeError('experiment lacks experiment_id or name');
  return {
    experiment_id: String(o.experiment_id),
    name: o.name,
    artifact_location: typeof o.artifact_location === 'string' ? o.artifact_location : undefined,
    lifecycle_stage: o.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    creation_time: toInt(o.creation_time),
    last_update_time: toInt(o.last_update_time),
    tags: list(o.tags, 'experiment.tags').map((t, i) => kv(t, `experiment.tags[${i}]`)),
  };
}

const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

export function toRun(v: unknown, where = 'run'): Run {
  const o = obj(v, where);
  const info = obj(o.info, `${where}.info`);
  const data = o.data === undefined ? {} : obj(o.data, `${where}.data`);
  const runId = String(info.run_id ?? info.run_uuid ?? '');
  if (!runId) throw new TypeError(`${where}.info lacks run_id`);
  const status = String(info.status ?? '');
  if (!STATUSES.has(status)) throw new TypeError(`${where}.info.status '${status}' is not a run status`);
  const metrics: Metric[] = list(data.metrics, `${where}.data.metrics`).map((m, i) => {
    const mo = obj(m, `${where}.data.metrics[${i}]`);
    if (typeof mo.key !== 'string') throw new TypeError(`${where}.data.metrics[${i}].key is not a string`);
    return { key: mo.key, value: toDouble(mo.value), timestamp: toInt(mo.timestamp) ?? 0, step: toInt(mo.step) ?? 0 };
  });
  return {
    info: {
      run_id: runId,
      run_uuid: runId,
      run_name: typeof info.run_name === 'string' ? info.run_name : undefined,
      experiment_id: String(info.experiment_id ?? ''),
      user_id: typeof info.user_id === 'string' ? info.user_id : undefined,
      status: status as RunStatus,
      start_time: toInt(info.start_time),
      end_time: toInt(info.end_time),
      artifact_uri: typeof info.artifact_uri === 'string' ? info.artifact_uri : undefined,
      lifecycle_stage: info.lifecycle_stage === 'deleted' ? 'deleted' : 'active',
    },
    data: {
      metrics,
      params: list(data.params, `${where}.data.params`).map((p, i) => kv(p, `${where}.data.params[${i}]`)),
      tags: list(data.tags, `${where}.data.tags`).map((t, i) => kv(t, `${where}.data.tags[${i}]`)),
    },
  };
}

/** A double as protobuf JSON writes it. */
export function doubleToWire(v: number): number | string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

/** A run as the tracking server serialises it: empty lists omitted, non-finite doubles as strings. */
export function runToWire(run: Run): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  if (run.data.metrics?.length) data.metrics = run.data.metrics.map((m) => ({ ...m, value: doubleToWire(m.value) }));
  if (run.data.params?.length) data.params = run.data.params;
  if (run.data.tags?.length) data.tags = run.data.tags;
  const info: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(run.info)) if (v !== undefined) info[k] = v;
  return { info, data };
}

export function experimentToWire(e: Experiment): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) continue;
    if (k === 'tags' && Array.isArray(v) && v.length === 0) continue;
    out[k] = v;
  }
  return out;
}
