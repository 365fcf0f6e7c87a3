/**
 * The governance scorecard of one agent (`GET /api/v1/governance/scorecards/{agent}`): the
 * validator's results for its committed output, the gate's pass rate over the canaries released
 * in a window, the time spent at each step, the rollbacks and promotions, and a grade with the
 * reasons that produced it (grade.ts; rules in docs/dashboard.md).
 *
 * Read from Git (history, fleet file, dist/) and MLflow (through the gate's engine) only.
 */
import { join, relative } from 'node:path';
import type { FleetAgent } from '../fleet/types.js';
import type { Policy, PolicySpec } from '../policy/types.js';
import type { QualityEngine } from '../gate/engine.js';
import { parseDuration } from '../duration/duration.js';
import type { SchemaRegistry } from '../validate/index.js';
import type { HistoryCommit } from '../gitops/history.js';
import type { FleetSnapshot } from './fleet-state.js';
import { settingsFor } from './gate-settings.js';
import { agentAndPolicy, commitsOf, liveVerdict } from './radar.js';
import { grade } from './grade.js';

/** Most releases of one window judged by the gate (newest first). */
export const MAX_RELEASES = 10;

export interface ScorecardContext {
  readonly snapshot: FleetSnapshot;
  readonly id: string;
  readonly engine: QualityEngine;
  readonly repoDir: string;
  readonly distDir: string;
  readonly window: { readonly text: string; readonly ms: number };
  readonly now: number;
  readonly validator: Validator;
}

export interface ValidationResult {
  readonly valid: boolean;
  readonly errors: readonly string[];
  readonly warnings: readonly string[];
}

/**
 * Runs the validator over one agent's output, keeping the result per (HEAD, agent): the output
 * only changes with a commit. The schema registry is compiled once (it is the expensive part).
 */
export class Validator {
  private registry: SchemaRegistry | undefined;
  private readonly results = new Map<string, Promise<ValidationResult>>();

  validate(
    key: string,
    root: string,
    outputDir: string,
    agent: FleetAgent,
    policies: ReadonlyMap<string, Policy>,
  ): Promise<ValidationResult> {
    const hit = this.results.get(key);
    if (hit) return hit;
    const p = this.run(root, outputDir, agent, policies);
    // Bounded: the oldest entries go first.
    if (this.results.size >= 500) this.results.delete(this.results.keys().next().value!);
    this.results.set(key, p);
    p.catch(() => this.results.delete(key));
    return p;
  }

  private async run(
    root: string,
    outputDir: string,
    agent: FleetAgent,
    policies: ReadonlyMap<string, Policy>,
  ): Promise<ValidationResult> {
    // Loaded on first use: the validator's start-up cost is paid only by a scorecard.
    const { SchemaRegistry: Registry, validatePaths } = await import('../validate/index.js');
    this.registry ??= new Registry({});
    const report = await validatePaths([join(root, outputDir)], {
      policies,
      fleet: [agent],
      registry: this.registry,
    });
    const line = (f: (typeof report.findings)[number]): string =>
      `${relative(root, f.file) || f.file}:${f.line}: ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`;
    const errors = report.findings.filter((f) => f.severity === 'error').map(line);
    const warnings = report.findings.filter((f) => f.severity !== 'error').map(line);
    return { valid: errors.length === 0, errors, warnings };
  }
}

/** Time at each weight (ms), from the agent's events, clipped to [from, now]. */
export function timePerStep(
  commits: readonly HistoryCommit[],
  from: number,
  now: number,
): { weight: number; ms: number }[] {
  const events = commits.filter((c) => c.event !== undefined && c.weightTo !== undefined).reverse();
  const total = new Map<number, number>();
  events.forEach((e, i) => {
    const weight = e.event === 'AgentCanaryPromoted' ? 0 : e.weightTo!;
    if (weight <= 0) return;
    const start = Math.max(e.at, from);
    const end = Math.min(events[i + 1]?.at ?? now, now);
    if (end > start) total.set(weight, (total.get(weight) ?? 0) + (end - start));
  });
  return [...total].map(([weight, ms]) => ({ weight, ms })).sort((a, b) => a.weight - b.weight);
}

