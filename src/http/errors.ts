/**
 * An error that already knows its HTTP answer beyond its kind: extra problem members and response
 * headers. Handlers throw it; the listener renders it as an `application/problem+json` body (RFC
 * 9457, see problem.ts). Its status, like every error's, comes from its kind in the one table
 * (src/errors/kinds.ts).
 */
import { AgentCanaryError } from '../errors/error.js';
import type { ErrorKind } from '../errors/kinds.js';

export class HttpError extends AgentCanaryError {
  constructor(
    kind: ErrorKind,
    message: string,
    /** Extra members of the problem body, e.g. `{ field: 'metadata.passThreshold' }`. */
    readonly extra: Readonly<Record<string, unknown>> = {},
    /** Extra response headers, e.g. `{ 'WWW-Authenticate': 'Bearer' }` on a 401. */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(kind, message);
  }
}
