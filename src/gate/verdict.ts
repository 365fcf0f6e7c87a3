/** What the gate answers, and why. */
import type { GateMode } from '../policy/types.js';

/**
 * - `pass`/`fail`: the scores were judged.
 * - `no-data`: nothing to judge (no experiment, no run of this revision, no metrics); strict
 *   mode fails it, Recif mode approves it (as Recif does).
 * - `unavailable`: MLflow could not be read in time; answered by `onUnavailable`.
 */
export type Outcome = 'pass' | 'fail' | 'no-data' | 'unavailable';

export interface MetricCheck {
  /** The key as configured (or as MLflow wrote it when every metric is judged). */
  readonly key: string;
  /** The key as found in the canary run. */
  readonly mlflowKey?: string;
  readonly direction: 'higher' | 'lower';
  /** Absolute bar; absent when the metric is only compared with stable. */
  readonly threshold?: number;
  /** Largest allowed move in the worse direction vs stable, as configured (`0.05`, `relative`). */
  readonly bound?: { readonly maxRegression: number; readonly regression: 'relative' | 'absolute' };
  /** Canary value; `null` when missing or not a number. */
  readonly value: number | null;
  /** Stable value, when a stable run was found. */
  readonly stable?: number | null;
  readonly passed: boolean;
  /** Why it failed, for humans. */
  readonly reason?: string;
  /** The canary-vs-stable test on per-row assessments, when both sides have them. */
  readonly test?: {
    readonly method: 'mann-whitney-u';
    readonly assessment: string;
    readonly nCanary: number;
    readonly nStable: number;
    readonly meanCanary: number;
    readonly meanStable: number;
    readonly diff: number;
    readonly ci95: readonly [number, number];
    /** One-sided p-value of "canary worse than stable". */
    readonly p: number;
    readonly alpha: number;
    /** The allowed move in the metric's unit (the effect-size bound). */
    readonly allowed: number;
  };
}

/** How the evaluation of one side was found. */
export interface FoundEvaluation {
  readonly run: string;
  readonly via: string;
  readonly model?: string;
  readonly samples?: number;
  readonly samplesFrom?: string;
}

export interface Verdict {
  readonly passed: boolean;
  readonly outcome: Outcome;
  /** `Quality gate passed (score=0.85)` / `Quality gate failed (score=0.42)` (+ reasons in strict mode). */
  readonly message: string;
  readonly mode: GateMode;
  readonly experiment: string;
  readonly score?: number;
  readonly runs?: { readonly canary?: string; readonly stable?: string };
  readonly samples?: number;
  /** Where the canary's and stable's evaluations were found (strict mode). */
  readonly evaluations?: { readonly canary?: FoundEvaluation; readonly stable?: FoundEvaluation };
  readonly metrics: readonly MetricCheck[];
  /** Why it did not pass (empty on a pass). */
  readonly reasons: readonly string[];
  /** Things a human should know that did not decide the answer (e.g. no stable run to compare). */
  readonly notes?: readonly string[];
}

/** Go's `%.2f` for the messages Recif prints. */
export function score2(n: number): string {
  return Number.isFinite(n) ? n.toFixed(2) : String(n);
}