interface Release {
  readonly canary_version: string;
  readonly stable_version: string | null;
  readonly started_at: number | null;
  readonly sha: string | null;
}

/** Canaries started in the window (newest first, one per version), plus the running one. */
function releasesOf(commits: readonly HistoryCommit[], agent: FleetAgent, from: number): Release[] {
  const out = new Map<string, Release>();
  const canary = agent.agent.spec.canary ?? undefined;
  if (canary?.enabled && canary.version !== undefined) {
    const started = commits.find(
      (c) => c.event === 'AgentCanaryStarted' && c.trailers['canary-version'] === canary.version,
    );
    out.set(canary.version, {
      canary_version: canary.version,
      stable_version: agent.agent.spec.version ?? null,
      started_at: started?.at ?? null,
      sha: started?.sha ?? null,
    });
  }
  for (const c of commits) {
    if (c.event !== 'AgentCanaryStarted' || c.at < from) continue;
    const v = c.trailers['canary-version'];
    if (v === undefined || out.has(v)) continue;
    out.set(v, {
      canary_version: v,
      stable_version: c.trailers['stable-version'] ?? null,
      started_at: c.at,
      sha: c.sha,
    });
  }
  return [...out.values()].slice(0, MAX_RELEASES);
}

function stepHoldMs(spec: PolicySpec, weight: number): number | null {
  const step = spec.steps.find((s) => s.weight === weight);
  return step ? parseDuration(step.hold) : null;
}

export async function scorecard(ctx: ScorecardContext): Promise<Record<string, unknown>> {
  const { snapshot, id, engine, now, window } = ctx;
  const { agent, spec } = agentAndPolicy(snapshot, id);
  const from = now - window.ms;
  const commits = commitsOf(snapshot, agent);
  const inWindow = commits.filter((c) => c.at >= from);
  const promotions = inWindow.filter((c) => c.event === 'AgentCanaryPromoted').length;
  const rollbacks = inWindow.filter((c) => c.event === 'AgentCanaryRolledBack').length;
  const releases = releasesOf(commits, agent, from);
  const [ns, name] = [agent.agent.metadata.namespace, agent.agent.metadata.name];
  const [validation, judged] = await Promise.all([
    ctx.validator.validate(
      `${snapshot.head ?? ''}:${id}`,
      ctx.repoDir,
      join(ctx.distDir, ns, name),
      agent,
      snapshot.policies,
    ),
    Promise.all(
      releases.map(async (r) => {
        const s = settingsFor(agent, spec, {
          canary: r.canary_version,
          ...(r.stable_version !== null ? { stable: r.stable_version } : {}),
        });
        const v = await liveVerdict(engine, agent, s);
        return {
          ...r,
          outcome: v.outcome,
          passed: v.passed,
          message: v.message,
          reasons: v.reasons,
        };
      }),
    ),
  ]);
  const passed = judged.filter((r) => r.passed).length;
  const canary = agent.agent.spec.canary ?? undefined;
  const running = canary?.enabled === true;
  const current = running
    ? (judged.find((r) => r.canary_version === canary!.version)?.outcome ?? null)
    : null;
  const row = snapshot.rows.find((r) => r.id === id);
  const inStepMs = running && row?.step_since != null ? now - row.step_since : null;
  const hold = running ? stepHoldMs(spec, canary!.weight) : null;
  const result = grade({
    violations: validation.errors.length,
    current: current === 'unavailable' ? null : current,
    judged: judged.length,
    passed,
    promotions,
    rollbacks,
    overdueMs: inStepMs !== null && hold !== null ? inStepMs - hold : null,
  });
  return {
    agent_id: agent.id,
    head: snapshot.head ?? null,
    window: { duration: window.text, from, to: now },
    grade: result.grade,
    reasons: result.reasons,
    validation,
    gate: {
      pass_rate: judged.length > 0 ? passed / judged.length : null,
      judged: judged.length,
      passed,
      releases: judged,
    },
    steps: timePerStep(commits, from, now),
    time_in_step_ms: inStepMs,
    promotions,
    rollbacks,
  };
}
