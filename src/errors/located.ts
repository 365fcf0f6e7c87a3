/**
 * Errors that point at a place in a file, the base of the fleet and policy loaders' errors.
 *
 * Every error says what (the problem), where (file, line, column, JSON-path-like field), the value
 * found, what is allowed and how to fix it, in one line:
 * `<file>:<line>: <field>: <problem> (got <value>; allowed: <allowed>). Fix: <fix>`.
 */

import { AgentCanaryError } from './error.js';

/** The parts of a located error; `field` is a path like `spec.canary.weight` or `rollout.gatewayRefs[0].name`. */
export interface Location {
  /** Path of the file, as the user should see it (relative to the fleet or policy root). */
  readonly file: string;
  /** 1-based line; the offending node, or the nearest parent that exists. */
  readonly line: number;
  /** 1-based column of the same node. */
  readonly column: number;
}

export interface ProblemDetails {
  readonly field: string;
  readonly problem: string;
  /** The value found (`undefined` when the field is missing). */
  readonly value?: unknown;
  /** What is allowed, in words or as a list. */
  readonly allowed?: string;
  readonly fix: string;
}

/** Renders a value for a message: JSON, shortened; a missing value reads as `nothing`. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatProblem(loc: Location, d: ProblemDetails): string {
  const got = `got ${showValue(d.value)}`;
  const paren = d.allowed !== undefined ? `(${got}; allowed: ${d.allowed})` : `(${got})`;
  return `${loc.file}:${loc.line}: ${d.field || '(document)'}: ${d.problem} ${paren}. Fix: ${d.fix}`;
}

/** Base of FleetError and PolicyError: an error with a place in a file (bad input, exit 2). */
export class LocatedError extends AgentCanaryError {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string | undefined;
  readonly fix: string;
  /** The problem alone, without location, value and fix. */
  readonly problem: string;

  constructor(loc: Location, d: ProblemDetails) {
    super('bad-request', formatProblem(loc, d));
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.field = d.field;
    this.value = d.value;
    this.allowed = d.allowed;
    this.fix = d.fix;
    this.problem = d.problem;
  }

  /** Plain data for JSON reports (validator output, HTTP problem details). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      field: this.field,
      problem: this.problem,
      value: this.value,
      allowed: this.allowed,
      fix: this.fix,
    };
  }
}
