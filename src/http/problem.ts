/**
 * The one problem+json renderer (RFC 9457) of the gate and the canary API. Every problem has a
 * `type` URI naming its kind, and the kind's `status` and `title`, all from the one table
 * (src/errors/kinds.ts); a `detail` that says what is wrong and how to fix it, and the `instance`
 * (the request path); handlers add machine-readable members such as `field` and `allowed`.
 */
import type { ServerResponse } from 'node:http';
import { sendText } from './respond.js';
import { ERROR_KINDS, PROBLEM_TYPE_BASE, type ErrorKind } from '../errors/kinds.js';

export const PROBLEM_BASE = PROBLEM_TYPE_BASE;

export interface ProblemInput {
  /** The error kind: decides `type`, `title` and `status`. */
  readonly kind: ErrorKind;
  readonly detail: string;
  /** The request path (no query string: it may carry secrets). */
  readonly instance?: string;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** The problem body as an object (members in RFC order, extras after). */
export function problemBody(p: ProblemInput): Record<string, unknown> {
  const { status, title } = ERROR_KINDS[p.kind];
  return {
    type: PROBLEM_BASE + p.kind,
    title,
    status,
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
    ERROR_KINDS[p.kind].status,
    JSON.stringify(problemBody(p)),
    'application/problem+json; charset=utf-8',
    {
      ...headers,
      'Cache-Control': 'no-store',
    },
  );
}
