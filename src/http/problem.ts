/**
 * The one problem+json renderer (RFC 9457) of the gate and the canary API. Every problem has a
 * `type` URI naming its kind, a `title` for that kind, the `status`, a `detail` that says what is
 * wrong and how to fix it, and the `instance` (the request path); handlers add machine-readable
 * members such as `field` and `allowed`.
 */
import type { ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { sendText } from './respond.js';

export const PROBLEM_BASE = 'https://agent-canary.dev/problems/';

/** The kind used when a thrower names none. */
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
  502: 'git',
  503: 'unavailable',
};

/** Titles per kind; kinds not listed use the HTTP reason phrase of the status. */
const TITLES: Readonly<Record<string, string>> = {
  'bad-request': 'Invalid Request',
  'not-found': 'Not Found',
  ambiguous: 'Ambiguous Agent Id',
  conflict: 'Conflict With The Agent State',
  refused: 'Refused By Policy',
  unavailable: 'Service Unavailable',
  git: 'Git Operation Failed',
  unauthorized: 'Unauthorized',
  'method-not-allowed': 'Method Not Allowed',
  'unsupported-media-type': 'Unsupported Media Type',
  'payload-too-large': 'Payload Too Large',
  internal: 'Internal Server Error',
};

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
  const title = TITLES[kind] ?? STATUS_CODES[p.status] ?? 'Error';
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
  sendText(res, p.status, JSON.stringify(problemBody(p)), 'application/problem+json; charset=utf-8', {
    ...headers,
    'Cache-Control': 'no-store',
  });
}
