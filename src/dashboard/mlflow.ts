/**
 * MLflow as the dashboard reads it: the gate's own source and engine, so the radar and the
 * scorecard judge with the same data and rules as Flagger's webhook. A source that cannot be read
 * is a 503 (502 for an error MLflow answered) problem saying why (the gate's public wording: never MLflow's own text, which may echo
 * credentials), never an empty chart that looks like "no evaluations".
 */
import { HttpError } from '../http/errors.js';
import { publicMlflowReason } from '../gate/mlflow-reason.js';
import { MlflowApiError, MlflowUnavailableError } from '../mlflow/types.js';
import type { Verdict } from '../gate/verdict.js';

const RETRY_AFTER_S = 5;

/**
 * The answer for an MLflow that cannot be read: 503 `service-unavailable`, or 502 `upstream` when
 * MLflow answered an error of its own (the kinds of src/errors/kinds.ts); `reason` is safe to show.
 */
export function mlflowUnavailable(
  reason: string,
  location: string,
  kind: 'service-unavailable' | 'upstream' = 'service-unavailable',
): HttpError {
  return new HttpError(
    kind,
    `MLflow cannot be read (${reason}), so the scores and the gate's verdicts are unknown. Fix: check that MLflow at ${location} is up and the gate's MLflow settings (--mlflow, MLFLOW_TRACKING_URI) are right; this answer changes once it can be read.`,
    { reason, mlflow: location },
    { 'Retry-After': String(RETRY_AFTER_S) },
  );
}

/** Runs an MLflow read; a source failure becomes the 503 above. */
export async function readingMlflow<T>(location: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof MlflowUnavailableError)
      throw mlflowUnavailable(publicMlflowReason(err), location);
    if (err instanceof MlflowApiError)
      throw mlflowUnavailable(publicMlflowReason(err), location, 'upstream');
    throw err;
  }
}

/** A verdict the engine could only give because MLflow was unavailable is a 503 here too. */
export function checkedVerdict(v: Verdict, location: string): Verdict {
  if (v.outcome === 'unavailable')
    throw mlflowUnavailable(v.reasons[0] ?? 'MLflow unavailable', location);
  return v;
}
