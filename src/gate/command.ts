/**
 * `agent-canary gate`: serve the Flagger quality-gate webhook (and, with --repo, the canary HTTP
 * API of the GitOps part on the same port).
 *
 * Precedence: a flag beats its environment variable, which beats the default. MLflow
 * credentials: Basic auth when a username and a password are set, otherwise a Bearer token when
 * one is set (the MLflow Python client's rule).
 */
import { AgentCanaryError } from '../errors/error.js';
import { readMlflowEnv } from '../mlflow/env.js';
import { redactCredentials } from '../redact/credentials.js';
import { parseArgs } from 'node:util';
import { createLogger, type LogLevel, type Logger } from '../http/log.js';
import type { AdvanceGuard } from '../gitops/advance-guard.js';
import { gitopsAccess, gitopsRoutes, type GitOpsAccess } from '../gitops/api.js';
import { parseDuration } from '../duration/duration.js';
import { DEFAULTS, parseMetricList, type GateDefaults } from './settings.js';
import { startGateServer } from './server.js';
import { WEBHOOK_PATH } from './webhook.js';
import type { QualityEngine } from './engine.js';
import type { Route } from '../http/router.js';

export const USAGE = `usage: agent-canary gate [options]

Serves POST ${WEBHOOK_PATH} (Flagger webhook), GET /healthz, /readyz, /metrics; with --repo also
the canary API (/api/v1/agents/{id}/canary...), the radar and scorecard APIs and the fleet
dashboard page at /dashboard/.

options (flag > environment > default):
  --host HOST               listen address                        (default 127.0.0.1)
  --port PORT               listen port                           (default 8080)
  --mlflow URI              MLFLOW_TRACKING_URI: http(s)://..., sqlite:///path, file:..., or a folder
                            (default ./mlflow.db if present, else ./mlruns)
  --mlflow-username USER    MLFLOW_TRACKING_USERNAME  \\ Basic auth when both are set
  --mlflow-password PASS    MLFLOW_TRACKING_PASSWORD  /
  --mlflow-token TOKEN      MLFLOW_TRACKING_TOKEN     Bearer auth otherwise
  environment only: MLFLOW_WORKSPACE, MLFLOW_TRACKING_INSECURE_TLS, MLFLOW_TRACKING_SERVER_CERT_PATH,
    MLFLOW_TRACKING_CLIENT_CERT_PATH (PEM with certificate and key), MLFLOW_HTTP_REQUEST_TIMEOUT,
    MLFLOW_HTTP_REQUEST_MAX_RETRIES; other MLFLOW_* settings are reported as unsupported at start
  (environment)             AGENT_CANARY_GATE_SECRET: secret of the per-agent webhook tokens
                            (metadata.token = HMAC-SHA256(secret, "namespace/name"), written by synth)
  --token TOKEN             AGENT_CANARY_GATE_TOKEN: shared token accepted for every agent (older scheme)
  --repo PATH|URL           AGENT_CANARY_REPO: also serve the canary HTTP API for this GitOps repository
  --api-token TOKEN         AGENT_CANARY_API_TOKEN: bearer token of the canary HTTP API (with --repo)
  --autopilot               with --repo: also run the autopilot loop (docs/autopilot.md) in this server,
                            judging with this server's MLflow engine
  --prometheus URL          AGENT_CANARY_PROMETHEUS_URL: the autopilot's and the API guard's traffic checks
                            (default: the autopilot uses each policy's prometheus; the API does not check traffic)
  --autopilot-interval DUR  time between autopilot passes (default 15s)
  --mode strict|recif       default decision mode when metadata.mode is absent (default strict)
  --pass-threshold N        (default 0.6)        --metrics LIST   e.g. "safety/mean>=0.8" (default: every mean)
  --max-regression N        (default 0.05)       --min-samples N  (default 20)
  --on-unavailable approve|reject (default reject)
  --version-tag TAG         (default recif.agent_version)   --experiment TEMPLATE (default recif/agents/{name})
  --cache-ttl DURATION      (default 60s)        --timeout DURATION (default 8s)
  --state-file PATH         AGENT_CANARY_GATE_STATE: keeps step-hold state across restarts
                            (default: memory only; a restart then holds in-flight revisions by the lost-state rule)
  --log-level debug|info|warn|error (default info)
  -h, --help

Prefer the environment for passwords and tokens: flags are visible in the process list.`;

/** A bad flag or flag value: bad input (exit 2). */
class UsageError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

function envOr(flag: string | undefined, env: string): string | undefined {
  if (flag !== undefined) return flag;
  const v = process.env[env];
  return v === undefined || v === '' ? undefined : v;
}

