/**
 * The one error type of the GitOps operations. Each error carries a `kind` that maps to an HTTP
 * status (the API answers it as problem+json) and to a CLI exit code (1 refused, 2 bad input)
 * through the table in src/errors/kinds.ts, so callers never parse messages.
 */
import { AgentCanaryError } from '../errors/error.js';
import type { ErrorKind } from '../errors/kinds.js';
import { redactCredentials } from '../redact/credentials.js';

/**
 * The kinds the operations use, each explained in the one table (src/errors/kinds.ts):
 * bad-request 400/exit 2, not-found 404/2, ambiguous 409/2, conflict 409/1, refused 422/1,
 * unavailable 503/2, git 500/2.
 */
export type GitOpsErrorKind = Extract<
  ErrorKind,
  'bad-request' | 'not-found' | 'ambiguous' | 'conflict' | 'refused' | 'unavailable' | 'git'
>;

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

export class GitOpsError extends AgentCanaryError {
  declare readonly kind: GitOpsErrorKind;
  readonly details: GitOpsErrorDetails;

  constructor(kind: GitOpsErrorKind, message: string, details: GitOpsErrorDetails = {}) {
    // Messages carry repository URLs and git's own output: never a credential (redact.ts).
    super(kind, redactCredentials(message));
    this.details = details;
  }
}

export function isGitOpsError(err: unknown): err is GitOpsError {
  return err instanceof GitOpsError;
}
