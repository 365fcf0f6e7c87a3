/**
 * The AI Radar of one agent (`GET /api/v1/radar/{agent}`): how its canary is doing.
 *
 * - scores: every FINISHED evaluation of the canary version and of the stable version in MLflow,
 *   per metric the gate judges, over time, with the metric's threshold and direction;
 * - verdict: the gate's verdict on the running canary now (the engine Flagger's webhook uses);
 * - verdicts: the verdicts recorded in Git (trailers of the autopilot's and guarded operations'
 *   commits), with their evidence;
 * - weights and timeline: the weight after each event and every commit about the agent (who moved
 *   what, when, with which trailers), from the Git history.
 *
 * Read from Git and MLflow only.
 */
import type { FleetAgent } from '../fleet/types.js';
import type { PolicySpec } from '../policy/types.js';
import type { QualityEngine } from '../gate/engine.js';
import { EvaluationFinder } from '../gate/evaluation.js';
import { defaultJudgedKeys, resolveMetric } from '../gate/metric-names.js';
import { directionOf, type QualitySettings } from '../gate/settings.js';
import type { Verdict } from '../gate/verdict.js';
import type { HistoryCommit } from '../gitops/history.js';
import { GitOpsError } from '../gitops/errors.js';
import type { FleetSnapshot } from './fleet-state.js';
import { settingsFor } from './gate-settings.js';
import { checkedVerdict, readingMlflow } from './mlflow.js';

/** Time the dashboard gives MLflow for one answer. */
export const MLFLOW_BUDGET_MS = 5000;
/** Newest commits of an agent shown in its timeline. */
export const TIMELINE_LIMIT = 200;

export interface ScorePoint {
  /** Run start time, ms since the epoch. */
  readonly t: number;
  readonly value: number;
  readonly run: string;
}

export interface ScoreSeries {
  /** The metric as the policy names it (or as MLflow wrote it when every metric is judged). */
  readonly metric: string;
  readonly direction: 'higher' | 'lower';
  /** Absolute bar, when the metric has one. */
  readonly threshold: number | null;
  readonly canary: readonly ScorePoint[];
  readonly stable: readonly ScorePoint[];
}

export interface TimelineEntry {
  readonly sha: string;
  readonly at: number;
  readonly author: string;
  readonly subject: string;
  readonly event: string | null;
  readonly weight_from: number | null;
  readonly weight_to: number | null;
  /** Every `Agent-Canary-*` trailer, prefix dropped, key lower-cased. */
  readonly trailers: Readonly<Record<string, string>>;
}

export interface WeightPoint {
  readonly t: number;
  readonly weight: number;
  readonly sha: string | null;
}

export interface RadarContext {
  readonly snapshot: FleetSnapshot;
  /** `namespace/name`, resolved. */
  readonly id: string;
  readonly engine: QualityEngine;
  readonly now: number;
}

/** The agent and its policy, or a 409 saying why the dashboard cannot read them. */
export function agentAndPolicy(
  snapshot: FleetSnapshot,
  id: string,
): { agent: FleetAgent; spec: PolicySpec } {
  const agent = snapshot.agents.get(id);
  const spec = snapshot.policyOf(id);
  if (!agent || !spec) {
    const row = snapshot.rows.find((r) => r.id === id);
    throw new GitOpsError(
      'conflict',
      `${id}: its fleet file or policy cannot be read, so nothing can be judged: ${row?.error ?? 'unknown error'}`,
    );
  }
  return { agent, spec };
}

/** Commits about the agent, newest first: its events and every commit that changed its file. */
export function commitsOf(snapshot: FleetSnapshot, agent: FleetAgent): HistoryCommit[] {
  return snapshot.history.commits.filter(
    (c) => (c.agent ?? c.trailers['agent']) === agent.id || c.fleetFiles.includes(agent.file),
  );
}

export function timelineOf(commits: readonly HistoryCommit[]): TimelineEntry[] {
  return commits.slice(0, TIMELINE_LIMIT).map((c) => ({
    sha: c.sha,
    at: c.at,
    author: c.author,
    subject: c.subject,
    event: c.event ?? c.trailers['event'] ?? null,
    weight_from: c.weightFrom ?? null,
    weight_to: c.weightTo ?? null,
    trailers: c.trailers,
  }));
}

/**
 * The canary weight over time: the weight before the first event, then the weight after each
 * event, then the current weight now (a step plot reads it as held between points).
 */
export function weightsOf(
  commits: readonly HistoryCommit[],
  current: number,
  now: number,
): WeightPoint[] {
  const events = commits.filter((c) => c.event !== undefined && c.weightTo !== undefined).reverse();
  const out: WeightPoint[] = [];
  const first = events[0];
  const firstCommit = commits[commits.length - 1];
  // Ordered by history, not by time: commit times have one-second resolution, and the seeding
  // commit and the first move often share a second.
  if (first && firstCommit && firstCommit.sha !== first.sha)
    out.push({ t: firstCommit.at, weight: first.weightFrom ?? 0, sha: firstCommit.sha });
  for (const e of events) {
    // Promotion sends all traffic to the new stable: the canary's share drops to 0 after it.
    const w = e.event === 'AgentCanaryPromoted' ? 0 : e.weightTo!;
    if (e.event === 'AgentCanaryPromoted') out.push({ t: e.at, weight: 100, sha: e.sha });
    out.push({ t: e.at, weight: w, sha: e.sha });
  }
  if (out.length === 0 && firstCommit)
    out.push({ t: firstCommit.at, weight: current, sha: firstCommit.sha });
  out.push({ t: Math.max(now, out[out.length - 1]?.t ?? now), weight: current, sha: null });
  return out;
}

