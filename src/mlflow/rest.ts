/**
 * MLflow tracking-server REST client (`/api/2.0/mlflow/...`).
 *
 * - Keep-alive agent: one TCP (or TLS) connection pool for every call.
 * - Every call is bounded: per-call timeout, cut to the caller's deadline.
 * - Bounded retries on 5xx (not 501), 429 and connection errors, exponential backoff with
 *   jitter, honouring `Retry-After`, and never starting an attempt the deadline cannot hold.
 * - MLflow error bodies (`{error_code, message}`) become typed errors; 404 on get-by-name is
 *   "no experiment", not an error.
 * - Auth: Basic when a username and password are set, otherwise Bearer when a token is set
 *   (the Python client's rule, `mlflow.utils.rest_utils.http_request`).
 */
import http from 'node:http';
import https from 'node:https';
import {
  MlflowApiError,
  MlflowUnavailableError,
  type CallOptions,
  type Experiment,
  type MlflowSource,
  type SearchRunsRequest,
  type SearchRunsResponse,
  type SearchLoggedModelsRequest,
  type SearchLoggedModelsResponse,
  type SearchTracesRequest,
  type SearchTracesResponse,
} from './types.js';
import { parseLenientJson, toExperiment, toLoggedModel, toRun, toTraceInfo } from './wire.js';
import type { TlsSettings } from './env.js';

export interface RestSourceOptions {
  /** Tracking server base URI, e.g. `https://mlflow.example.com` or `http://mlflow:5000/prefix`. */
  readonly uri: string;
  readonly username?: string;
  readonly password?: string;
  readonly token?: string;
  /** MLflow 3 workspace (`MLFLOW_WORKSPACE`), sent as `X-MLFLOW-WORKSPACE` on every call. */
  readonly workspace?: string;
  /** TLS for https:// (`MLFLOW_TRACKING_INSECURE_TLS`, `_SERVER_CERT_PATH`, `_CLIENT_CERT_PATH`). */
  readonly tls?: TlsSettings;
  /** Longest a single HTTP attempt may take. @default 3000 */
  readonly callTimeoutMs?: number;
  /** Retries after the first attempt (5xx except 501, 429, connection errors). @default 3 */
  readonly retries?: number;
  /** First backoff delay; doubles each retry (with ±25% jitter). @default 50 */
  readonly backoffMs?: number;
  /**
   * Largest answer read; a longer one is cut off and counts as malformed (a runs/search page of
   * 200 runs is well under 1 MiB; the gate's Deployment has 256 Mi). @default 16 MiB
   */
  readonly maxResponseBytes?: number;
  /** Observes every attempt: operation, seconds, outcome (`ok`, `http_503`, `timeout`, ...). */
  readonly onAttempt?: (operation: string, seconds: number, outcome: string) => void;
}

interface RawResponse {
  readonly status: number;
  readonly body: string;
  readonly retryAfter?: string;
}

const RETRYABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
]);

