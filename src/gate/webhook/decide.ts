/**
 * Webhook step 3, decide: which check the hook asks for (`metadata.check`), then the step-hold
 * answer or the quality verdict. A bad setting is a 400 naming the field; a step-hold state file
 * that cannot be written is the gate's fault (503, Flagger asks again next tick), never a 412.
 */
import { HttpError } from '../../http/errors.js';
import type { Counter } from '../prometheus.js';
import type { FlaggerPayload } from '../payload.js';
import { resolveSettings, type GateDefaults, type QualitySettings } from '../settings.js';
import { parseStepPlan, StateWriteError, type HoldAnswer, type StepHolds } from '../step-hold.js';
import type { QualityEngine } from '../engine.js';
import type { Verdict } from '../verdict.js';
import type { Source } from '../single-flight.js';

export const CHECKS = ['quality', 'step-hold'] as const;
const MODES = ['strict', 'recif'];
export type Check = (typeof CHECKS)[number];

/**
 * A metric label for a request-chosen string: the value when it is one of `allowed`, else
 * `unknown` (absent) or `other`, so `/metrics` stays bounded whatever callers send.
 */
export function labelOf(value: string | undefined, allowed: readonly string[]): string {
  if (value === undefined || value === '') return 'unknown';
  return allowed.includes(value) ? value : 'other';
}

/**
 * A Flagger event (an `event` hook or the `-event-webhook` receiver): Flagger adds `eventMessage`
 * and `eventType` to the metadata. It asks nothing; the answer is 200 and a log line.
 */
export function isEvent(payload: FlaggerPayload): boolean {
  return payload.metadata.eventMessage !== undefined || payload.metadata.eventType !== undefined;
}

/**
 * Flagger's payload does not say which hook type calls, and a 2xx means "roll back now" to a
 * `rollback` hook. So the gate judges only when `metadata.check` names the check; without it the
 * answer is a 400, which no hook type takes as approval: a rollback hook does not roll back, a
 * confirm-* hook holds, a rollout hook counts a failed check (fail closed).
 */
export function checkOf(payload: FlaggerPayload): Check {
  const check = payload.metadata.check;
  if (check === undefined || check === '') {
    throw new HttpError(
      'bad-request',
      'metadata.check is missing: the gate answers only hooks that say what to check (Flagger does not say which hook type calls, and a 2xx would make a rollback hook roll back). Fix: set metadata.check to "quality" on the rollout hook or "step-hold" on confirm-traffic-increase / confirm-promotion hooks; never point a rollback hook at the gate.',
      { field: 'metadata.check', allowed: 'quality | step-hold' },
    );
  }
  if ((CHECKS as readonly string[]).includes(check)) return check as Check;
  throw new HttpError(
    'bad-request',
    `metadata.check: invalid value ${JSON.stringify(check.slice(0, 100))} (allowed: quality | step-hold). Fix: use "quality" for score checks or "step-hold" for step durations.`,
    { field: 'metadata.check', allowed: 'quality | step-hold' },
  );
}

/** Step holds and quality calls of one revision share this key. */
export function holdKey(p: FlaggerPayload): string {
  return `${p.namespace}/${p.name}/${p.checksum ?? ''}`;
}

export interface DeciderOptions {
  readonly engine: QualityEngine;
  readonly holds: StepHolds;
  readonly defaults: GateDefaults;
  readonly decisions: Counter;
}

export interface QualityDecision {
  readonly settings: QualitySettings;
  readonly verdict: Verdict;
  readonly cache: Source;
}

export function stepHold(payload: FlaggerPayload, opts: DeciderOptions): HoldAnswer {
  let plan;
  try {
    plan = parseStepPlan(payload.metadata);
  } catch (err) {
    opts.decisions.inc({ check: 'step-hold', mode: 'none', result: 'bad_request' });
    throw err;
  }
  try {
    return opts.holds.check(holdKey(payload), plan);
  } catch (err) {
    if (!(err instanceof StateWriteError)) throw err;
    opts.decisions.inc({ check: 'step-hold', mode: 'none', result: 'state_error' });
    throw err;
  }
}

/** Resolves the settings of a payload once: Flagger repeats the same body every tick. */
export function settingsResolver(
  defaults: GateDefaults,
): (payload: FlaggerPayload) => QualitySettings {
  const known = new WeakMap<FlaggerPayload, QualitySettings>();
  return (payload) => {
    let settings = known.get(payload);
    if (!settings) {
      settings = resolveSettings(payload.metadata, payload, defaults);
      known.set(payload, settings);
    }
    return settings;
  };
}

export async function quality(
  payload: FlaggerPayload,
  opts: DeciderOptions,
  settingsOf: (payload: FlaggerPayload) => QualitySettings,
): Promise<QualityDecision> {
  // A revision's quality call before any step-hold call means it already has traffic (the
  // lost-state rule of step holds needs to know).
  opts.holds.noteQuality(holdKey(payload));
  let settings: QualitySettings;
  try {
    settings = settingsOf(payload);
  } catch (err) {
    opts.decisions.inc({
      check: 'quality',
      mode: labelOf(payload.metadata.mode, MODES),
      result: 'bad_request',
    });
    throw err;
  }
  const { verdict, cache } = await opts.engine.judge(payload, settings);
  return { settings, verdict, cache };
}