/** Which metrics the gate judges: the policy's list, else every mean score MLflow holds. */
function judgedMetrics(
  s: QualitySettings,
  keys: ReadonlySet<string>,
): {
  metric: string;
  key: string | undefined;
  direction: 'higher' | 'lower';
  threshold: number | null;
}[] {
  if (s.metrics.length > 0) {
    return s.metrics.map((m) => ({
      metric: m.key,
      key: resolveMetric(m.key, keys),
      direction: directionOf(m),
      threshold: m.threshold ?? null,
    }));
  }
  return defaultJudgedKeys(keys, s.samplesKey).map((k) => ({
    metric: k,
    key: k,
    direction: directionOf({ key: k }),
    threshold: s.passThreshold,
  }));
}

interface Evaluated {
  readonly run: { readonly info: { readonly run_id: string; readonly start_time?: number } };
  readonly metrics: ReadonlyMap<string, number>;
}

function points(evals: readonly Evaluated[], key: string | undefined): ScorePoint[] {
  if (key === undefined) return [];
  const out: ScorePoint[] = [];
  for (const e of evals) {
    const v = e.metrics.get(key);
    if (v === undefined || !Number.isFinite(v)) continue;
    out.push({ t: e.run.info.start_time ?? 0, value: v, run: e.run.info.run_id });
  }
  return out.sort((a, b) => a.t - b.t);
}

/** The score series of the canary and stable versions, read from MLflow (503 when it cannot be). */
export async function scoresOf(
  engine: QualityEngine,
  s: QualitySettings,
  deadline: number,
): Promise<{ series: ScoreSeries[]; notes: string[] }> {
  const source = engine.source;
  return readingMlflow(source.location, async () => {
    const exp = await source.getExperimentByName(s.experiment, { deadline });
    if (!exp)
      return {
        series: [],
        notes: [`MLflow has no experiment '${s.experiment}': no evaluation was logged yet`],
      };
    const finder = new EvaluationFinder(source, { deadline });
    const separate = s.canaryVersion !== undefined && s.canaryVersion !== s.stableVersion;
    const [canary, stable] = await Promise.all([
      separate ? finder.evaluationsOf(exp.experiment_id, s, s.canaryVersion!) : [],
      s.stableVersion !== undefined
        ? finder.evaluationsOf(exp.experiment_id, s, s.stableVersion)
        : [],
    ]);
    const keys = new Set<string>();
    for (const e of [...canary, ...stable]) for (const k of e.metrics.keys()) keys.add(k);
    const notes: string[] = [];
    if (canary.length === 0 && separate)
      notes.push(
        `no FINISHED evaluation of canary version ${s.canaryVersion} in '${s.experiment}'`,
      );
    if (stable.length === 0 && s.stableVersion !== undefined)
      notes.push(
        `no FINISHED evaluation of stable version ${s.stableVersion} in '${s.experiment}'`,
      );
    const series = judgedMetrics(s, keys).map((m) => ({
      metric: m.metric,
      direction: m.direction,
      threshold: m.threshold,
      canary: points(canary, m.key),
      stable: points(stable, m.key),
    }));
    return { series, notes };
  });
}

/** The gate's verdict on the running canary now (503 when MLflow cannot be read). */
export async function liveVerdict(
  engine: QualityEngine,
  agent: FleetAgent,
  s: QualitySettings,
): Promise<Verdict> {
  const { verdict } = await engine.judge(
    { name: agent.agent.metadata.name, namespace: agent.agent.metadata.namespace },
    s,
  );
  return checkedVerdict(verdict, engine.source.location);
}

export async function radar(ctx: RadarContext): Promise<Record<string, unknown>> {
  const { snapshot, id, engine, now } = ctx;
  const { agent, spec } = agentAndPolicy(snapshot, id);
  const canary = agent.agent.spec.canary ?? undefined;
  const enabled = canary?.enabled === true;
  const weight = enabled ? canary!.weight : 0;
  const s = settingsFor(agent, spec);
  const deadline = now + MLFLOW_BUDGET_MS;
  const [scores, verdict] = await Promise.all([
    scoresOf(engine, s, deadline),
    enabled ? liveVerdict(engine, agent, s) : Promise.resolve(null),
  ]);
  const commits = commitsOf(snapshot, agent);
  const recorded = commits
    .filter((c) => Object.keys(c.trailers).some((k) => k === 'verdict' || k.endsWith('-verdict')))
    .map((c) => ({ sha: c.sha, at: c.at, subject: c.subject, trailers: c.trailers }));
  return {
    agent_id: agent.id,
    mode: agent.rollout.mode,
    enabled,
    weight,
    stable_version: agent.agent.spec.version ?? null,
    canary_version: canary?.version ?? null,
    head: snapshot.head ?? null,
    policy: {
      name: agent.rollout.policy,
      steps: spec.steps.map((st) => ({ weight: st.weight, hold: st.hold })),
      gate: {
        mode: s.mode,
        experiment: s.experiment,
        pass_threshold: s.passThreshold,
        max_regression: s.maxRegression,
        regression: s.regression,
        min_samples: s.minSamples,
      },
    },
    scores: scores.series,
    verdict,
    verdicts: recorded,
    weights: weightsOf(commits, weight, now),
    timeline: timelineOf(commits),
    notes: scores.notes,
  };
}
