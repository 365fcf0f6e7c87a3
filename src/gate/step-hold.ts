/**
 * Step holds: Flagger has one interval for every step, so per-step durations are enforced here.
 * Flagger calls a `confirm-traffic-increase` hook before each weight increase and a
 * `confirm-promotion` hook before promotion (both with `metadata.check: step-hold`), and keeps
 * calling each tick until one passes. Approval k is given once `stepHolds[k]` has elapsed since
 * approval k-1 (or since the gate first saw the revision, for k = 0).
 *
 * State per (namespace, name, checksum) is kept in memory and, with a state file, on disk (written
 * before an approval is answered), so a restart continues each hold. A revision the gate has no
 * state for is judged by the lost-state rule below, which never shortens a hold.
 */
import { renameSync } from 'node:fs';
import type { Logger } from '../http/log.js';
import { silentLogger } from '../http/log.js';
import { AgentCanaryError } from '../errors/error.js';
import { FieldError } from './settings.js';
import { formatDuration, parseDuration } from '../duration/duration.js';
import { loadState, saveState, type HoldEntry } from './step-hold-state.js';

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
  /** The weight this approval leads to, or 100 for promotion; null when the step is unknown (lost state). */
  readonly nextWeight: number | null;
  /** The gate does not know how many approvals the revision had before it saw it (lost state). */
  readonly uncertain: boolean;
}

