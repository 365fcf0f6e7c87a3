/**
 * The one problem+json renderer (RFC 9457) of the gate and the canary API. Every problem has a
 * `type` URI naming its kind (the project's error kinds, src/errors/kinds.ts, plus a few
 * HTTP-only ones such as `method-not-allowed`), a `title` for that kind, the `status`, a `detail` that says what is
 * wrong and how to fix it, and the `instance` (the request path); handlers add machine-readable
 * members such as `field` and `allowed`.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { sendText } from './respond.js';
import { ERROR_KINDS, PROBLEM_TYPE_BASE, type ErrorKind } from '../errors/kinds.js';

export const PROBLEM_BASE = PROBLEM_TYPE_BASE;

/**
 * The kind used when a thrower names none. Statuses that are not an error kind of the project
 * (src/errors/kinds.ts) get HTTP-only kinds: a 503 of the gate (a state file that cannot be
 * written) is not the canary API's missing repository.
 */
const KIND_OF_STATUS: Readonly<Record<number, string>> = {
  400: 'bad-request',
  401: 'unauthorized',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'refused',
  500: 'internal',
  503: 'service-unavailable',
};

/** Titles of the HTTP-only kinds; the project's kinds take theirs from the one table. */
const HTTP_TITLES: Readonly<Record<string, string>> = {
  'method-not-allowed': 'Method Not Allowed',
  'service-unavailable': 'Service Unavailable',
};

function titleOf(kind: string, status: number): string {
  if (Object.hasOwn(ERROR_KINDS, kind)) return ERROR_KINDS[kind as ErrorKind].title;
  return HTTP_TITLES[kind] ?? STATUS_CODES[status] ?? 'Error';
}

export interface ProblemInput {
  readonly status: number;
  readonly detail: string;
  /** @default derived from the status */
  readonly kind?: string;
  /** The request path (no query string: it may carry secrets). */
  readonly instance?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The problem body as an object (members in RFC order, extras after). */
export function problemBody(p: ProblemInput): Record<string, unknown> {
  const kind = p.kind ?? KIND_OF_STATUS[p.status] ?? (p.status >= 500 ? 'internal' : 'bad-request');
  const title = titleOf(kind, p.status);
  return {
    type: PROBLEM_BASE + kind,
    title,
    status: p.status,
    detail: p.detail,
    ...(p.instance !== undefined ? { instance: p.instance } : {}),
    ...p.extra,
  };
}

/** Sends a problem; `no-store` because problems describe one request, never a resource. */
export function sendProblem(
  res: ServerResponse,
  p: ProblemInput,
  headers: Readonly<Record<string, string>> = {},
): void {
  sendText(
    res,
    p.status,
    JSON.stringify(problemBody(p)),
    'application/problem+json; charset=utf-8',
    {
      ...headers,
      'Cache-Control': 'no-store',
    },
  );
}
