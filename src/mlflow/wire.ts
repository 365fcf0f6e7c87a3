/**
 * Reading MLflow's JSON defensively. The tracking server follows protobuf JSON (`"NaN"`,
 * `"Infinity"` as strings, int64 as numbers or strings, empty lists omitted), but older servers
 * and proxies emit Python's bare `NaN`/`Infinity` tokens, which `JSON.parse` rejects.
 */
import type {
  Assessment,
  Dataset,
  Experiment,
  KeyValue,
  LoggedModel,
  Metric,
  ModelMetric,
  Run,
  RunInputs,
  RunStatus,
  TraceInfo,
} from './types.js';

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
        if (c === '\\') {
          out += text[i + 1] ?? '';
          i++;
        } else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') {
        inString = true;
        out += c;
        continue;
      }
      if (text.startsWith('-Infinity', i)) {
        out += '"-Infinity"';
        i += 8;
        continue;
      }
      if (text.startsWith('Infinity', i)) {
        out += '"Infinity"';
        i += 7;
        continue;
      }
      if (text.startsWith('NaN', i)) {
        out += '"NaN"';
        i += 2;
        continue;
      }
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
  if (!v || typeof v !== 'object' || Array.isArray(v))
    throw new TypeError(`${what} is not an object`);
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
  if (o.experiment_id === undefined || typeof o.name !== 'string')
    throw new TypeError('experiment lacks experiment_id or name');
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
  if (!STATUSES.has(status))
    throw new TypeError(`${where}.info.status '${status}' is not a run status`);
  const metrics: Metric[] = list(data.metrics, `${where}.data.metrics`).map((m, i) => {
    const mo = obj(m, `${where}.data.metrics[${i}]`);
    if (typeof mo.key !== 'string')
      throw new TypeError(`${where}.data.metrics[${i}].key is not a string`);
    return {
      key: mo.key,
      value: toDouble(mo.value),
      timestamp: toInt(mo.timestamp) ?? 0,
      step: toInt(mo.step) ?? 0,
    };
  });
  const inputs =
    o.inputs === undefined || o.inputs === null ? undefined : toInputs(o.inputs, `${where}.inputs`);
  return {
    ...(inputs ? { inputs } : {}),
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
      params: list(data.params, `${where}.data.params`).map((p, i) =>
        kv(p, `${where}.data.params[${i}]`),
      ),
      tags: list(data.tags, `${where}.data.tags`).map((t, i) => kv(t, `${where}.data.tags[${i}]`)),
    },
  };
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function toInputs(v: unknown, where: string): RunInputs {
  const o = obj(v, where);
  const datasets = list(o.dataset_inputs, `${where}.dataset_inputs`).map((d, i) => {
    const di = obj(d, `${where}.dataset_inputs[${i}]`);
    const ds = obj(di.dataset, `${where}.dataset_inputs[${i}].dataset`);
    const dataset: Dataset = {
      name: String(ds.name ?? ''),
      digest: String(ds.digest ?? ''),
      source_type: str(ds.source_type),
      source: str(ds.source),
      schema: str(ds.schema),
      profile: str(ds.profile),
    };
    return {
      tags: list(di.tags, `${where}.dataset_inputs[${i}].tags`).map((t, j) =>
        kv(t, `${where}.dataset_inputs[${i}].tags[${j}]`),
      ),
      dataset,
    };
  });
  const models = list(o.model_inputs, `${where}.model_inputs`).map((m, i) => ({
    model_id: String(obj(m, `${where}.model_inputs[${i}]`).model_id ?? ''),
  }));
  return { dataset_inputs: datasets, model_inputs: models };
}

/** A LoggedModel as `logged-models/search` returns it. */
export function toLoggedModel(v: unknown, where = 'model'): LoggedModel {
  const o = obj(v, where);
  const info = obj(o.info, `${where}.info`);
  const data = o.data === undefined || o.data === null ? {} : obj(o.data, `${where}.data`);
  if (typeof info.model_id !== 'string' || !info.model_id)
    throw new TypeError(`${where}.info lacks model_id`);
  const metrics: ModelMetric[] = list(data.metrics, `${where}.data.metrics`).map((m, i) => {
    const mo = obj(m, `${where}.data.metrics[${i}]`);
    if (typeof mo.key !== 'string')
      throw new TypeError(`${where}.data.metrics[${i}].key is not a string`);
    return {
      key: mo.key,
      value: toDouble(mo.value),
      timestamp: toInt(mo.timestamp) ?? 0,
      step: toInt(mo.step) ?? 0,
      run_id: str(mo.run_id),
      dataset_name: str(mo.dataset_name),
      dataset_digest: str(mo.dataset_digest),
    };
  });
  return {
    info: {
      model_id: info.model_id,
      experiment_id: String(info.experiment_id ?? ''),
      name: String(info.name ?? ''),
      creation_timestamp_ms: toInt(info.creation_timestamp_ms) ?? 0,
      last_updated_timestamp_ms: toInt(info.last_updated_timestamp_ms),
      status: str(info.status),
      source_run_id: str(info.source_run_id),
      tags: list(info.tags, `${where}.info.tags`).map((t, i) => kv(t, `${where}.info.tags[${i}]`)),
    },
    data: {
      params: list(data.params, `${where}.data.params`).map((p, i) =>
        kv(p, `${where}.data.params[${i}]`),
      ),
      metrics,
    },
  };
}