export function parseStepPlan(meta: Readonly<Record<string, string>>): StepPlan {
  const rawW = meta.stepWeights ?? '';
  const rawH = meta.stepHolds ?? '';
  const weights = rawW
    .split(',')
    .map((w) => w.trim())
    .filter(Boolean)
    .map(Number);
  if (
    weights.length === 0 ||
    weights.some((w) => !Number.isInteger(w) || w < 1 || w > 99) ||
    weights.some((w, i) => i > 0 && w <= weights[i - 1]!)
  ) {
    throw new FieldError(
      'metadata.stepWeights',
      `metadata.stepWeights: invalid value ${JSON.stringify(rawW)} (allowed: increasing integers 1..99, comma-separated). Fix: write e.g. "5,10,25,50".`,
      'increasing integers 1..99',
    );
  }
  const holds = rawH
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
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

/** An approval could not be written to the state file; it is not given (a restart would forget it). */
export class StateWriteError extends AgentCanaryError {
  /** Members of the 503 problem answer. */
  readonly details: { readonly stateFile: string };

  constructor(
    readonly file: string,
    cause: unknown,
  ) {
    super(
      'service-unavailable',
      `cannot write the step-hold state file ${file}: ${(cause as Error).message}. The approval was not given (a restart would forget it and shorten the next hold); Flagger asks again next tick. Fix: make the folder writable and give it space (the gate Deployment mounts a volume there).`,
    );
    this.details = { stateFile: file };
  }
}

export interface StepHoldsOptions {
  /** @default Date.now */
  readonly now?: () => number;
  /** Forget revisions not seen for this long (their approvals then count as lost). @default 24 h */
  readonly forgetMs?: number;
  /** JSON file holding the state across restarts; unset = memory only. @default none */
  readonly stateFile?: string;
  /** @default silent */
  readonly logger?: Logger;
  /**
   * Longest time between Flagger's `rollout` (quality) call and its confirm call in one tick.
   * A gate younger than this may have missed the quality call that marks a revision as in flight.
   * @default 120000 (2 min; a tick runs its hooks, each at most 10 s, and its metric queries)
   */
  readonly tickWindowMs?: number;
}

/** Largest hold from index k to the end: the hold of any step the revision may really be at. */
function suffixMax(holds: readonly number[], k: number): number {
  let m = 0;
  for (let i = Math.min(k, holds.length - 1); i < holds.length; i++) m = Math.max(m, holds[i]!);
  return m;
}

/**
 * Approval k of a revision is given once `stepHolds[k]` has passed since approval k-1.
 *
 * Lost-state rule. Flagger calls the `rollout` hooks (the quality check, same gate, same key) on
 * every tick once the canary has traffic, before its confirm hooks; at weight 0 it calls none.
 * So a revision whose first call to this gate is a step-hold call is at weight 0: new, count 0.
 * A revision with no state is *uncertain* when the gate has already seen a quality call for it
 * (in flight: its state was lost or pruned), or when the gate is younger than `tickWindowMs`
 * (the quality call of this tick may have reached the previous process). For an uncertain
 * revision every approval before the gate's knowledge horizon H may be unknown, so:
 * approval 0 waits until `max(firstSight + stepHolds[0], H + max(stepHolds))`, and after c
 * approvals the next waits `max(stepHolds[c..])` (the real step is at least c). Never shorter
 * than the real hold; at most the longest hold per step longer.
 */
export class StepHolds {
  private readonly state = new Map<string, HoldEntry>();
  /** Revisions seen in quality calls while they had no step-hold state. */
  private readonly qualitySeen = new Map<string, number>();
  private readonly now: () => number;
  private readonly forgetMs: number;
  private readonly tickWindowMs: number;
  private readonly logger: Logger;
  readonly stateFile?: string;
  private readonly started: number;
  /** Approvals before this time may be unknown (process start without state, else the file's; raised by pruning). */
  private horizon: number;
  private lastSweep = 0;

  constructor(opts: StepHoldsOptions = {}) {
    this.now = opts.now ?? Date.now;
    this.forgetMs = opts.forgetMs ?? 24 * 3_600_000;
    this.tickWindowMs = opts.tickWindowMs ?? 120_000;
    this.logger = opts.logger ?? silentLogger;
    this.stateFile = opts.stateFile;
    this.started = this.now();
    this.horizon = this.started;
    if (this.stateFile !== undefined) this.load(this.stateFile);
  }

  private load(file: string): void {
    const r = loadState(file);
    if (r.status === 'loaded') {
      this.horizon = r.snapshot.horizon;
      for (const [k, v] of r.snapshot.holds) this.state.set(k, { ...v });
      this.logger.info('step-hold state loaded', {
        stateFile: file,
        revisions: this.state.size,
        horizon: new Date(this.horizon).toISOString(),
      });
      return;
    }
    if (r.status === 'missing') {
      this.logger.info(
        'step-hold state file absent: starting empty; revisions already in flight are held by the lost-state rule',
        { stateFile: file },
      );
      return;
    }
    // Keep the bad file for a human, and start empty with the lost-state rule (horizon = now).
    let keptAs: string | undefined = `${file}.corrupt-${this.started}`;
    try {
      renameSync(file, keptAs);
    } catch {
      keptAs = undefined;
    }
    this.logger.error(
      'step-hold state file is corrupt: starting empty; revisions already in flight are held by the lost-state rule (longest hold per step)',
      {
        stateFile: file,
        problem: r.problem,
        keptAs,
      },
    );
  }

  /** The knowledge horizon (epoch ms): approvals before it may be unknown. */
  get knowledgeHorizon(): number {
    return this.horizon;
  }

  /** Number of revisions with step-hold state. */
  get size(): number {
    return this.state.size;
  }

  /** Records a quality call: a revision seen there before any step-hold call is in flight. */
  noteQuality(key: string): void {
    if (!this.state.has(key)) {
      if (this.qualitySeen.size >= 100_000)
        this.qualitySeen.delete(this.qualitySeen.keys().next().value as string);
      this.qualitySeen.set(key, this.now());
    }
  }

  check(key: string, plan: StepPlan): HoldAnswer {
    const now = this.now();
    this.sweep(now);
    let st = this.state.get(key);
    if (!st) {
      const inFlight = this.qualitySeen.has(key);
      const young = now - this.started < this.tickWindowMs;
      st =
        inFlight || young
          ? {
              approvals: 0,
              since: now,
              seen: now,
              uncertain: true,
              notBefore: this.horizon + suffixMax(plan.holdsMs, 0),
            }
          : { approvals: 0, since: now, seen: now };
      this.state.set(key, st);
      this.qualitySeen.delete(key);
      if (st.uncertain)
        this.logger.warn(
          'step hold: revision without state is in flight or may be; holding the longest hold per step',
          { key, reason: inFlight ? 'quality call seen first' : 'gate just started' },
        );
      // The first sight starts the clock of approval 0; losing it only delays (the clock restarts later).
      this.persist(false);
    }
    st.seen = now;
    const n = plan.holdsMs.length;
    const k = Math.min(st.approvals, n - 1);
    const hold = st.uncertain ? suffixMax(plan.holdsMs, k) : plan.holdsMs[k]!;
    const readyAt = Math.max(
      st.since + (st.uncertain && st.approvals === 0 ? plan.holdsMs[0]! : hold),
      st.notBefore ?? 0,
    );
    const nextWeight = st.uncertain ? null : k < plan.weights.length ? plan.weights[k]! : 100;
    const target = st.uncertain
      ? 'the next step'
      : nextWeight === 100
        ? 'promotion'
        : `weight ${nextWeight}%`;
    const which = st.uncertain
      ? `approval ${k + 1}+ of ${n}, step unknown after lost gate state: longest remaining hold`
      : `approval ${k + 1} of ${n}`;
    if (now >= readyAt) {
      const before = { ...st };
      st.approvals++;
      st.since = now;
      delete st.notBefore;
      try {
        this.persist(true);
      } catch (err) {
        Object.assign(st, before);
        if (before.notBefore === undefined) delete st.notBefore;
        throw err;
      }
      return {
        passed: true,
        approvals: st.approvals,
        waitMs: 0,
        nextWeight,
        uncertain: st.uncertain === true,
        message: `Step hold passed: ${which} (${target}) after ${formatDuration(now - before.since)} (hold ${formatDuration(hold)})`,
      };
    }
    return {
      passed: false,
      approvals: st.approvals,
      waitMs: readyAt - now,
      nextWeight,
      uncertain: st.uncertain === true,
      message: `Step hold: ${formatDuration(readyAt - now)} left before ${target} (${which}, hold ${formatDuration(hold)})`,
    };
  }

  /** Writes the state file. `required`: an approval depends on it, so a failure is thrown. */
  private persist(required: boolean): void {
    if (this.stateFile === undefined) return;
    try {
      saveState(this.stateFile, { horizon: this.horizon, holds: this.state });
    } catch (err) {
      if (required) {
        this.logger.error('step-hold state not written; approval refused', {
          stateFile: this.stateFile,
          error: (err as Error).message,
        });
        throw new StateWriteError(this.stateFile, err);
      }
      this.logger.warn('step-hold state not written', {
        stateFile: this.stateFile,
        error: (err as Error).message,
      });
    }
  }

  /** Forgets revisions not seen for `forgetMs` (at most once a minute); their approvals move the horizon. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 60_000) return;
    this.lastSweep = now;
    let pruned = 0;
    for (const [k, v] of this.state) {
      if (now - v.seen > this.forgetMs) {
        this.state.delete(k);
        // Its last approval was at or before `since`: an unknown revision's approvals are now "before the horizon".
        this.horizon = Math.max(this.horizon, v.since);
        pruned++;
      }
    }
    for (const [k, t] of this.qualitySeen) if (now - t > this.forgetMs) this.qualitySeen.delete(k);
    if (pruned > 0) {
      this.logger.info('step-hold state pruned', { pruned, revisions: this.state.size });
      this.persist(false);
    }
  }
}