function number(
  name: string,
  v: string | undefined,
  min: number,
  integer = false,
): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n)))
    throw new UsageError(
      `--${name}: invalid value '${v}' (allowed: ${integer ? 'an integer' : 'a number'} >= ${min})`,
    );
  return n;
}

function dur(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v);
  if (ms === null)
    throw new UsageError(`--${name}: invalid duration '${v}' (allowed: e.g. 30s, 5m)`);
  return ms;
}

function choice<T extends string>(
  name: string,
  v: string | undefined,
  allowed: readonly T[],
): T | undefined {
  if (v === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(v))
    throw new UsageError(`--${name}: invalid value '${v}' (allowed: ${allowed.join(', ')})`);
  return v as T;
}

/** What a caller mounts beside the canary API (the CLI mounts the dashboard: src/dashboard/command.ts). */
export interface GateCommandExtras {
  /** More routes on the same server, given the gate's engine and the served repository. */
  readonly routes?: (ctx: {
    readonly engine: QualityEngine;
    readonly access: GitOpsAccess | undefined;
  }) => readonly Route[];
  /**
   * The guard of the canary API's increases (the CLI wires the autopilot's, src/autopilot/);
   * without it increases are refused unless forced.
   */
  readonly guard?: (engine: () => QualityEngine | undefined, prometheus?: string) => AdvanceGuard;
  /** The autopilot loop (`--autopilot`); without it `--autopilot` is refused. */
  readonly startAutopilot?: (cfg: {
    repo: string;
    engine: () => QualityEngine | undefined;
    prometheus?: string;
    logger: Logger;
    pollMs?: number;
  }) => Promise<{ stop(): Promise<void> }>;
}

