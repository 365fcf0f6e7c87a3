/**
 * The autopilot's test world: a GitOps repository seeded with manual-mode agents under a policy
 * with short holds, MLflow evaluations in a real `mlflow.db` (the stand-in's writer, the shapes
 * `mlflow.genai.evaluate()` leaves), and an autopilot wired to them with a hand-moved clock.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Assessor } from '../../src/autopilot/assess.js';
import { Autopilot } from '../../src/autopilot/autopilot.js';
import { QualityJudge } from '../../src/autopilot/quality.js';
import { TrafficChecker } from '../../src/autopilot/traffic.js';
import { QualityEngine } from '../../src/gate/engine.js';
import { createSource } from '../../src/mlflow/source.js';
import { defaultEngine } from '../../src/gitops/default-engine.js';
import { GitOps } from '../../src/gitops/operations.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { buildSqliteStore } from '../../src/mlflow-standin/build.js';
import { genaiEvaluation } from '../../src/mlflow-standin/writer.js';
import { fleetFile, type AgentFixture } from '../gitops/fixtures.js';
import { TestPrometheus } from './prometheus.js';

/** Steps 5/10/25/50 holding 1m/2m/3m/4m; two failed checks roll back; errors judged against stable. */
export function policy(holds: readonly string[] = ['1m', '2m', '3m', '4m']): string {
  return `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  steps:
    - { weight: 5, hold: ${holds[0]} }
    - { weight: 10, hold: ${holds[1]} }
    - { weight: 25, hold: ${holds[2]} }
    - { weight: 50, hold: ${holds[3]} }
  analysis: { interval: 1m, threshold: 2 }
  metrics:
    successRate: { min: 90 }
    errorRate: { max: 5 }
    latencyP99: { max: 500 }
    latencyP50: { max: 400 }
    vsPrimary:
      errorRate: { factor: 1.5, floor: 0 }
      latencyP99: { factor: 1.5, marginMs: 50 }
  abort:
    successRate: { min: 80 }
    errorRate: { max: 20 }
    latencyP99: { max: 2000 }
`;
}

/** A project at `<root>/project` and a repository seeded from it at `repoDir`. */
export async function seeded(
  root: string,
  agents: readonly AgentFixture[],
  repoDir: string,
  holds?: readonly string[],
): Promise<GitRepo> {
  const project = join(root, 'project');
  mkdirSync(join(project, 'policies'), { recursive: true });
  writeFileSync(join(project, 'policies', 'default.yaml'), policy(holds));
  for (const a of agents) {
    mkdirSync(join(project, 'fleet', a.namespace), { recursive: true });
    writeFileSync(join(project, 'fleet', a.namespace, `${a.name}.yaml`), fleetFile(a));
  }
  const repo = await GitRepo.init(repoDir);
  await synthToRepo(repo, { projectDir: project });
  return repo;
}

/** n booleans of which round(n * rate) are true, spread evenly. */
function rows(n: number, rate: number): boolean[] {
  return Array.from({ length: n }, (_, i) => Math.floor((i + 1) * rate) > Math.floor(i * rate));
}

/**
 * `mlflow.db` with an evaluation of stable (v3) and canary (v4) per agent (the fixture fleet's
 * versions): a good canary matches stable; a regressing one drops safety from 0.97 to 0.82.
 */
export function mlflowDb(path: string, agents: readonly { name: string; good: boolean }[]): void {
  buildSqliteStore(
    path,
    agents.map((a) => {
      const n = 120;
      const stable = genaiEvaluation(
        `${a.name}-v3`,
        { safety: rows(n, 0.97), correctness: rows(n, 0.8) },
        { name: `${a.name}-v3-eval` },
      );
      const canary = genaiEvaluation(
        `${a.name}-v4`,
        a.good
          ? { safety: rows(n, 0.98), correctness: rows(n, 0.81) }
          : { safety: rows(n, 0.82), correctness: rows(n, 0.88) },
        { name: `${a.name}-v4-eval` },
      );
      return { name: `recif/agents/${a.name}`, runs: [stable, canary] };
    }),
  );
}

