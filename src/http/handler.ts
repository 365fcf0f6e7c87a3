/**
 * Turns a route table into a `node:http` request listener: request id, 400/404/405 from the
 * router, HttpError -> problem+json, unexpected errors -> 500 (logged, never leaked), one
 * access-log line. Nothing a request does can throw out of the listener: the whole body of it
 * is guarded, as is every handler's promise.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Router, type Route } from './router.js';
import { HttpError } from './errors.js';
import { AgentCanaryError } from '../errors/error.js';
import { sendProblem } from './problem.js';
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
function finish(
  this: ServerResponse & { [PENDING]?: Pending; [OPTS]?: ListenerOptions & { quiet: Set<string> } },
): void {
  const p = this[PENDING]!;
  const opts = this[OPTS]!;
  const seconds = Number(process.hrtime.bigint() - p.start) / 1e9;
  opts.onResponse?.(p.routeName, p.method, this.statusCode, seconds);
  // Successful answers are logged at debug: each Flagger tick would otherwise add a line, and
  // the gate logs its decisions itself. Client errors are worth an info line.
  const status = this.statusCode;
  const level =
    status >= 500 ? 'error' : status >= 400 && !opts.quiet.has(p.pathname) ? 'info' : 'debug';
  if (level === 'debug' && opts.logger.level !== 'debug') return; // hot path: build nothing
  opts.logger[level]('request', {
    requestId: p.id,
    method: p.method,
    path: shownPath(p.pathname),
    status,
    ms: Math.round(seconds * 1e4) / 10,
  });
}

const PENDING = Symbol('pending');
const OPTS = Symbol('opts');

/** The path as shown in problems and logs: bounded, never the query string (it may hold secrets). */
function shownPath(pathname: string): string {
  return pathname.length > 200 ? `${pathname.slice(0, 200)}...` : pathname;
}

/** Machine-readable members of an error's problem: an error's `details` (field, value, ...). */
function detailsOf(err: AgentCanaryError): Record<string, unknown> {
  const details = (err as { details?: unknown }).details;
  const extra: Record<string, unknown> = {};
  if (details && typeof details === 'object') {
    for (const [k, v] of Object.entries(details)) if (v !== undefined) extra[k] = v;
  }
  return extra;
}

function fail(res: ServerResponse, logger: Logger, p: Pending, err: unknown): void {
  const instance = shownPath(p.pathname);
  // The project's errors answer their kind's status (src/errors/kinds.ts); `internal` ones are
  // unexpected by definition and handled as below.
  if (err instanceof AgentCanaryError && err.kind !== 'internal') {
    const http = err instanceof HttpError ? err : undefined;
    sendProblem(
      res,
      { kind: err.kind, detail: err.message, instance, extra: http?.extra ?? detailsOf(err) },
      http?.headers,
    );
    return;
  }
  logger.error('unhandled error', { requestId: p.id, path: instance, error: err });
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendProblem(res, {
    kind: 'internal',
    detail: `Internal error (request id ${p.id}); see the server log.`,
    instance,
  });
}

/** Settles a handler's promise into `fail` (module-level: see the note above `finish`). */
function settle(out: unknown, res: ServerResponse, logger: Logger, p: Pending): void {
  if (out && typeof (out as Promise<void>).then === 'function') {
    (out as Promise<void>).then(undefined, (err: unknown) => fail(res, logger, p, err));
  }
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
    const p: Pending = {
      start: process.hrtime.bigint(),
      id,
      method,
      pathname,
      routeName: 'unmatched',
    };
    const r = res as ServerResponse & { [PENDING]?: Pending; [OPTS]?: typeof full };
    r[PENDING] = p;
    r[OPTS] = full;
    res.once('finish', finish);
    try {
      const match = router.match(method, pathname);
      if (match.kind === 'found') {
        p.routeName = match.route.path;
        settle(match.route.handler(req, res, match.params), res, opts.logger, p);
        return;
      }
      const instance = shownPath(pathname);
      if (match.kind === 'bad-path') {
        sendProblem(res, {
          kind: 'bad-request',
          detail: match.detail,
          instance,
          extra: { field: '(path)' },
        });
      } else if (match.kind === 'not-found') {
        sendProblem(res, { kind: 'not-found', detail: `No route for ${instance}.`, instance });
      } else {
        const allow = match.allow.join(', ');
        sendProblem(
          res,
          {
            kind: 'method-not-allowed',
            detail: `Method ${method} is not allowed on ${instance}; allowed: ${allow}.`,
            instance,
            extra: { allowed: match.allow },
          },
          { Allow: allow },
        );
      }
    } catch (err) {
      fail(res, opts.logger, p, err);
    }
  };
}
