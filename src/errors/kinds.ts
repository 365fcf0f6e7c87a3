/**
 * The one table of error kinds. Every error a user can meet carries one kind
 * (`AgentCanaryError.kind`, src/errors/error.ts); the CLI exits with the kind's `exitCode` and the
 * HTTP servers answer its `status` as `application/problem+json` with `type`
 * `https://agent-canary.dev/problems/<kind>` and the kind's `title`. Nothing else maps errors to
 * exit codes or statuses, and nothing tells errors apart by their `name`.
 *
 * Exit codes (docs/design.md, "Exit codes"): 1 when a policy, a validation or the state refused;
 * 2 for bad input, usage, or an environment that failed. `validate` also exits 1 for violations,
 * which are findings, not errors.
 */
export const ERROR_KINDS = {
  /** The input is malformed: a fleet or policy file, a flag, a request body, an agent id. */
  'bad-request': { exitCode: 2, status: 400, title: 'Invalid Request' },
  /** The caller did not prove who it is (bearer token missing or wrong). */
  unauthorized: { exitCode: 2, status: 401, title: 'Unauthorized' },
  /** The agent, route, asset or other named thing does not exist (`detail` names which). */
  'not-found': { exitCode: 2, status: 404, title: 'Not Found' },
  /** A bare name matches agents in several namespaces. */
  ambiguous: { exitCode: 2, status: 409, title: 'Ambiguous Agent Id' },
  /** The state does not allow it: no canary, progressive mode, dirty paths, a diverged branch. */
  conflict: { exitCode: 1, status: 409, title: 'Conflict With The Agent State' },
  /** The request body is larger than the server accepts. */
  'payload-too-large': { exitCode: 2, status: 413, title: 'Payload Too Large' },
  /** The request body is not JSON. */
  'unsupported-media-type': { exitCode: 2, status: 415, title: 'Unsupported Media Type' },
  /** A policy or the validator said no: a skipped weight step, a schema violation after an edit. */
  refused: { exitCode: 1, status: 422, title: 'Refused By Policy' },
  /** Git failed: commit, push after all retries, lock timeout. */
  git: { exitCode: 2, status: 500, title: 'Git Operation Failed' },
  /** Something the code did not expect; the log has the cause. */
  internal: { exitCode: 2, status: 500, title: 'Internal Server Error' },
  /** A needed service or setting is missing: no GitOps repository configured. */
  unavailable: { exitCode: 2, status: 503, title: 'GitOps Repository Not Configured' },
  /** The path exists but not for this method (the answer names the allowed ones in `Allow`). */
  'method-not-allowed': { exitCode: 2, status: 405, title: 'Method Not Allowed' },
  /**
   * A service or resource the command needs failed: MLflow cannot be reached or read, the gate's
   * step-hold state file cannot be written. Retrying later may succeed.
   */
  'service-unavailable': { exitCode: 2, status: 503, title: 'Service Unavailable' },
  /** A service the command called answered an error of its own (MLflow's `{error_code, message}`). */
  upstream: { exitCode: 2, status: 502, title: 'Upstream Service Error' },
} as const satisfies Record<string, { exitCode: 1 | 2; status: number; title: string }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

/** The `type` of a problem+json body (RFC 9457) for `kind`. */
export const PROBLEM_TYPE_BASE = 'https://agent-canary.dev/problems/';

export function problemType(kind: ErrorKind): string {
  return PROBLEM_TYPE_BASE + kind;
}

export function exitCodeOf(kind: ErrorKind): 1 | 2 {
  return ERROR_KINDS[kind].exitCode;
}

export function statusOf(kind: ErrorKind): number {
  return ERROR_KINDS[kind].status;
}
