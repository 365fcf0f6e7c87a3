/**
 * The MLflow data model as the REST API returns it (snake_case, `proto_json_utils` conventions),
 * and the one interface every MLflow source implements: the REST client, the SQLite reader and
 * the `mlruns/` file-store reader. The gate only talks to `MlflowSource`.
 */
import { AgentCanaryError } from '../errors/error.js';

export interface KeyValue {
  readonly key: string;
  readonly value: string;
}

export interface Experiment {
  readonly experiment_id: string;
  readonly name: string;
  readonly artifact_location?: string;
  readonly lifecycle_stage: 'active' | 'deleted';
  readonly creation_time?: number;
  readonly last_update_time?: number;
  readonly tags?: readonly KeyValue[];
}

export type RunStatus = 'RUNNING' | 'SCHEDULED' | 'FINISHED' | 'FAILED' | 'KILLED';

export interface RunInfo {
  readonly run_id: string;
  readonly run_uuid: string;
  readonly run_name?: string;
  readonly experiment_id: string;
  readonly user_id?: string;
  readonly status: RunStatus;
  readonly start_time?: number;
  readonly end_time?: number;
  readonly artifact_uri?: string;
  readonly lifecycle_stage: 'active' | 'deleted';
}

/** `value` is a number; NaN and ±Infinity are real JS values here (the wire uses strings). */
export interface Metric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
}

export interface RunData {
  readonly metrics?: readonly Metric[];
  readonly params?: readonly KeyValue[];
  readonly tags?: readonly KeyValue[];
}

/** A dataset an evaluation read (`runs/search` returns it in `inputs.dataset_inputs`). */
export interface Dataset {
  readonly name: string;
  readonly digest: string;
  readonly source_type?: string;
  readonly source?: string;
  readonly schema?: string;
  /** JSON such as `{"num_rows": 120, "num_elements": 240}`: the evaluated row count. */
  readonly profile?: string;
}

export interface DatasetInput {
  readonly tags?: readonly KeyValue[];
  readonly dataset: Dataset;
}

export interface RunInputs {
  readonly dataset_inputs?: readonly DatasetInput[];
  /** MLflow 3: the LoggedModels a run used (`model_inputs[].model_id`). */
  readonly model_inputs?: readonly { readonly model_id: string }[];
}

export interface Run {
  readonly info: RunInfo;
  readonly data: RunData;
  readonly inputs?: RunInputs;
}

/** A metric of a LoggedModel (`logged_model_metrics`): each row names the run that logged it. */
export interface ModelMetric {
  readonly key: string;
  readonly value: number;
  readonly timestamp: number;
  readonly step: number;
  readonly run_id?: string;
  readonly dataset_name?: string;
  readonly dataset_digest?: string;
}

/** MLflow 3's LoggedModel: the version of the thing evaluated (`logged_models`). */
export interface LoggedModel {
  readonly info: {
    readonly model_id: string;
    readonly experiment_id: string;
    readonly name: string;
    readonly creation_timestamp_ms: number;
    readonly last_updated_timestamp_ms?: number;
    /** `LOGGED_MODEL_PENDING`, `LOGGED_MODEL_READY`, `LOGGED_MODEL_UPLOAD_FAILED`. */
    readonly status?: string;
    readonly source_run_id?: string;
    readonly tags?: readonly KeyValue[];
  };
  readonly data: {
    readonly params?: readonly KeyValue[];
    readonly metrics?: readonly ModelMetric[];
  };
}

export interface SearchLoggedModelsRequest {
  readonly experiment_ids: readonly string[];
  /** e.g. ``name = 'support-bot-v4'`` or ``tags.`recif.agent_version` = '4'``. */
  readonly filter?: string;
  /** @default 50 */
  readonly max_results?: number;
  readonly page_token?: string;
}

export interface SearchLoggedModelsResponse {
  readonly models: readonly LoggedModel[];
  readonly next_page_token?: string;
}

/** One per-row judgement of an evaluation (`assessments`, MLflow 3 feedback). */
export interface Assessment {
  readonly assessment_id: string;
  readonly name: string;
  readonly trace_id: string;
  /** The feedback value as logged: a number, a boolean, `"yes"`/`"no"`, ... */
  readonly value: unknown;
  readonly run_id?: string;
  /** `false` when a newer assessment overrides this one. */
  readonly valid: boolean;
  /** Set when the scorer failed on this row. */
  readonly error?: string;
}

