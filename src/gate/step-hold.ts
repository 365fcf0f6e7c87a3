/**
 * Step holds: Flagger has one interval for every step, so per-step durations are enforced here.
 * Flagger calls a `confirm-traffic-increase` hook before each weight increase and a
 * `confirm-promotion` hook before promotion (both with `metadata.check: step-hold`), and keeps
 * calling each tick until one passes. Approval k is given once `stepHolds[k]` has elapsed since
 * approval k-1 (or since the gate first saw the revision, for k = 0).
 *
 * State is in memory per (namespace, name, checksum): a restarted gate starts counting again.
 */
import { FieldError } from './settings.js';
import { formatDuration, parseDuration } from './duration.js';

export interface StepPlan {
  readonly weights: readonly number[];
  /** Hold before approval k; one more entry than weights (the last is the hold before promotion). */
  readonly holdsMs: readonly number[];
}

export interface HoldAnswer {
  readonly passed: boolean;
  readonly message: string;
  /** Approvals given so far for this revision (after this answer). */
  readonly approvals: number;
  /** Milliseconds still to wait (0 when passed). */
  readonly waitMs: number;
  /** The weight this approval leads to, or 100 for promotion. */
  readonly nextWeight: number;
}

export function parseStepPlan(meta: Readonly<Record<string, string>>): StepPlan {
  const rawW = meta.stepWeights ?? '';
  const rawH = meta.stepHolds ?? '';
  const weights = rawW.split(',').map((w) => w.trim()).filter(Boolean).map(Number);
  if (weights.length === 0 || weights.some((w) => !Number.isInteger(w) || w < 1 || w > 99) || weights.some((w, i) => i > 0 && w <= weights[i - 1]!)) {
    throw new FieldError('metadata.stepWeights', `metadata.stepWeights: invalid value ${JSON.stringify(rawW)} (allowed: increasing integers 1..99, comma-separated). Fix: write e.g. "5,10,25,50".`, 'increasing integers 1..99');
  }
  const holds = rawH.split(',').map((h) => h.trim()).filter(Boolean);
  const holdsMs = holds.map((h) => parseDuration(h));
  if (holdsMs.some((h) => h === null) || holds.length !== weights.length + 1) {
    throw new FieldError(
      'metadata.stepHolds',
      `metadata.stepHolds: invalid value ${JSON.stringify(rawH)} (allowed: ${weights.length + 1} durations, one per step plus the hold before promotion). Fix: write e.g. "0s,5m,10m,15m,20m" for stepWeights "5,10,25,50".`,
      `${weights.length + 1} durations`,
    );
  }
  return { weights, holdsMs: holdsMs as number[] };
}

export class StepHolds {
  private readonly state = new Map<string, { approvals: number; since: number; seen: number }>();

  constructor(
    private readonly now: () => number = Date.now,
    /** Forget revisions not seen for this long. @default 24 h */
    private readonly forgetMs = 24 * 3_600_000,
  ) {}

  check(key: string, plan: StepPlan): HoldAnswer {
    const now = this.now();
    this.sweep(now);
    let st = this.state.get(key);
    if (!st) {
      st = { approvals: 0, since: now, seen: now };
      this.state.set(key, st);
    }
    st.seen = now;
    const k = Math.min(st.approvals, plan.holdsMs.length - 1);
    const hold = plan.holdsMs[k]!;
    const nextWeight = k < plan.weights.length ? plan.weights[k]! : 100;
    const target = nextWeight === 100 ? 'promotion' : `weight ${nextWeight}%`;
    const elapsed = now - st.since;
    if (elapsed >= hold) {
      st.approvals++;
      st.since = now;
      return {
        passed: true,
        approvals: st.approvals,
        waitMs: 0,
        nextWeight,
        message: `Step hold passed: approval ${k + 1} of ${plan.holdsMs.length} (${target}) after ${formatDuration(elapsed)} (hold ${formatDuration(hold)})`,
      };
    }
    return {
      passed: false,
      approvals: st.approvals,
      waitMs: hold - elapsed,
      nextWeight,
      message: `Step hold: ${formatDuration(hold - elapsed)} left before ${target} (approval ${k + 1} of ${plan.holdsMs.length}, hold ${formatDuration(hold)})`,
    };
  }

  private sweep(now: number): void {
    if (this.state.size < 1000) return;
    for (const [k, v] of this.state) if (now - v.seen > this.forgetMs) this.state.delete(k);
  }
}
