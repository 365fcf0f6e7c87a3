/**
 * The advance decision: the one rule the autopilot and every manual path (`canary weight` up,
 * `canary promote`, the HTTP API's PATCH and promote) apply before a canary gets more traffic.
 *
 * 1. The step's hold, measured from the commit that set the weight (history.ts), must be over.
 * 2. After a failed check, the next one waits `analysis.interval` (Flagger's pace).
 * 3. The quality gate (MLflow evaluations, the webhook's own engine: quality.ts) and the traffic
 *    checks (Prometheus, the MetricTemplates' PromQL: traffic.ts) must both pass.
 * 4. A failure is one failed check; the `analysis.threshold`-th rolls the canary back.
 * Evidence that cannot be had (no MLflow configured, Prometheus not answering) decides nothing:
 * the canary waits, and the reason says why. It is never counted as a pass.
 */
import { parseDuration } from '../duration/duration.js';
import type { PolicyStep } from '../policy/types.js';
import type { QualityEvidence } from './quality.js';
import type { TrafficEvidence } from './traffic.js';

/** Where the canary goes next: a weight, or promotion after the last step. */
export type Target =
  { readonly kind: 'weight'; readonly weight: number } | { readonly kind: 'promote' };

/** The policy's next step above `weight`, or promotion after the last step. */
export function targetAfter(weight: number, steps: readonly PolicyStep[]): Target {
  const next = steps.find((s) => s.weight > weight);
  return next ? { kind: 'weight', weight: next.weight } : { kind: 'promote' };
}

export function describeTarget(t: Target): string {
  return t.kind === 'promote' ? 'promotion' : `${t.weight}%`;
}

/** Flagger durations (`30s`, `5m`) in ms; the policy schema has checked them. */
export function durationMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`'${text}' is not a policy duration (<n>s or <n>m)`);
  return ms;
}

/**
 * The hold of the step the canary is at: the step with this weight, else the highest step below
 * it (a weight between steps, set by hand), else the first step's.
 */
export function holdOf(weight: number, steps: readonly PolicyStep[]): PolicyStep | undefined {
  let at: PolicyStep | undefined;
  for (const s of steps) if (s.weight <= weight) at = s;
  return at ?? steps[0];
}

export interface AdvanceState {
  readonly agentId: string;
  readonly weight: number;
  readonly steps: readonly PolicyStep[];
  /** Committer time (ms) of the commit that set the weight; undefined: not in the history. */
  readonly heldSince?: number;
  readonly now: number;
  /** Failed checks of this canary so far, and the threshold that rolls it back. */
  readonly failedChecks: number;
  readonly threshold: number;
  /** Time (ms) of the newest failed check, and the analysis interval (ms) that paces checks. */
  readonly lastCheckAt?: number;
  readonly intervalMs: number;
}

export interface Evidence {
  readonly quality: QualityEvidence;
  readonly traffic: TrafficEvidence;
}

export type Decision =
  | {
      readonly action: 'wait';
      readonly reason: string;
      readonly fix: string;
      /** When waiting is over (ms), if time alone ends it. */
      readonly until?: number;
      /** The hold is what holds the canary (no evidence was asked for). */
      readonly hold: boolean;
    }
  | { readonly action: 'advance'; readonly to: Target; readonly reason: string }
  | {
      readonly action: 'check-failed' | 'rollback';
      readonly failed: number;
      readonly threshold: number;
      readonly reasons: readonly string[];
    };

function seconds(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s >= 120 ? `${Math.floor(s / 60)}m${s % 60 ? `${s % 60}s` : ''}` : `${s}s`;
}

/**
 * What time alone says: wait (hold or check pace) or go on to the evidence. Separate from
 * `decideAdvance` so a pass asks MLflow and Prometheus only for canaries whose time has come.
 */
export function timeDecision(s: AdvanceState): Extract<Decision, { action: 'wait' }> | undefined {
  const step = holdOf(s.weight, s.steps);
  const holdMs = step ? durationMs(step.hold) : 0;
  const start = s.heldSince ?? s.now;
  const heldFor = s.now - start;
  if (heldFor < holdMs) {
    const target = describeTarget(targetAfter(s.weight, s.steps));
    return {
      action: 'wait',
      hold: true,
      until: start + holdMs,
      reason: `the ${s.weight}% step holds ${step!.hold}; it has held ${seconds(Math.max(0, heldFor))}, ${seconds(holdMs - heldFor)} to go before ${target}`,
      fix: `wait until ${new Date(start + holdMs).toISOString()}`,
    };
  }
  if (s.lastCheckAt !== undefined && s.now - s.lastCheckAt < s.intervalMs) {
    return {
      action: 'wait',
      hold: true,
      until: s.lastCheckAt + s.intervalMs,
      reason: `a check failed ${seconds(s.now - s.lastCheckAt)} ago (${s.failedChecks}/${s.threshold}); the next check comes one analysis interval after it`,
      fix: `wait until ${new Date(s.lastCheckAt + s.intervalMs).toISOString()}`,
    };
  }
  return undefined;
}

/** The decision on a canary whose time has come, given the evidence. */
export function decideAdvance(s: AdvanceState, e: Evidence): Decision {
  const time = timeDecision(s);
  if (time) return time;
  const missing: string[] = [];
  const fixes: string[] = [];
  if (e.quality.status === 'not-configured') {
    missing.push(e.quality.message);
    fixes.push('configure MLflow (--mlflow URI or MLFLOW_TRACKING_URI)');
  }
  if (e.traffic.status === 'unavailable' || e.traffic.status === 'not-configured') {
    missing.push(e.traffic.message);
    fixes.push('make Prometheus reachable (--prometheus URL)');
  }
  if (missing.length > 0) {
    return {
      action: 'wait',
      hold: false,
      reason: `no decision without the evidence: ${missing.join('; ')}`,
      fix: fixes.join(' and '),
    };
  }
  const reasons: string[] = [];
  if (!e.quality.passed) reasons.push(e.quality.message);
  if (!e.traffic.passed) reasons.push(e.traffic.message);
  if (reasons.length === 0) {
    const to = targetAfter(s.weight, s.steps);
    return {
      action: 'advance',
      to,
      reason: `held ${holdOf(s.weight, s.steps)?.hold ?? '0s'} at ${s.weight}%, the quality gate and the traffic checks passed`,
    };
  }
  const failed = s.failedChecks + 1;
  return {
    // An abort bound fails the canary at once, as the generator's abort hook does in Flagger.
    action: failed >= s.threshold || e.traffic.aborted ? 'rollback' : 'check-failed',
    failed,
    threshold: s.threshold,
    reasons,
  };
}
