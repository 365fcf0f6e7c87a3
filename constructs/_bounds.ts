/**
 * One range per check, the strictest of the promotion gate and the abort bound: what a caller
 * that knows only "pass or fail" (no "fail at once") can apply. The generator no longer folds
 * the bounds (each is its own Flagger metric, and abort bounds also the `abort` rollback hook,
 * see src/traffic/bounds.ts); this view is kept for callers that judge one range per check.
 */
import type { PolicySpec } from '../src/policy/types.js';
import { trafficBounds, type BoundedCheck } from '../src/traffic/bounds.js';

export interface EffectiveBounds {
  /** Percent of non-5xx requests, at least. */
  readonly successRateMin?: number;
  /** p99 milliseconds, at most. */
  readonly latencyP99Max?: number;
  /** p50 milliseconds, at most. */
  readonly latencyP50Max?: number;
  /** Percent of 5xx requests, at most; only when not implied by successRateMin. */
  readonly errorRateMax?: number;
}

export function effectiveBounds(policy: PolicySpec): EffectiveBounds {
  const { gates, abort } = trafficBounds(policy);
  const all = [...gates, ...abort];
  const mins = (c: BoundedCheck) =>
    all.filter((b) => b.check === c && b.min !== undefined).map((b) => b.min!);
  const maxes = (c: BoundedCheck) =>
    all.filter((b) => b.check === c && b.max !== undefined).map((b) => b.max!);
  const sr = mins('request-success-rate');
  const p99 = maxes('request-duration');
  const p50 = maxes('request-duration-p50');
  const err = maxes('error-rate');
  const successRateMin = sr.length ? Math.max(...sr) : undefined;
  const errMax = err.length ? Math.min(...err) : undefined;
  const implied = successRateMin === undefined ? undefined : 100 - successRateMin;
  return {
    ...(successRateMin !== undefined ? { successRateMin } : {}),
    ...(p99.length ? { latencyP99Max: Math.min(...p99) } : {}),
    ...(p50.length ? { latencyP50Max: Math.min(...p50) } : {}),
    ...(errMax !== undefined && (implied === undefined || errMax < implied)
      ? { errorRateMax: errMax }
      : {}),
  };
}
