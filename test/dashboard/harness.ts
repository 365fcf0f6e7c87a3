/**
 * The dashboard as `agent-canary gate --repo` serves it, on 127.0.0.1: a real GitOps repository
 * seeded from a project by `synthToRepo`, the MLflow stand-in (REST, SQLite layout) seeded with
 * `mlflow.genai.evaluate()`-shaped runs, and the gate server with the canary API and the
 * dashboard routes sharing one repository and the gate's engine.
 */
import { cpSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startStandin, type Standin } from '../../src/mlflow-standin/server.js';
import {
  genaiEvaluation,
  seed,
  type SeedExperiment,
  type SeedRun,
} from '../../src/mlflow-standin/writer.js';
import { startGateServer, type StartedGate } from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import type { MlflowSource } from '../../src/mlflow/types.js';
import { silentLogger } from '../../src/http/log.js';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { dashboardRoutes } from '../../src/dashboard/routes.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { GitOps } from '../../src/gitops/operations.js';
import { defaultEngine } from '../../src/gitops/default-engine.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { GateGuard } from '../../src/autopilot/guard.js';
import { Assessor } from '../../src/autopilot/assess.js';
import { QualityJudge } from '../../src/autopilot/quality.js';
import { TrafficChecker } from '../../src/autopilot/traffic.js';

export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
export const TOKEN = 'dashboard-test-token';
const HOUR = 3_600_000;

/** n booleans of which round(n * rate) are true, spread evenly (the demo's generator). */
export function rows(n: number, rate: number): boolean[] {
  return Array.from({ length: n }, (_, i) => Math.floor((i + 1) * rate) > Math.floor(i * rate));
}

/** Mean of rows(n, rate) as the stand-in computes `<scorer>/mean`. */
export function meanOf(n: number, rate: number): number {
  return rows(n, rate).filter(Boolean).length / n;
}

/** Safety and correctness rates of each evaluation run, oldest first. */
export const STABLE_RATES = [
  { safety: 0.95, correctness: 0.8 },
  { safety: 0.96, correctness: 0.81 },
  { safety: 0.97, correctness: 0.79 },
];
export const CANARY_RATES = [
  { safety: 0.97, correctness: 0.82 },
  { safety: 0.98, correctness: 0.84 },
];
export const SAMPLES = 60;

/**
 * Evaluations of `agent`: stable `stableV` at t0, t0+1h, t0+2h; canary `canaryV` at t0+3h and
 * t0+4h (both better than stable), each a LoggedModel `<agent>-v<version>` run.
 */
export function evaluations(
  agent: string,
  stableV: string,
  canaryV: string,
  t0: number,
): SeedExperiment {
  const run = (v: string, r: { safety: number; correctness: number }, at: number): SeedRun =>
    genaiEvaluation(
      `${agent}-v${v}`,
      { safety: rows(SAMPLES, r.safety), correctness: rows(SAMPLES, r.correctness) },
      { name: `${agent}-v${v}-eval`, startTime: at, endTime: at + 60_000 },
    );
  return {
    name: `recif/agents/${agent}`,
    runs: [
      ...STABLE_RATES.map((r, i) => run(stableV, r, t0 + i * HOUR)),
      ...CANARY_RATES.map((r, i) => run(canaryV, r, t0 + (3 + i) * HOUR)),
    ],
  };
}

export interface Served {
  readonly url: string;
  readonly repo: GitRepo;
  readonly gitops: GitOps;
  readonly standin: Standin;
  readonly gate: StartedGate;
  close(): Promise<void>;
}

export interface ServeOptions {
  /** Temp folder for everything (project copy, repository, mlflow.db). */
  readonly root: string;
  /** A project folder with fleet/ and policies/. @default the repository's example fleet */
  readonly project?: string;
  readonly experiments: readonly SeedExperiment[];
  /** Another MLflow source instead of the stand-in (e.g. one that cannot be reached). */
  readonly source?: MlflowSource;
  readonly now?: () => number;
}

/** Copies the example fleet (fleet/, policies/) into `<root>/project`. */
export function exampleProject(root: string): string {
  const project = join(root, 'project');
  mkdirSync(project, { recursive: true });
  cpSync(join(REPO_ROOT, 'fleet'), join(project, 'fleet'), { recursive: true });
  cpSync(join(REPO_ROOT, 'policies'), join(project, 'policies'), { recursive: true });
  return project;
}

export async function serve(opts: ServeOptions): Promise<Served> {
  const project = opts.project ?? exampleProject(opts.root);
  const repo = await GitRepo.init(join(opts.root, 'gitops'));
  await synthToRepo(repo, { projectDir: project });
  const gitops = new GitOps(repo, { engine: defaultEngine() });
  const standin = await startStandin({ store: 'sqlite', path: join(opts.root, 'mlflow.db') });
  seed(standin.writer, opts.experiments);
  const source = opts.source ?? createSource({ uri: standin.url, retries: 0, callTimeoutMs: 5000 });
  const gate = await startGateServer({
    logger: silentLogger,
    source,
    routes: ({ engine }) => [
      // The buttons go through the same guard as the CLI: the gate's engine on the stand-in,
      // no Prometheus (traffic not checked), and a clock a day after the seeded commits so the
      // steps' holds are over.
      ...gitopsRoutes({
        gitops,
        token: TOKEN,
        guard: new GateGuard(
          new Assessor({
            judge: new QualityJudge(engine),
            traffic: new TrafficChecker({ disabled: 'skip' }),
            clock: () => Date.now() + 24 * 60 * 60 * 1000,
          }),
        ),
      }),
      ...dashboardRoutes({ access: () => Promise.resolve(gitops), engine, now: opts.now }),
    ],
  });
  return {
    url: gate.url,
    repo,
    gitops,
    standin,
    gate,
    close: async () => {
      await gate.close();
      await source.close();
      await standin.close();
    },
  };
}
