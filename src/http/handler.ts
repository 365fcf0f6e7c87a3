/**
 * Turns a route table into a `node:http` request listener: request id, 404/405 from the router,
 * HttpError -> problem+json, unexpected errors -> 500 (logged, never leaked), one access-log line.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Router, type Route } from './router.js';
import { HttpError } from './errors.js';
import { sendProblem } from './respond.js';
import { requestId } from './request-id.js';
import type { Logger } from './log.js';

/** The request id of a request, set by the listener before any handler runs. */
export const REQUEST_ID = Symbol('agent-canary.requestId');
type WithId = IncomingMessage & { [REQUEST_ID]?: string };

export function getRequestId(req: IncomingMessage): string {
  return (req as WithId)[REQUEST_ID] ?? requestId(req);
}

export interface ListenerOptions {
  readonly logger: Logger;
  /** Called after each answer (metrics). */
  readonly onResponse?: (route: string, method: string, status: number, seconds: number) => void;
  /** Log successful requests at debug instead of info (hot endpoints such as /metrics). @default [] */
  readonly quietPaths?: readonly string[];
}

interface Pending {
  readonly start: bigint;
  readonly id: string;
  readonly method: string;
  readonly pathname: string;
  routeName: string;
}

/*
 * Per-request state lives in one object handed to module-level functions instead of closures
 * created per request: tsx/esbuild wraps every named closure in a `__name()` call, which showed
 * up in the gate's profile under load.
 */
function finish(this: ServerResponse & { [PENDING]?: Pending; [OPTS]?: ListenerOptions & { quiet: Set<string> } }): void {
  const p = this[PENDING]!;
  const opts = this[OPTS]!;
  const seconds = Number(process.hrtime.bigint() - p.start) / 1e9;
  opts.onResponse?.(p.routeName, p.method, this.statusCode, seconds);
  // Successful answers are logged at debug: each Flagger tick would otherwise add a line, and
  // the gate logs its decisions itself. Client errors are worth an info line.
  const status = this.statusCode;
  const level = status >= 500 ? 'error' : status >= 400 && !opts.quiet.has(p.pathname) ? 'info' : 'debug';
  if (level === 'debug' && opts.logger.level !== 'debug') return; // hot path: build nothing
  opts.logger[level]('request', { requestId: p.id, method: p.method, path: p.pathname, status, ms: Math.round(seconds * 1e4) / 10 });
}

const PENDING = Symbol('pending');
const OPTS = Symbol('opts');

function fail(res: ServerResponse, logger: Logger, p: Pending, err: unknown): void {
  if (err instanceof HttpError) {
    sendProblem(res, err.status, err.message, err.extra, err.headers);
    return;
  }
  logger.error('unhandled error', { requestId: p.id, path: p.pathname, error: err });
  sendProblem(res, 500, `Internal error (request id ${p.id}); see the server log.`);
}

export function createListener(routes: readonly Route[], opts: ListenerOptions): RequestListener {
  const router = new Router(routes);
  const full = { ...opts, quiet: new Set(opts.quietPaths ?? []) };
  return function listener(req: IncomingMessage, res: ServerResponse): void {
    const id = requestId(req);
    (req as WithId)[REQUEST_ID] = id;
    res.setHeader('X-Request-Id', id);
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    const p: Pending = { start: process.hrtime.bigint(), id, method, pathname, routeName: 'unmatched' };
    const r = res as ServerResponse & { [PENDING]?: Pending; [OPTS]?: typeof full };
    r[PENDING] = p;
    r[OPTS] = full;
    res.once('finish', finish);
    const match = router.match(method, pathname);
    if (match.kind === 'not-found') {
      sendProblem(res, 404, `No route for ${pathname}.`);
      return;
    }
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ');
      sendProblem(res, 405, `Method ${method} is not allowed on ${pathname}; allowed: ${allow}.`, { allowed: match.allow }, { Allow: allow });
      return;
    }
    p.routeName = match.route.path;
    try {
      const out = match.route.handler(req, res, match.params);
      if (out && typeof (out as Promise<void>).then === 'function') (out as Promise<void>).catch((err: unknown) => fail(res, opts.logger, p, err));
    } catch (err) {
      fail(res, opts.logger, p, err);
    }
  };
}
