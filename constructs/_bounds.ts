/**
 * Promotion gates and abort bounds, folded into the bounds Flagger can act on.
 *
 * Flagger has one notion of a bad check: a metric out of its `thresholdRange` counts one failed
 * check, and `threshold` failed checks roll the canary back. It cannot hold on one bound and abort
 * on another, so each metric is emitted once at the strictest of its gate and abort bound (the
 * gate, for a sane policy), and the error-rate abort bound only when the success-rate bound does
 * not already imply it (success >= s means errors <= 100 - s).
 */
import type { PolicySpec } from '../src/policy/types.js';

export interface EffectiveBounds {
  /** Percent of non-5xx requests, at least. */
  readonly successRateMin?: number;
  /** p99 milliseconds, at most. */
  readonly latencyP99Max?: number;
  /** Percent of 5xx requests, at most; only when not implied by successRateMin. */
  readonly errorRateMax?: number;
}

function strictestMin(...v: (number | undefined)[]): number | undefined {
  const d = v.filter((x): x is number => x !== undefined);
  return d.length ? Math.max(...d) : undefined;
}
function strictestMax(...v: (number | undefined)[]): number | undefined {
  const d = v.filter((x): x is number => x !== undefined);
  return d.length ? Math.min(...d) : undefined;
}

export function effectiveBounds(policy: PolicySpec): EffectiveBounds {
  const successRateMin = strictestMin(
    policy.metrics.successRate?.min,
    policy.abort.successRate?.min,
  );
  const latencyP99Max = strictestMax(policy.metrics.latencyP99?.max, policy.abort.latencyP99?.max);
  const errMax = policy.abort.errorRate?.max;
  const impliedErrMax = successRateMin === undefined ? undefined : 100 - successRateMin;
  const errorRateMax =
    errMax !== undefined && (impliedErrMax === undefined || errMax < impliedErrMax)
      ? errMax
      : undefined;
  return {
    ...(successRateMin !== undefined ? { successRateMin } : {}),
    ...(latencyP99Max !== undefined ? { latencyP99Max } : {}),
    ...(errorRateMax !== undefined ? { errorRateMax } : {}),
  };
}
