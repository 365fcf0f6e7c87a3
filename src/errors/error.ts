/**
 * The base of every error agent-canary reports to a user: a message that says what is wrong and
 * how to fix it, and a `kind` from the one table (src/errors/kinds.ts) that decides the CLI exit
 * code and the HTTP status. Callers tell errors apart by `instanceof` and `kind`, never by name.
 */
import { ERROR_KINDS, type ErrorKind } from './kinds.js';

export class AgentCanaryError extends Error {
  readonly kind: ErrorKind;

  constructor(kind: ErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.kind = kind;
  }

  /** HTTP status of the kind (the servers answer it as problem+json). */
  get status(): number {
    return ERROR_KINDS[this.kind].status;
  }

  /** CLI exit code of the kind: 1 refused, 2 bad input or a failed environment. */
  get exitCode(): 1 | 2 {
    return ERROR_KINDS[this.kind].exitCode;
  }
}