export class RestSource implements MlflowSource {
  readonly kind = 'rest' as const;
  readonly location: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly auth?: string;
  private readonly callTimeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(private readonly opts: RestSourceOptions) {
    let url: URL;
    try {
      url = new URL(opts.uri);
    } catch {
      throw new Error(
        `MLflow tracking URI '${opts.uri}' is not a URL. Fix: use http(s)://host[:port][/prefix].`,
      );
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(
        `MLflow tracking URI '${opts.uri}' must be http:// or https:// for the REST client.`,
      );
    }
    // Credentials in the URI are moved to the Authorization header and never kept in `location`.
    const userInUri = url.username ? decodeURIComponent(url.username) : undefined;
    const passInUri = url.password ? decodeURIComponent(url.password) : undefined;
    url.username = '';
    url.password = '';
    url.pathname = url.pathname.replace(/\/+$/, '');
    this.base = url;
    this.location = url.toString().replace(/\/$/, '');
    const username = opts.username ?? userInUri;
    const password = opts.password ?? passInUri;
    if (username && password)
      this.auth = `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
    else if (opts.token) this.auth = `Bearer ${opts.token}`;
    const pool = { keepAlive: true, maxSockets: 16, keepAliveMsecs: 10_000 };
    const tls = opts.tls;
    this.agent =
      url.protocol === 'https:'
        ? new https.Agent({
            ...pool,
            rejectUnauthorized: tls?.verify ?? true,
            ca: tls?.ca,
            cert: tls?.cert,
            key: tls?.key,
          })
        : new http.Agent(pool);
    this.callTimeoutMs = opts.callTimeoutMs ?? 3000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 50;
  }

  async getExperimentByName(name: string, opts: CallOptions = {}): Promise<Experiment | null> {
    try {
      const body = await this.call(
        'experiments/get-by-name',
        'GET',
        `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`,
        undefined,
        opts,
      );
      const exp = this.decode(body, 'experiments/get-by-name', (o) => toExperiment(o.experiment));
      return exp.lifecycle_stage === 'active' ? exp : null;
    } catch (err) {
      if (err instanceof MlflowApiError && err.errorCode === 'RESOURCE_DOES_NOT_EXIST') return null;
      throw err;
    }
  }

  async searchRuns(req: SearchRunsRequest, opts: CallOptions = {}): Promise<SearchRunsResponse> {
    const payload: Record<string, unknown> = { experiment_ids: req.experiment_ids };
    if (req.filter) payload.filter = req.filter;
    if (req.run_view_type) payload.run_view_type = req.run_view_type;
    if (req.max_results !== undefined) payload.max_results = req.max_results;
    if (req.order_by?.length) payload.order_by = req.order_by;
    if (req.page_token) payload.page_token = req.page_token;
    const body = await this.call(
      'runs/search',
      'POST',
      'runs/search',
      JSON.stringify(payload),
      opts,
    );
    return this.decode(body, 'runs/search', (o) => {
      const runs = o.runs === undefined ? [] : (o.runs as unknown[]);
      if (!Array.isArray(runs)) throw new TypeError('runs is not a list');
      const out = runs.map((r, i) => toRun(r, `runs[${i}]`));
      const next =
        typeof o.next_page_token === 'string' && o.next_page_token ? o.next_page_token : undefined;
      return next ? { runs: out, next_page_token: next } : { runs: out };
    });
  }

  async searchLoggedModels(
    req: SearchLoggedModelsRequest,
    opts: CallOptions = {},
  ): Promise<SearchLoggedModelsResponse> {
    const payload: Record<string, unknown> = { experiment_ids: req.experiment_ids };
    if (req.filter) payload.filter = req.filter;
    if (req.max_results !== undefined) payload.max_results = req.max_results;
    if (req.page_token) payload.page_token = req.page_token;
    const body = await this.call(
      'logged-models/search',
      'POST',
      'logged-models/search',
      JSON.stringify(payload),
      opts,
    );
    return this.decode(body, 'logged-models/search', (o) => {
      const models = o.models === undefined ? [] : o.models;
      if (!Array.isArray(models)) throw new TypeError('models is not a list');
      const out = models.map((m, i) => toLoggedModel(m, `models[${i}]`));
      const next =
        typeof o.next_page_token === 'string' && o.next_page_token ? o.next_page_token : undefined;
      return next ? { models: out, next_page_token: next } : { models: out };
    });
  }

  async searchTraces(
    req: SearchTracesRequest,
    opts: CallOptions = {},
  ): Promise<SearchTracesResponse> {
    // Traces live under REST API 3.0; the location names the experiment.
    const payload: Record<string, unknown> = {
      locations: req.experiment_ids.map((id) => ({
        type: 'MLFLOW_EXPERIMENT',
        mlflow_experiment: { experiment_id: id },
      })),
    };
    if (req.filter) payload.filter = req.filter;
    if (req.max_results !== undefined) payload.max_results = req.max_results;
    if (req.page_token) payload.page_token = req.page_token;
    const body = await this.call(
      'traces/search',
      'POST',
      '/api/3.0/mlflow/traces/search',
      JSON.stringify(payload),
      opts,
    );
    return this.decode(body, 'traces/search', (o) => {
      const traces = o.traces === undefined ? [] : o.traces;
      if (!Array.isArray(traces)) throw new TypeError('traces is not a list');
      const out = traces.map((t, i) => toTraceInfo(t, `traces[${i}]`));
      const next =
        typeof o.next_page_token === 'string' && o.next_page_token ? o.next_page_token : undefined;
      return next ? { traces: out, next_page_token: next } : { traces: out };
    });
  }

  async ping(opts: CallOptions = {}): Promise<void> {
    const body = await this.call(
      'experiments/search',
      'GET',
      'experiments/search?max_results=1',
      undefined,
      opts,
    );
    this.decode(body, 'experiments/search', () => undefined);
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private decode<T>(body: string, op: string, pick: (o: Record<string, unknown>) => T): T {
    let parsed: unknown;
    try {
      parsed = parseLenientJson(body);
    } catch (err) {
      throw new MlflowUnavailableError(
        `MLflow ${op} returned malformed JSON: ${(err as Error).message}`,
        'malformed',
      );
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new MlflowUnavailableError(
        `MLflow ${op} returned ${JSON.stringify(parsed)?.slice(0, 80)}, not an object`,
        'malformed',
      );
    }
    try {
      return pick(parsed as Record<string, unknown>);
    } catch (err) {
      throw new MlflowUnavailableError(
        `MLflow ${op} returned an unexpected shape: ${(err as Error).message}`,
        'malformed',
      );
    }
  }

  /** One logical call with retries; returns the 2xx body text. */
  private async call(
    op: string,
    method: 'GET' | 'POST',
    path: string,
    body: string | undefined,
    opts: CallOptions,
  ): Promise<string> {
    const deadline = opts.deadline ?? Date.now() + this.callTimeoutMs * (this.retries + 1);
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0)
        throw new MlflowUnavailableError(`MLflow ${op}: no time left in the budget`, 'timeout');
      const started = process.hrtime.bigint();
      const seconds = (): number => Number(process.hrtime.bigint() - started) / 1e9;
      let failure: MlflowUnavailableError;
      let retryAfterMs: number | undefined;
      let res: RawResponse | undefined;
      try {
        res = await this.attempt(
          method,
          path,
          body,
          Math.min(this.callTimeoutMs, remaining),
          opts.signal,
        );
      } catch (err) {
        if (!(err instanceof MlflowUnavailableError)) throw err;
        this.opts.onAttempt?.(
          op,
          seconds(),
          err.reason === 'timeout' ? 'timeout' : 'connection_error',
        );
        // A refused or reset connection and a hung attempt may succeed on the next try.
        if (err.reason !== 'connection' && err.reason !== 'timeout') throw err;
        failure = err;
      }
      if (res) {
        this.opts.onAttempt?.(
          op,
          seconds(),
          res.status >= 200 && res.status < 300 ? 'ok' : `http_${res.status}`,
        );
        if (res.status >= 200 && res.status < 300) return res.body;
        const { code, message } = errorBody(res.body);
        const what = `MLflow ${op}: HTTP ${res.status}${code ? ` ${code}` : ''}${message ? `: ${message}` : ''}`;
        if (res.status === 401 || res.status === 403) {
          throw new MlflowUnavailableError(
            `${what} (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)`,
            'auth',
            res.status,
            code,
          );
        }
        if (res.status !== 429 && (res.status < 500 || res.status === 501)) {
          if (code) throw new MlflowApiError(res.status, code, what);
          throw new MlflowUnavailableError(
            `${what} (not an MLflow error body)`,
            'http',
            res.status,
          );
        }
        failure = new MlflowUnavailableError(what, 'http', res.status, code);
        const ra = Number(res.retryAfter);
        if (res.retryAfter !== undefined && Number.isFinite(ra) && ra >= 0)
          retryAfterMs = ra * 1000;
      }
      const delay = retryAfterMs ?? this.backoffMs * 2 ** attempt * (0.75 + Math.random() * 0.5);
      // Give up when out of retries, or when waiting would leave no room for a useful attempt.
      if (attempt >= this.retries || Date.now() + delay + 20 >= deadline) throw failure!;
      await sleep(delay, opts.signal);
    }
  }

  private attempt(
    method: string,
    path: string,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<RawResponse> {
    // `path` is relative to /api/2.0/mlflow/ unless it names its own API version (/api/3.0/...).
    const sub = path.startsWith('/api/') ? path : `/api/2.0/mlflow/${path}`;
    const url = new URL(`${this.base.origin}${this.base.pathname.replace(/\/+$/, '')}${sub}`);
    const mod = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string | number> = { Accept: 'application/json' };
    if (this.auth) headers.Authorization = this.auth;
    if (this.opts.workspace) headers['X-MLFLOW-WORKSPACE'] = this.opts.workspace;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = Buffer.byteLength(body);
    }
    return new Promise<RawResponse>((resolve, reject) => {
      let settled = false;
      const done = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        fn();
      };
      const req = mod.request(url, { method, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        const cap = this.opts.maxResponseBytes ?? 16 * 1024 * 1024;
        let size = Number(res.headers['content-length']) > cap ? Infinity : 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size <= cap) chunks.push(c);
          else {
            done(() =>
              reject(
                new MlflowUnavailableError(`MLflow answer larger than ${cap} bytes`, 'malformed'),
              ),
            );
            req.destroy();
          }
        });
        res.on('end', () =>
          done(() =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              retryAfter: res.headers['retry-after'] as string | undefined,
            }),
          ),
        );
        res.on('error', (err) =>
          done(() =>
            reject(
              new MlflowUnavailableError(`MLflow response error: ${err.message}`, 'connection'),
            ),
          ),
        );
      });
      const timer = setTimeout(() => {
        done(() =>
          reject(
            new MlflowUnavailableError(`MLflow did not answer within ${timeoutMs} ms`, 'timeout'),
          ),
        );
        req.destroy();
      }, timeoutMs);
      const onAbort = (): void => {
        done(() => reject(new MlflowUnavailableError('MLflow call cancelled', 'timeout')));
        req.destroy();
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err: NodeJS.ErrnoException) => {
        const retry = err.code !== undefined && RETRYABLE_CODES.has(err.code);
        done(() =>
          reject(
            new MlflowUnavailableError(
              `cannot reach MLflow at ${this.location}: ${err.code ?? err.message}`,
              retry ? 'connection' : 'store',
            ),
          ),
        );
      });
      req.end(body);
    });
  }
}

function errorBody(text: string): { code?: string; message?: string } {
  try {
    const o = JSON.parse(text) as { error_code?: unknown; message?: unknown };
    return {
      code: typeof o.error_code === 'string' ? o.error_code : undefined,
      message: typeof o.message === 'string' ? o.message.slice(0, 300) : undefined,
    };
  } catch {
    return {};
  }
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