/** A trace's info with its assessments (`traces/search` of REST API 3.0). */
export interface TraceInfo {
  readonly trace_id: string;
  readonly experiment_id: string;
  readonly request_time: number;
  readonly state: string;
  readonly metadata: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly assessments: readonly Assessment[];
}

export interface SearchTracesRequest {
  readonly experiment_ids: readonly string[];
  /** e.g. ``metadata.`mlflow.sourceRun` = '<run id>'``. */
  readonly filter?: string;
  /** @default 100 */
  readonly max_results?: number;
  readonly page_token?: string;
}

export interface SearchTracesResponse {
  readonly traces: readonly TraceInfo[];
  readonly next_page_token?: string;
}

export type ViewType = 'ACTIVE_ONLY' | 'DELETED_ONLY' | 'ALL';

export interface SearchRunsRequest {
  readonly experiment_ids: readonly string[];
  /** MLflow search filter, e.g. ``attributes.status = 'FINISHED' AND tags.`a.b` = '4'``. */
  readonly filter?: string;
  /** @default 'ACTIVE_ONLY' */
  readonly run_view_type?: ViewType;
  /** @default 1000 */
  readonly max_results?: number;
  readonly order_by?: readonly string[];
  readonly page_token?: string;
}

export interface SearchRunsResponse {
  readonly runs: readonly Run[];
  readonly next_page_token?: string;
}

/** Per-call options: every call is bounded by a deadline and can be cancelled. */
export interface CallOptions {
  /** Absolute deadline (ms since epoch, `Date.now()` clock). */
  readonly deadline?: number;
  readonly signal?: AbortSignal;
}

/** What the gate reads. */
export interface MlflowSource {
  /** `rest`, `sqlite` or `file`. */
  readonly kind: 'rest' | 'sqlite' | 'file';
  /** Where the data comes from, without credentials (safe to log). */
  readonly location: string;
  /** The active experiment with that name, or `null` when there is none. */
  getExperimentByName(name: string, opts?: CallOptions): Promise<Experiment | null>;
  /** One page of runs. */
  searchRuns(req: SearchRunsRequest, opts?: CallOptions): Promise<SearchRunsResponse>;
  /** One page of LoggedModels (MLflow 3). */
  searchLoggedModels(
    req: SearchLoggedModelsRequest,
    opts?: CallOptions,
  ): Promise<SearchLoggedModelsResponse>;
  /** One page of trace infos with their assessments (MLflow 3). */
  searchTraces(req: SearchTracesRequest, opts?: CallOptions): Promise<SearchTracesResponse>;
  /** Throws when the source cannot be read (readiness). */
  ping(opts?: CallOptions): Promise<void>;
  close(): Promise<void>;
}

/** A local store also serves what the stand-in needs to speak the REST subset. */
export interface LocalStore extends MlflowSource {
  getExperiment(id: string): Experiment | null;
  listExperiments(view?: ViewType): Experiment[];
  getRun(runId: string): Run | null;
  getMetricHistory(runId: string, key: string): Metric[];
}

/**
 * The source could not answer (connection refused, timeout, 5xx, malformed body, auth). The
 * gate maps this to its `onUnavailable` setting; "no experiment"/"no runs" are not errors.
 * Its error kind is `service-unavailable` (src/errors/kinds.ts); `reason` says how it failed.
 */
export class MlflowUnavailableError extends AgentCanaryError {
  constructor(
    message: string,
    /** `timeout`, `connection`, `http`, `malformed`, `auth`, `store`. */
    readonly reason: 'timeout' | 'connection' | 'http' | 'malformed' | 'auth' | 'store',
    /** The HTTP status MLflow answered, if it answered. */
    readonly httpStatus?: number,
    readonly errorCode?: string,
  ) {
    super('service-unavailable', message);
  }
}

/**
 * MLflow answered with an error body (`{error_code, message}`) that is not transient: error kind
 * `upstream` (src/errors/kinds.ts). The stand-in throws it too, and answers `httpStatus`.
 */
export class MlflowApiError extends AgentCanaryError {
  constructor(
    /** The HTTP status of MLflow's answer (for the stand-in: the status it answers). */
    readonly httpStatus: number,
    readonly errorCode: string,
    message: string,
  ) {
    super('upstream', message);
  }
}