export async function run(argv: string[], extras: GateCommandExtras = {}): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        mlflow: { type: 'string' },
        'mlflow-username': { type: 'string' },
        'mlflow-password': { type: 'string' },
        'mlflow-token': { type: 'string' },
        token: { type: 'string' },
        repo: { type: 'string' },
        'api-token': { type: 'string' },
        autopilot: { type: 'boolean' },
        prometheus: { type: 'string' },
        'autopilot-interval': { type: 'string' },
        mode: { type: 'string' },
        'pass-threshold': { type: 'string' },
        metrics: { type: 'string' },
        'max-regression': { type: 'string' },
        'min-samples': { type: 'string' },
        'on-unavailable': { type: 'string' },
        'version-tag': { type: 'string' },
        experiment: { type: 'string' },
        'cache-ttl': { type: 'string' },
        timeout: { type: 'string' },
        'state-file': { type: 'string' },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    console.error(`agent-canary gate: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const s = (k: string): string | undefined => values[k] as string | undefined;
  try {
    const port = number('port', s('port') ?? '8080', 0, true)!;
    if (port > 65535) throw new UsageError(`--port: invalid value '${port}' (allowed: 0..65535)`);
    const logLevel =
      choice<LogLevel>('log-level', s('log-level'), ['debug', 'info', 'warn', 'error']) ?? 'info';
    const logger = createLogger({ level: logLevel, base: { component: 'gate' } });
    const defaults: Partial<GateDefaults> = Object.fromEntries(
      Object.entries({
        mode: choice('mode', s('mode'), ['strict', 'recif'] as const),
        passThreshold: number('pass-threshold', s('pass-threshold'), -Infinity),
        metrics:
          s('metrics') !== undefined ? parseMetricList(s('metrics')!, '--metrics') : undefined,
        maxRegression: number('max-regression', s('max-regression'), 0),
        minSamples: number('min-samples', s('min-samples'), 0, true),
        onUnavailable: choice('on-unavailable', s('on-unavailable'), [
          'approve',
          'reject',
        ] as const),
        versionTag: s('version-tag'),
        experiment: s('experiment'),
        cacheTtlMs: dur('cache-ttl', s('cache-ttl')),
        timeoutMs: dur('timeout', s('timeout')),
      }).filter(([, v]) => v !== undefined),
    );
    // MLflow's own client settings (workspace, TLS, timeouts); a bad value is exit 2 naming it.
    const mlflowEnv = readMlflowEnv(process.env);
    const token = envOr(s('token'), 'AGENT_CANARY_GATE_TOKEN');
    // Environment only: a flag would show the secret in the process list.
    const secret = envOr(undefined, 'AGENT_CANARY_GATE_SECRET');
    const repo = envOr(s('repo'), 'AGENT_CANARY_REPO');
    // The API's bearer token is not the webhook token: people call the API, Flagger the webhook.
    const apiToken = envOr(s('api-token'), 'AGENT_CANARY_API_TOKEN');
    // Mounted without --repo too: the canary routes then answer 503 (no repository), not 404.
    // The canary API and the extra routes (the dashboard) share one opened repository (one
    // clone, one lease).
    const prometheus = envOr(s('prometheus'), 'AGENT_CANARY_PROMETHEUS_URL');
    const autopilotEvery = dur('autopilot-interval', s('autopilot-interval'));
    if (values.autopilot && !repo)
      throw new UsageError(
        '--autopilot needs --repo PATH|URL (AGENT_CANARY_REPO): the repository it walks',
      );
    if (values.autopilot && !extras.startAutopilot)
      throw new UsageError(
        '--autopilot is not available in this build (run through agent-canary gate)',
      );
    const access = gitopsAccess({
      repo,
      onError: (err) => logger.error('gitops repository cannot be opened', { error: err }),
    });
    const routes = ({ engine }: { engine: QualityEngine }): Route[] => [
      ...gitopsRoutes({
        access,
        token: apiToken,
        ...(extras.guard ? { guard: extras.guard(() => engine, prometheus) } : {}),
      }),
      ...(extras.routes?.({ engine, access }) ?? []),
    ];
    const gate = await startGateServer({
      host: s('host') ?? '127.0.0.1',
      port,
      token,
      secret,
      defaults,
      routes,
      logger,
      stateFile: envOr(s('state-file'), 'AGENT_CANARY_GATE_STATE'),
      mlflow: {
        uri: envOr(s('mlflow'), 'MLFLOW_TRACKING_URI'),
        username: envOr(s('mlflow-username'), 'MLFLOW_TRACKING_USERNAME'),
        password: envOr(s('mlflow-password'), 'MLFLOW_TRACKING_PASSWORD'),
        token: envOr(s('mlflow-token'), 'MLFLOW_TRACKING_TOKEN'),
        workspace: mlflowEnv.workspace,
        tls: mlflowEnv.tls,
        callTimeoutMs: mlflowEnv.callTimeoutMs,
        retries: mlflowEnv.retries,
      },
    });
    const autopilot =
      values.autopilot && extras.startAutopilot && repo
        ? await extras.startAutopilot({
            repo,
            engine: () => gate.engine,
            ...(prometheus !== undefined ? { prometheus } : {}),
            logger: logger.child({ component: 'autopilot' }),
            ...(autopilotEvery !== undefined ? { pollMs: autopilotEvery } : {}),
          })
        : undefined;
    for (const warning of mlflowEnv.warnings) logger.warn(`MLflow setting: ${warning}`);
    if (mlflowEnv.workspace !== undefined && gate.source.kind === 'file') {
      logger.warn(
        `MLflow setting: MLFLOW_WORKSPACE=${mlflowEnv.workspace} is ignored: MLflow's file store (mlruns/) has no workspaces`,
      );
    }
    logger.info('gate listening', {
      url: gate.url,
      webhook: `${gate.url}${WEBHOOK_PATH}`,
      mlflow: { source: gate.source.kind, location: gate.source.location },
      webhookAuth:
        [secret !== undefined ? 'per-agent' : '', token !== undefined ? 'shared' : '']
          .filter(Boolean)
          .join('+') || 'none',
      gitopsApi: repo !== undefined,
      ...(extras.routes ? { dashboard: `${gate.url}/dashboard/` } : {}),
      stateFile: gate.holds.stateFile ?? null,
      defaults: { ...DEFAULTS, ...defaults },
    });
    // Not fatal: MLflow may come up later, and /readyz reports it meanwhile.
    gate.source.ping({ deadline: Date.now() + 2000 }).catch((err: unknown) =>
      logger.warn('MLflow is not readable yet; /readyz answers 503 until it is', {
        mlflow: gate.source.location,
        error: (err as Error).message,
      }),
    );
    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info('shutting down', { signal });
        process.off('SIGINT', onInt);
        process.off('SIGTERM', onTerm);
        resolve();
      };
      const onInt = (): void => stop('SIGINT');
      const onTerm = (): void => stop('SIGTERM');
      process.on('SIGINT', onInt);
      process.on('SIGTERM', onTerm);
    });
    await autopilot?.stop();
    await gate.close();
    return 0;
  } catch (err) {
    // Flags, MLflow variables, policy and settings files: every project error exits with its
    // kind's code (src/errors/kinds.ts).
    if (err instanceof AgentCanaryError) {
      console.error(`agent-canary gate: ${redactCredentials(err.message)}`);
      return err.exitCode;
    }
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE' || e.code === 'EACCES') {
      console.error(
        `agent-canary gate: cannot listen: ${e.message}. Fix: choose another --port or --host.`,
      );
      return 2;
    }
    throw err;
  }
}
