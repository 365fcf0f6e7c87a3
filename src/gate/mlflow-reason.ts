/**
 * What a webhook answer may say about an MLflow failure. Flagger shows answers in the Canary's
 * events, readable by anyone who can read the cluster, so MLflow's own words (which may echo a
 * request header such as `Authorization` through a proxy) never go into them: only the kind of
 * failure, the status code, or the gate's own words (timeouts, connection errors). The full error goes to the gate's log, with credentials redacted.
 */
import { MlflowApiError, MlflowUnavailableError } from '../mlflow/types.js';

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

export function publicMlflowReason(err: Error): string {
  if (err instanceof MlflowApiError) {
    return `MLflow error: HTTP ${err.httpStatus}${CODE.test(err.errorCode) ? ` ${err.errorCode}` : ''}`;
  }
  if (err instanceof MlflowUnavailableError) {
    switch (err.reason) {
      // Written by the gate itself (no MLflow text in them): the location has no credentials.
      case 'timeout':
      case 'connection':
      case 'store':
        return err.message.slice(0, 300);
      case 'http':
        return `MLflow answered HTTP ${err.httpStatus ?? 'error'}`;
      case 'auth':
        return `MLflow answered HTTP ${err.httpStatus ?? 401} (check MLFLOW_TRACKING_USERNAME/PASSWORD or MLFLOW_TRACKING_TOKEN)`;
      case 'malformed':
        return 'MLflow answered malformed JSON or an unexpected shape';
    }
  }
  return 'MLflow unavailable';
}
