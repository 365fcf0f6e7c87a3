/**
 * The MLflow stand-in: a small tracking server on 127.0.0.1 that speaks the REST subset the gate,
 * the tests and the demo need, with MLflow's JSON shapes (snake_case, empty lists omitted,
 * non-finite doubles as "NaN"/"Infinity") and error bodies (`{error_code, message}` with MLflow's
 * HTTP statuses). Data lives in MLflow's own local layouts: reads go through the gate's readers
 * (SqliteStore / FileStore), writes through the writers next to this file.
 *
 * Fault injection for tests: hang, HTTP 500 n times, malformed JSON n times, an added delay.
 * Every request is counted per endpoint so tests can assert how many queries the gate made.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { MlflowApiError, type LocalStore, type RunStatus, type ViewType } from '../mlflow/types.js';
import { SqliteStore } from '../mlflow/sqlite-store.js';
import { FileStore } from '../mlflow/file-store.js';
import {
  experimentToWire,
  modelToWire,
  runToWire,
  doubleToWire,
  toDouble,
  traceToWire,
} from '../mlflow/wire.js';
import { checkMaxResults, decodePageToken, encodePageToken } from '../mlflow/search.js';
import { SqliteWriter } from './sqlite-writer.js';
import { FileWriter } from './file-writer.js';
import type { StoreWriter } from './writer.js';

export interface StandinOptions {
  /** `sqlite` (a mlflow.db file) or `file` (an mlruns/ folder). */
  readonly store: 'sqlite' | 'file';
  /** Path of the mlflow.db file or the mlruns/ folder; created when missing. */
  readonly path: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Require HTTP Basic (MLflow's basic-auth app) or a Bearer token. */
  readonly auth?:
    { readonly username: string; readonly password: string } | { readonly token: string };
  /** Serve HTTPS with this certificate; `ca` set = require a client certificate signed by it. */
  readonly tls?: { readonly cert: string; readonly key: string; readonly ca?: string };
}

/** Faults applied to the next API requests; counters decrement as they are used. */
export interface Faults {
  /** Requests to leave unanswered (until the stand-in closes). */
  hang: number;
  /** Requests to answer 500 INTERNAL_ERROR. */
  fail500: number;
  /** Requests to answer 200 with a body that is not JSON. */
  malformed: number;
  /** Milliseconds added before every answer. */
  delayMs: number;
  /** Write non-finite doubles as bare NaN/Infinity tokens (older servers, proxies) instead of strings. */
  bareNaN: boolean;
}

export interface Standin {
  readonly url: string;
  readonly faults: Faults;
  /** Requests served per endpoint, e.g. `runs/search`. */
  readonly requests: Map<string, number>;
  count(endpoint?: string): number;
  resetCounts(): void;
  readonly store: LocalStore;
  readonly writer: StoreWriter;
  close(): Promise<void>;
}

type Body = Record<string, unknown>;
/** `store` is the request's view: its MLflow 3 workspace (`X-MLFLOW-WORKSPACE`) on SQLite. */
type Endpoint = (
  q: URLSearchParams,
  body: Body,
  store: LocalStore,
  workspace: string,
) => Body | Promise<Body>;

function need(v: unknown, name: string): string {
  if (v === undefined || v === null || v === '')
    throw new MlflowApiError(
      400,
      'INVALID_PARAMETER_VALUE',
      `Missing value for required parameter '${name}'. See the API docs for more information about request parameters.`,
    );
  return String(v);
}

function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v))
    for (const t of v as { key?: unknown; value?: unknown }[])
      out[need(t.key, 'tags.key')] = String(t.value ?? '');
  return out;
}

const STATUSES = new Set(['RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED']);