export interface Pilot {
  readonly autopilot: Autopilot;
  readonly gitops: GitOps;
}

/** An autopilot on `repo` judging with MLflow at `db` and the test Prometheus, on `clock`. */
export function pilot(
  repo: GitRepo,
  db: string,
  prom: TestPrometheus,
  clock: () => number,
  name = 'autopilot (test)',
  dryRun = false,
): Pilot {
  const gitops = new GitOps(repo, { engine: defaultEngine({ validate: false }) });
  const engine = new QualityEngine({ source: createSource({ uri: `sqlite:///${db}` }) });
  const autopilot = new Autopilot({
    gitops,
    assessor: new Assessor({
      judge: new QualityJudge(engine),
      traffic: new TrafficChecker({ url: prom.url }),
      clock,
    }),
    decidedBy: name,
    dryRun,
  });
  return { autopilot, gitops };
}

export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
}

/** Author time (ms) of a revision (what the autopilot measures holds from). */
export function commitTime(dir: string, rev = 'HEAD'): number {
  return Number(git(dir, 'log', '-1', '--format=%at', rev)) * 1000;
}

/** `event agent from->to` per commit, newest first, from the trailers. */
export function events(dir: string, rev = 'HEAD'): string[] {
  return git(
    dir,
    'log',
    '--format=%(trailers:key=Agent-Canary-Event,valueonly,separator=)|%(trailers:key=Agent-Canary-Agent,valueonly,separator=)|%(trailers:key=Agent-Canary-Weight-From,valueonly,separator=)|%(trailers:key=Agent-Canary-Weight-To,valueonly,separator=)',
    rev,
  )
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [e, a, f, t] = l.split('|');
      return e === 'Synthesized' ? e : `${e} ${a} ${f}->${t}`;
    });
}

/** The trailers of one commit as a map (last value wins). */
export function trailers(dir: string, rev = 'HEAD'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of git(dir, 'log', '-1', '--format=%(trailers:only,unfold)', rev).split('\n')) {
    const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/** The Istio series a check reads for one manual agent, per track. */
export function trackQueries(namespace: string, name: string): string[] {
  return [name, `${name}-canary`].map(
    (w) =>
      `sum(rate(istio_requests_total{destination_workload_namespace="${namespace}",destination_workload="${w}"}[1m]))`,
  );
}

/** How a stand-in agent behaves: its tracks' error rates and whether its evaluation passes. */
export interface AgentBehaviour {
  readonly stable: number;
  readonly canary: number;
  readonly eval: boolean;
}

/** A temp folder, a real Prometheus scraping both tracks of every agent, and their `mlflow.db`. */
export interface World {
  readonly prom: TestPrometheus;
  readonly root: string;
  readonly db: string;
  close(): Promise<void>;
}

/**
 * Starts the world a test file's autopilots run in, and waits until Prometheus has a sample of
 * every track query (so the first decision reads data, not an empty answer).
 */
export async function startWorld(
  prefix: string,
  namespace: string,
  agents: Readonly<Record<string, AgentBehaviour>>,
): Promise<World> {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const prom = new TestPrometheus();
  for (const [name, b] of Object.entries(agents)) {
    prom.stable.set(namespace, name, { errorRate: b.stable, latencyMs: 80 });
    prom.canary.set(namespace, `${name}-canary`, { errorRate: b.canary, latencyMs: 80 });
  }
  const close = async () => {
    await prom.stop();
    rmSync(root, { recursive: true, force: true });
  };
  try {
    await prom.start();
    const db = join(root, 'mlflow.db');
    mlflowDb(
      db,
      Object.entries(agents).map(([name, b]) => ({ name, good: b.eval })),
    );
    await prom.waitFor(Object.keys(agents).flatMap((n) => trackQueries(namespace, n)));
    return { prom, root, db, close };
  } catch (err) {
    await close();
    throw err;
  }
}
