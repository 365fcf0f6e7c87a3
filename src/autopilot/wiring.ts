/**
 * The autopilot's parts put together for the CLI and the gate server: the quality judge on an
 * MLflow source (the gate's `createSource` and `QualityEngine`), the Prometheus checker, the
 * guard of the manual paths, and the loop.
 */
import { QualityEngine } from '../gate/engine.js';
import { readMlflowEnv } from '../mlflow/env.js';
import { createSource } from '../mlflow/source.js';
import type { Logger } from '../http/log.js';
import type { AdvanceGuard } from '../gitops/advance-guard.js';
import { defaultEngine } from '../gitops/default-engine.js';
import { GitOps } from '../gitops/operations.js';
import { isRepoUrl, resolveRepo } from '../gitops/workspace.js';
import { Assessor } from './assess.js';
import { Autopilot, type PassReport } from './autopilot.js';
import { systemClock, type Clock } from './clock.js';
import { GateGuard } from './guard.js';
import { QualityJudge } from './quality.js';
import { TrafficChecker } from './traffic.js';

export interface EvidenceConfig {
  /** MLflow tracking URI; undefined or empty: no MLflow (nothing passes the gate). */
  readonly mlflow?: string;
  /** Prometheus base URL; undefined: see `prometheusFallback`. */
  readonly prometheus?: string;
  /** @default systemClock */
  readonly clock?: Clock;
}

/** The gate's engine on the MLflow of `uri` (credentials and TLS from the MLflow environment). */
export function qualityEngine(uri: string | undefined): QualityEngine | undefined {
  if (!uri) return undefined;
  const env = readMlflowEnv(process.env);
  return new QualityEngine({
    source: createSource({
      uri,
      username: process.env['MLFLOW_TRACKING_USERNAME'],
      password: process.env['MLFLOW_TRACKING_PASSWORD'],
      token: process.env['MLFLOW_TRACKING_TOKEN'],
      workspace: env.workspace,
      tls: env.tls,
      callTimeoutMs: env.callTimeoutMs,
      retries: env.retries,
    }),
  });
}

/**
 * The guard of `canary weight` / `canary promote`: MLflow from `--mlflow` (or the environment),
 * the traffic checks only when a Prometheus is given (a person at a terminal rarely reaches the
 * cluster's; the commit then says "traffic not checked").
 */
export function cliGuard(cfg: EvidenceConfig): AdvanceGuard {
  return new GateGuard(
    new Assessor({
      judge: new QualityJudge(qualityEngine(cfg.mlflow)),
      traffic: new TrafficChecker(cfg.prometheus ? { url: cfg.prometheus } : { disabled: 'skip' }),
      clock: cfg.clock ?? systemClock,
    }),
  );
}

/** The guard of the gate server's canary API: the server's own engine (started later, hence a getter). */
export function serverGuard(
  engine: () => QualityEngine | undefined,
  prometheus?: string,
): AdvanceGuard {
  return new GateGuard(
    new Assessor({
      judge: new QualityJudge(engine),
      traffic: new TrafficChecker(prometheus ? { url: prometheus } : { disabled: 'skip' }),
      clock: systemClock,
    }),
  );
}

export interface LoopConfig {
  /** `--repo PATH|URL`. */
  readonly repo: string;
  readonly projectDir?: string;
  /** The quality engine (the gate server's, or one on `--mlflow`). */
  readonly engine: QualityEngine | (() => QualityEngine | undefined) | undefined;
  /** Prometheus base URL; undefined: each policy's `prometheus`. */
  readonly prometheus?: string;
  readonly logger: Logger;
  readonly pollMs?: number;
  readonly decidedBy?: string;
  readonly dryRun?: boolean;
  readonly validate?: boolean;
  readonly clock?: Clock;
  readonly maxCommits?: number;
}

/** Opens the repository and builds the autopilot on it. */
export async function openAutopilot(cfg: LoopConfig): Promise<Autopilot> {
  const repo = await resolveRepo(cfg.repo, { projectDir: cfg.projectDir ?? process.cwd() });
  const gitops = new GitOps(repo, {
    engine: defaultEngine({ validate: cfg.validate !== false, repoDir: repo.dir }),
  });
  return new Autopilot({
    gitops,
    assessor: new Assessor({
      judge: new QualityJudge(cfg.engine),
      traffic: new TrafficChecker(cfg.prometheus ? { url: cfg.prometheus } : {}),
      clock: cfg.clock ?? systemClock,
    }),
    managedClone: isRepoUrl(cfg.repo),
    logger: cfg.logger,
    ...(cfg.decidedBy !== undefined ? { decidedBy: cfg.decidedBy } : {}),
    ...(cfg.dryRun ? { dryRun: true } : {}),
    ...(cfg.maxCommits !== undefined ? { maxCommits: cfg.maxCommits } : {}),
  });
}

/** The loop inside the gate server: runs until `stop`. */
export async function startAutopilotLoop(
  cfg: LoopConfig & { readonly onPass?: (r: PassReport) => void },
): Promise<{ stop(): Promise<void> }> {
  const autopilot = await openAutopilot(cfg);
  const ctl = new AbortController();
  const done = autopilot.run({
    signal: ctl.signal,
    ...(cfg.pollMs !== undefined ? { pollMs: cfg.pollMs } : {}),
    ...(cfg.onPass ? { onPass: cfg.onPass } : {}),
  });
  return {
    async stop() {
      ctl.abort();
      await done;
    },
  };
}