/** RFC 3339 (protobuf Timestamp JSON) or milliseconds -> milliseconds. */
function toMillis(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string') {
    const n = Number(v);
    if (v.trim() !== '' && Number.isFinite(n)) return n;
    const t = Date.parse(v);
    if (Number.isFinite(t)) return t;
  }
  return 0;
}

function stringMap(v: unknown, where: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  const out: Record<string, string> = {};
  // Proto3 JSON maps are objects; some clients send [{key, value}] lists.
  if (Array.isArray(v))
    for (const [i, e] of v.entries()) {
      const p = kv(e, `${where}[${i}]`);
      out[p.key] = p.value;
    }
  else
    for (const [k, x] of Object.entries(obj(v, where)))
      out[k] = x === null || x === undefined ? '' : String(x);
  return out;
}

export function toAssessment(v: unknown, where = 'assessment'): Assessment {
  const o = obj(v, where);
  const feedback =
    o.feedback === undefined || o.feedback === null
      ? undefined
      : obj(o.feedback, `${where}.feedback`);
  const error = feedback?.error;
  return {
    assessment_id: String(o.assessment_id ?? ''),
    name: String(o.assessment_name ?? o.name ?? ''),
    trace_id: String(o.trace_id ?? ''),
    // Expectations (ground truth) are not scores: only feedback carries a value we judge.
    value: feedback ? feedback.value : undefined,
    run_id: str(o.run_id),
    valid:
      o.valid === undefined || o.valid === null ? true : o.valid === true || o.valid === 'true',
    error:
      error === undefined || error === null
        ? undefined
        : typeof error === 'string'
          ? error
          : JSON.stringify(error),
  };
}

/** A TraceInfoV3 as `POST /api/3.0/mlflow/traces/search` returns it. */
export function toTraceInfo(v: unknown, where = 'trace'): TraceInfo {
  const o = obj(v, where);
  const id = String(o.trace_id ?? o.request_id ?? '');
  if (!id) throw new TypeError(`${where} lacks trace_id`);
  const loc =
    o.trace_location === undefined || o.trace_location === null
      ? {}
      : obj(o.trace_location, `${where}.trace_location`);
  const exp =
    loc.mlflow_experiment && typeof loc.mlflow_experiment === 'object'
      ? (loc.mlflow_experiment as Record<string, unknown>).experiment_id
      : o.experiment_id;
  return {
    trace_id: id,
    experiment_id: String(exp ?? ''),
    request_time: toMillis(o.request_time ?? o.timestamp_ms),
    state: String(o.state ?? o.status ?? ''),
    metadata: stringMap(o.trace_metadata ?? o.request_metadata, `${where}.trace_metadata`),
    tags: stringMap(o.tags, `${where}.tags`),
    assessments: list(o.assessments, `${where}.assessments`).map((a, i) =>
      toAssessment(a, `${where}.assessments[${i}]`),
    ),
  };
}

export function modelToWire(m: LoggedModel): Record<string, unknown> {
  const info: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m.info))
    if (v !== undefined && !(Array.isArray(v) && v.length === 0)) info[k] = v;
  const data: Record<string, unknown> = {};
  if (m.data.params?.length) data.params = m.data.params;
  if (m.data.metrics?.length)
    data.metrics = m.data.metrics.map((x) => ({
      ...x,
      value: doubleToWire(x.value),
      model_id: m.info.model_id,
    }));
  return { info, data };
}

export function traceToWire(t: TraceInfo): Record<string, unknown> {
  const out: Record<string, unknown> = {
    trace_id: t.trace_id,
    trace_location: {
      type: 'MLFLOW_EXPERIMENT',
      mlflow_experiment: { experiment_id: t.experiment_id },
    },
    request_time: new Date(t.request_time).toISOString(),
    state: t.state,
    trace_metadata: t.metadata,
    tags: t.tags,
  };
  if (t.assessments.length) {
    out.assessments = t.assessments.map((a) => ({
      assessment_id: a.assessment_id,
      assessment_name: a.name,
      trace_id: a.trace_id,
      feedback: { value: a.value, ...(a.error ? { error: { error_message: a.error } } : {}) },
      ...(a.run_id ? { run_id: a.run_id } : {}),
      valid: a.valid,
    }));
  }
  return out;
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
  if (run.data.metrics?.length)
    data.metrics = run.data.metrics.map((m) => ({ ...m, value: doubleToWire(m.value) }));
  if (run.data.params?.length) data.params = run.data.params;
  if (run.data.tags?.length) data.tags = run.data.tags;
  const info: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(run.info)) if (v !== undefined) info[k] = v;
  const inputs: Record<string, unknown> = {};
  if (run.inputs?.dataset_inputs?.length) inputs.dataset_inputs = run.inputs.dataset_inputs;
  if (run.inputs?.model_inputs?.length) inputs.model_inputs = run.inputs.model_inputs;
  return Object.keys(inputs).length ? { info, data, inputs } : { info, data };
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