/** Experiment search: `name`/`tags.<k>` clauses joined by AND, ops = != LIKE ILIKE. */
function experimentFilter(
  filter: string | undefined,
): (e: { name: string; tags?: readonly { key: string; value: string }[] }) => boolean {
  if (!filter?.trim()) return () => true;
  const clauses = filter.split(/\s+AND\s+/i).map((c) => {
    const m =
      /^\s*(?:attributes\.|attribute\.|attr\.)?(name|tags\.(?:`[^`]+`|"[^"]+"|[\w.-]+))\s*(=|!=|LIKE|ILIKE)\s*'((?:[^']|'')*)'\s*$/i.exec(
        c,
      );
    if (!m)
      throw new MlflowApiError(
        400,
        'INVALID_PARAMETER_VALUE',
        `Invalid experiment filter clause '${c.trim()}'. Expected name or tags.<key> with =, !=, LIKE, ILIKE and a quoted string`,
      );
    const field = m[1]!;
    const tag = field.toLowerCase().startsWith('tags.')
      ? field.slice(5).replace(/^[`"]|[`"]$/g, '')
      : undefined;
    const op = m[2]!.toUpperCase();
    const value = m[3]!.replace(/''/g, "'");
    const re = new RegExp(
      `^${value
        .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
        .replace(/%/g, '.*')
        .replace(/_/g, '.')}$`,
      op === 'ILIKE' ? 'is' : 's',
    );
    return (e: { name: string; tags?: readonly { key: string; value: string }[] }): boolean => {
      const actual = tag === undefined ? e.name : e.tags?.find((t) => t.key === tag)?.value;
      if (actual === undefined) return false;
      return op === '=' ? actual === value : op === '!=' ? actual !== value : re.test(actual);
    };
  });
  return (e) => clauses.every((c) => c(e));
}

