/**
 * The one error type of the GitOps operations. Each error carries a `kind` that maps to an HTTP
 * status (the API answers it as problem+json) and to a CLI exit code (1 refused, 2 bad input), so
 * callers never parse messages.
 */
import { redactCredentials } from '../redact/credentials.js';

export type GitOpsErrorKind =
  /** The request is malformed: bad id, unknown field, wrong type. HTTP 400, exit 2. */
  | 'bad-request'
  /** The agent is not in the fleet. HTTP 404, exit 2. */
  | 'not-found'
  /** The id names an agent in several namespaces. HTTP 409, exit 2. */
  | 'ambiguous'
  /** The state does not allow it (no canary, progressive mode, dirty paths, diverged branch). HTTP 409, exit 1. */
  | 'conflict'
  /** A policy or the validator said no (weight step, schema). HTTP 422, exit 1. */
  | 'refused'
  /** No Git repository is configured. HTTP 503, exit 2. */
  | 'unavailable'
  /** Git failed (commit, push after all retries, lock timeout). HTTP 500/502, exit 2. */
  | 'git';

const STATUS: Record<GitOpsErrorKind, number> = {
  'bad-request': 400,
  'not-found': 404,
  ambiguous: 409,
  conflict: 409,
  refused: 422,
  unavailable: 503,
  git: 500,
};

export interface GitOpsErrorDetails {
  /** JSON path of the offending field, e.g. `config.weight`. */
  readonly field?: string;
  /** The offending value. */
  readonly value?: unknown;
  /** What would have been accepted. */
  readonly allowed?: string;
  /** Validator findings, when the refusal comes from validation. */
  readonly violations?: readonly string[];
}

export class GitOpsError extends Error {
  override readonly name = 'GitOpsError';
  readonly kind: GitOpsErrorKind;
  readonly details: GitOpsErrorDetails;

  constructor(kind: GitOpsErrorKind, message: string, details: GitOpsErrorDetails = {}) {
    // Messages carry repository URLs and git's own output: never a credential (redact.ts).
    super(redactCredentials(message));
    this.kind = kind;
    this.details = details;
  }

  get status(): number {
    return STATUS[this.kind];
  }

  /** CLI exit code: 1 when a policy or the state refused, 2 for bad input or an environment failure. */
  get exitCode(): number {
    return this.kind === 'refused' || this.kind === 'conflict' ? 1 : 2;
  }
}

export function isGitOpsError(err: unknown): err is GitOpsError {
  return err instanceof GitOpsError;
}
