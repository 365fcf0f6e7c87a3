/**
 * The MLflow client settings users already have in their environment, read the way MLflow's
 * Python client reads them (`mlflow/environment_variables.py`, `mlflow/utils/rest_utils.py`):
 *
 *   MLFLOW_TRACKING_URI, _USERNAME, _PASSWORD, _TOKEN   where and who (see source.ts)
 *   MLFLOW_WORKSPACE                    MLflow 3 workspace: `X-MLFLOW-WORKSPACE` header (REST),
 *                                       the `workspace` column (mlflow.db)
 *   MLFLOW_TRACKING_INSECURE_TLS        `true`: do not verify the server's certificate
 *   MLFLOW_TRACKING_SERVER_CERT_PATH    CA bundle (PEM) to verify the server with
 *   MLFLOW_TRACKING_CLIENT_CERT_PATH    client certificate (PEM holding the certificate and its key)
 *   MLFLOW_HTTP_REQUEST_TIMEOUT         seconds per HTTP attempt
 *   MLFLOW_HTTP_REQUEST_MAX_RETRIES     retries after the first attempt
 *
 * Any other `MLFLOW_*` variable that changes how a client reaches MLflow is reported at start
 * (the gate would silently behave differently from the user's Python client otherwise).
 */
import { AgentCanaryError } from '../errors/error.js';
import { readFileSync } from 'node:fs';

export interface TlsSettings {
  /** Verify the server's certificate. @default true */
  readonly verify: boolean;
  /** CA certificates (PEM) trusted for the server. */
  readonly ca?: string;
  /** Client certificate and key (PEM). */
  readonly cert?: string;
  readonly key?: string;
}

export interface MlflowEnv {
  readonly workspace?: string;
  readonly tls: TlsSettings;
  readonly callTimeoutMs?: number;
  readonly retries?: number;
  /** Human-readable warnings for settings the gate ignores. */
  readonly warnings: readonly string[];
}

/** Variables read here or by the CLI (`MLFLOW_TRACKING_URI`, credentials). */
export const SUPPORTED = new Set([
  'MLFLOW_TRACKING_URI',
  'MLFLOW_TRACKING_USERNAME',
  'MLFLOW_TRACKING_PASSWORD',
  'MLFLOW_TRACKING_TOKEN',
  'MLFLOW_WORKSPACE',
  'MLFLOW_TRACKING_INSECURE_TLS',
  'MLFLOW_TRACKING_SERVER_CERT_PATH',
  'MLFLOW_TRACKING_CLIENT_CERT_PATH',
  'MLFLOW_HTTP_REQUEST_TIMEOUT',
  'MLFLOW_HTTP_REQUEST_MAX_RETRIES',
]);

/** Variables that only matter to other parts of MLflow (artifacts, the UI, logging): not a warning. */
const IRRELEVANT =
  /^MLFLOW_(ARTIFACT|S3_|GCS_|ENABLE_|DEFAULT_|LOGGING|RUN_ID|EXPERIMENT_(ID|NAME)|REGISTRY_URI|SERVER_|FLASK_|HOME|TRACKING_DIR|ALLOW_FILE_STORE|DEPLOYMENTS|GATEWAY|GENAI|ACTIVE_MODEL)/;

/** An MLflow environment variable with a bad value: bad input (exit 2). */
export class MlflowEnvError extends AgentCanaryError {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super('bad-request', message);
  }
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && ['true', '1', 'yes', 'on'].includes(v.trim().toLowerCase());
}

function readPem(variable: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new MlflowEnvError(
      variable,
      `${variable}=${path}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}). Fix: point it at a readable PEM file.`,
    );
  }
}

function positive(variable: string, raw: string | undefined, integer: boolean): number | undefined {
  if (raw === undefined || raw.trim() === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isInteger(n))) {
    throw new MlflowEnvError(
      variable,
      `${variable}=${raw}: not ${integer ? 'an integer' : 'a number'} >= 0. Fix: e.g. ${integer ? '3' : '10'}.`,
    );
  }
  return n;
}

/** Reads the settings; throws `MlflowEnvError` (naming the variable and the fix) on a bad value. */
export function readMlflowEnv(env: NodeJS.ProcessEnv = process.env): MlflowEnv {
  const warnings: string[] = [];
  const workspace = env.MLFLOW_WORKSPACE?.trim() || undefined;
  if (workspace !== undefined && !/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(workspace)) {
    throw new MlflowEnvError(
      'MLFLOW_WORKSPACE',
      `MLFLOW_WORKSPACE=${workspace}: not a workspace name (lower-case letters, digits and '-', at most 63). Fix: use the name MLflow shows.`,
    );
  }
  let cert: string | undefined;
  let key: string | undefined;
  const clientPath = env.MLFLOW_TRACKING_CLIENT_CERT_PATH?.trim();
  if (clientPath) {
    const pem = readPem('MLFLOW_TRACKING_CLIENT_CERT_PATH', clientPath);
    cert = pem;
    // requests' `cert=path` takes one file holding both; the key may also be in the same PEM.
    key = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem) ? pem : undefined;
    if (!key) {
      throw new MlflowEnvError(
        'MLFLOW_TRACKING_CLIENT_CERT_PATH',
        `MLFLOW_TRACKING_CLIENT_CERT_PATH=${clientPath}: the file holds no private key. Fix: concatenate the certificate and its key into one PEM file.`,
      );
    }
  }
  const serverPath = env.MLFLOW_TRACKING_SERVER_CERT_PATH?.trim();
  const verify = !truthy(env.MLFLOW_TRACKING_INSECURE_TLS);
  if (!verify && serverPath) {
    throw new MlflowEnvError(
      'MLFLOW_TRACKING_INSECURE_TLS',
      'MLFLOW_TRACKING_INSECURE_TLS and MLFLOW_TRACKING_SERVER_CERT_PATH are both set (MLflow refuses this too). Fix: unset one.',
    );
  }
  if (!verify)
    warnings.push(
      "MLFLOW_TRACKING_INSECURE_TLS=true: the MLflow server's certificate is not verified",
    );
  const timeoutS = positive('MLFLOW_HTTP_REQUEST_TIMEOUT', env.MLFLOW_HTTP_REQUEST_TIMEOUT, false);
  const retries = positive(
    'MLFLOW_HTTP_REQUEST_MAX_RETRIES',
    env.MLFLOW_HTTP_REQUEST_MAX_RETRIES,
    true,
  );
  for (const name of Object.keys(env).sort()) {
    if (name.startsWith('MLFLOW_') && !SUPPORTED.has(name) && !IRRELEVANT.test(name)) {
      warnings.push(
        `${name} is set but the gate does not support it; it is ignored (the gate may reach MLflow differently from your Python client)`,
      );
    }
  }
  return {
    workspace,
    tls: {
      verify,
      ca: serverPath ? readPem('MLFLOW_TRACKING_SERVER_CERT_PATH', serverPath) : undefined,
      cert,
      key,
    },
    callTimeoutMs: timeoutS !== undefined ? timeoutS * 1000 : undefined,
    retries,
    warnings,
  };
}