export async function startStandin(opts: StandinOptions): Promise<Standin> {
  const writer: StoreWriter =
    opts.store === 'sqlite' ? new SqliteWriter(opts.path) : new FileWriter(opts.path);
  const store: LocalStore =
    opts.store === 'sqlite' ? new SqliteStore(opts.path) : new FileStore(opts.path);
  const workspaceStores = new Map<string, LocalStore>([['default', store]]);
  const storeFor = (workspace: string): LocalStore => {
    let s = workspaceStores.get(workspace);
    if (!s) {
      if (opts.store !== 'sqlite')
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          `workspace '${workspace}' requested, but the file store has no workspaces`,
        );
      workspaceStores.set(workspace, (s = new SqliteStore(opts.path, { workspace })));
    }
    return s;
  };
  const faults: Faults = { hang: 0, fail500: 0, malformed: 0, delayMs: 0, bareNaN: false };
  const requests = new Map<string, number>();
  const hung = new Set<http.ServerResponse>();

  const runOrThrow = (runId: string) => {
    const run = store.getRun(runId);
    if (!run)
      throw new MlflowApiError(404, 'RESOURCE_DOES_NOT_EXIST', `Run with id=${runId} not found`);
    return run;
  };

  const endpoints: Record<string, Endpoint> = {
    'experiments/get-by-name': async (q, _b, store) => {
      const name = need(q.get('experiment_name'), 'experiment_name');
      const e = await store.getExperimentByName(name);
      if (!e)
        throw new MlflowApiError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `Could not find experiment with name '${name}'`,
        );
      return { experiment: experimentToWire(e) };
    },
    'experiments/get': (q, _b, store) => {
      const id = need(q.get('experiment_id'), 'experiment_id');
      const e = store.getExperiment(id);
      if (!e)
        throw new MlflowApiError(
          404,
          'RESOURCE_DOES_NOT_EXIST',
          `No Experiment with id=${id} exists`,
        );
      return { experiment: experimentToWire(e) };
    },
    'experiments/search': (q, body, store) => {
      const max = checkMaxResults(
        body.max_results !== undefined
          ? Number(body.max_results)
          : q.get('max_results')
            ? Number(q.get('max_results'))
            : 1000,
      );
      const offset = decodePageToken(
        (body.page_token as string | undefined) ?? q.get('page_token') ?? undefined,
      );
      const view = ((body.view_type as string | undefined) ??
        q.get('view_type') ??
        'ACTIVE_ONLY') as ViewType;
      const match = experimentFilter(
        (body.filter as string | undefined) ?? q.get('filter') ?? undefined,
      );
      const all = store.listExperiments(view).filter(match);
      const page = all.slice(offset, offset + max);
      const out: Body = {};
      if (page.length) out.experiments = page.map(experimentToWire);
      if (offset + max < all.length) out.next_page_token = encodePageToken(offset + max);
      return out;
    },
    'experiments/create': (_q, body, _store, workspace) => ({
      experiment_id: writer.createExperiment(need(body.name, 'name'), tagsOf(body.tags), workspace),
    }),
    'runs/search': async (_q, body, store) => {
      const ids = body.experiment_ids;
      if (!Array.isArray(ids))
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid value for request parameter 'experiment_ids': a list of strings is required",
        );
      const res = await store.searchRuns({
        experiment_ids: ids.map(String),
        filter: body.filter as string | undefined,
        run_view_type: body.run_view_type as ViewType | undefined,
        max_results: body.max_results === undefined ? undefined : Number(body.max_results),
        order_by: body.order_by as string[] | undefined,
        page_token: body.page_token as string | undefined,
      });
      const out: Body = {};
      if (res.runs.length) out.runs = res.runs.map(runToWire);
      if (res.next_page_token) out.next_page_token = res.next_page_token;
      return out;
    },
    'logged-models/search': async (_q, body, store) => {
      const ids = body.experiment_ids;
      if (!Array.isArray(ids))
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid value for request parameter 'experiment_ids': a list of strings is required",
        );
      const res = await store.searchLoggedModels({
        experiment_ids: ids.map(String),
        filter: body.filter as string | undefined,
        max_results: body.max_results === undefined ? undefined : Number(body.max_results),
        page_token: body.page_token as string | undefined,
      });
      const out: Body = {};
      if (res.models.length) out.models = res.models.map(modelToWire);
      if (res.next_page_token) out.next_page_token = res.next_page_token;
      return out;
    },
    '3.0/traces/search': async (_q, body, store) => {
      const locations = body.locations;
      if (!Array.isArray(locations))
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          "Invalid value for request parameter 'locations': a list of trace locations is required",
        );
      const ids = locations.map((l) =>
        String(
          (l as { mlflow_experiment?: { experiment_id?: unknown } }).mlflow_experiment
            ?.experiment_id ?? '',
        ),
      );
      const res = await store.searchTraces({
        experiment_ids: ids,
        filter: body.filter as string | undefined,
        max_results: body.max_results === undefined ? undefined : Number(body.max_results),
        page_token: body.page_token as string | undefined,
      });
      const out: Body = {};
      if (res.traces.length) out.traces = res.traces.map(traceToWire);
      if (res.next_page_token) out.next_page_token = res.next_page_token;
      return out;
    },
    'runs/get': (q, _b, _store) => ({
      run: runToWire(runOrThrow(need(q.get('run_id') ?? q.get('run_uuid'), 'run_id'))),
    }),
    'metrics/get-history': (q, _b, _store) => {
      const runId = need(q.get('run_id') ?? q.get('run_uuid'), 'run_id');
      runOrThrow(runId);
      const history = store.getMetricHistory(runId, need(q.get('metric_key'), 'metric_key'));
      return history.length
        ? { metrics: history.map((m) => ({ ...m, value: doubleToWire(m.value) })) }
        : {};
    },
    'runs/create': (_q, body, _store, _workspace) => {
      const tags = tagsOf(body.tags);
      const runId = writer.createRun(need(body.experiment_id, 'experiment_id'), {
        runName: body.run_name as string | undefined,
        startTime: body.start_time === undefined ? undefined : Number(body.start_time),
        userId: body.user_id as string | undefined,
        tags,
      });
      return { run: runToWire(runOrThrow(runId)) };
    },
    'runs/log-metric': (_q, body, _store, _workspace) => {
      const runId = need(body.run_id ?? body.run_uuid, 'run_id');
      let value: number;
      try {
        value = toDouble(body.value);
      } catch {
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value for request parameter 'value': ${JSON.stringify(body.value)} is not a double`,
        );
      }
      writer.logMetric(
        runId,
        need(body.key, 'key'),
        value,
        Number(need(body.timestamp, 'timestamp')),
        Number(body.step ?? 0),
      );
      return {};
    },
    'runs/log-parameter': (_q, body, _store, _workspace) => {
      writer.logParam(
        need(body.run_id ?? body.run_uuid, 'run_id'),
        need(body.key, 'key'),
        String(body.value ?? ''),
      );
      return {};
    },
    'runs/log-batch': (_q, body, _store, _workspace) => {
      const runId = need(body.run_id, 'run_id');
      runOrThrow(runId);
      for (const p of (body.params as { key: string; value: string }[] | undefined) ?? [])
        writer.logParam(runId, need(p.key, 'params.key'), String(p.value ?? ''));
      for (const [k, v] of Object.entries(tagsOf(body.tags))) writer.setTag(runId, k, v);
      for (const m of (body.metrics as
        { key: string; value: unknown; timestamp: unknown; step?: unknown }[] | undefined) ?? []) {
        writer.logMetric(
          runId,
          need(m.key, 'metrics.key'),
          toDouble(m.value),
          Number(need(m.timestamp, 'metrics.timestamp')),
          Number(m.step ?? 0),
        );
      }
      return {};
    },
    'runs/set-tag': (_q, body, _store, _workspace) => {
      writer.setTag(
        need(body.run_id ?? body.run_uuid, 'run_id'),
        need(body.key, 'key'),
        String(body.value ?? ''),
      );
      return {};
    },
    'runs/update': (_q, body, _store, _workspace) => {
      const runId = need(body.run_id ?? body.run_uuid, 'run_id');
      const status = body.status as string | undefined;
      if (status !== undefined && !STATUSES.has(status))
        throw new MlflowApiError(
          400,
          'INVALID_PARAMETER_VALUE',
          `Invalid value '${status}' for parameter 'status'; allowed: ${[...STATUSES].join(', ')}`,
        );
      writer.updateRun(runId, {
        status: status as RunStatus | undefined,
        endTime: body.end_time === undefined ? undefined : Number(body.end_time),
        runName: body.run_name as string | undefined,
      });
      return { run_info: runToWire(runOrThrow(runId)).info };
    },
  };

  const authHeader =
    opts.auth && 'token' in opts.auth
      ? `Bearer ${opts.auth.token}`
      : opts.auth
        ? `Basic ${Buffer.from(`${opts.auth.username}:${opts.auth.password}`).toString('base64')}`
        : undefined;

  const send = (res: http.ServerResponse, status: number, body: Body): void => {
    let text = JSON.stringify(body);
    if (faults.bareNaN) text = text.replace(/"(NaN|-?Infinity)"/g, '$1');
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const listener = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://standin');
    const m = /^\/(?:ajax-)?api\/(?:2\.0\/mlflow\/(.+)|3\.0\/mlflow\/(.+))$/.exec(url.pathname);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        if (url.pathname === '/health') {
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('OK');
          return;
        }
        if (!m) {
          send(res, 404, {
            error_code: 'ENDPOINT_NOT_FOUND',
            message: `No API endpoint at ${url.pathname}`,
          });
          return;
        }
        // API 3.0 endpoints are counted and routed as `3.0/<name>`.
        const name = m[1] ?? `3.0/${m[2]!}`;
        requests.set(name, (requests.get(name) ?? 0) + 1);
        if (authHeader && req.headers.authorization !== authHeader) {
          res.writeHead(401, {
            'WWW-Authenticate': 'Basic realm="mlflow"',
            'Content-Type': 'text/plain',
          });
          res.end(
            'You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html#authenticating-to-mlflow on how to authenticate.',
          );
          return;
        }
        if (faults.delayMs > 0) await new Promise((r) => setTimeout(r, faults.delayMs));
        if (faults.hang > 0) {
          faults.hang--;
          hung.add(res);
          return;
        }
        if (faults.fail500 > 0) {
          faults.fail500--;
          send(res, 500, { error_code: 'INTERNAL_ERROR', message: 'injected failure' });
          return;
        }
        if (faults.malformed > 0) {
          faults.malformed--;
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end('{"runs": [{"info": ');
          return;
        }
        const endpoint = endpoints[name];
        if (!endpoint) {
          send(res, 404, {
            error_code: 'ENDPOINT_NOT_FOUND',
            message: `No API endpoint ${name} in the stand-in`,
          });
          return;
        }
        let body: Body = {};
        if (chunks.length) {
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Body;
          } catch (err) {
            send(res, 400, {
              error_code: 'BAD_REQUEST',
              message: `Malformed JSON body: ${(err as Error).message}`,
            });
            return;
          }
        }
        try {
          const header = req.headers['x-mlflow-workspace'];
          const workspace = typeof header === 'string' && header.trim() ? header.trim() : 'default';
          send(res, 200, await endpoint(url.searchParams, body, storeFor(workspace), workspace));
        } catch (err) {
          if (err instanceof MlflowApiError)
            send(res, err.httpStatus, { error_code: err.errorCode, message: err.message });
          else send(res, 500, { error_code: 'INTERNAL_ERROR', message: (err as Error).message });
        }
      })();
    });
  };
  const server = opts.tls
    ? https.createServer(
        {
          cert: opts.tls.cert,
          key: opts.tls.key,
          ca: opts.tls.ca,
          requestCert: Boolean(opts.tls.ca),
          rejectUnauthorized: Boolean(opts.tls.ca),
        },
        listener,
      )
    : http.createServer(listener);
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) =>
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', resolve),
  );
  const addr = server.address() as AddressInfo;
  return {
    url: `${opts.tls ? 'https' : 'http'}://${addr.address}:${addr.port}`,
    faults,
    requests,
    count: (endpoint) =>
      endpoint ? (requests.get(endpoint) ?? 0) : [...requests.values()].reduce((a, b) => a + b, 0),
    resetCounts: () => requests.clear(),
    store,
    writer,
    close: async () => {
      for (const res of hung) res.destroy();
      hung.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      writer.close();
      for (const s of workspaceStores.values()) await s.close();
    },
  };
}
