/**
 * The demo's autopilot act: two fresh manual canaries, walked by the autopilot (src/autopilot/)
 * over the demo's GitOps repository with the gate's own MLflow engine:
 *
 * - `good`: a challenger whose evaluation holds up, walked 5 -> 10 -> 25 -> 50 -> promoted, each
 *   step only once its hold is over (measured from the commit that set the weight);
 * - `bad`: a challenger whose evaluation regresses, failing one check per analysis interval and
 *   rolled back at the policy's `analysis.threshold`.
 *
 * Time is the autopilot's injected clock: between passes the demo moves it to the moment the
 * next hold (or check interval) ends, which the pass itself reports (`until`), so the policy's
 * real holds (5 to 20 minutes) are respected without sleeping. The autopilot dates its commits
 * with that clock, so the history shows the holds as they would pass.
 *
 * Traffic checks need a Prometheus serving the agents' metrics: without one (`--prometheus` /
 * AGENT_CANARY_PROMETHEUS_URL) the MLflow gate decides alone, and the output says so.
 */
import { Assessor } from '../autopilot/assess.js';
import { Autopilot, type PassReport } from '../autopilot/autopilot.js';
import { durationMs } from '../autopilot/decide.js';
import { QualityJudge } from '../autopilot/quality.js';
import { TrafficChecker } from '../autopilot/traffic.js';
import type { QualityEngine } from '../gate/engine.js';
import type { CanaryConfig, GitOps } from '../gitops/operations.js';
import type { Story } from './story.js';

export interface AutopilotCast {
  readonly namespace: string;
  readonly name: string;
  /** The challenger to start (its evaluation is in MLflow). */
  readonly config: CanaryConfig;
}

export interface AutopilotStoryOptions {
  readonly gitops: GitOps;
  readonly engine: QualityEngine;
  /** The policy's traffic checks against this Prometheus; undefined: MLflow gate only. */
  readonly prometheus?: string;
  readonly good: AutopilotCast;
  readonly bad: AutopilotCast;
  /** The policy both agents follow (steps and threshold, for the expectations). */
  readonly steps: readonly { readonly weight: number; readonly hold: string }[];
  readonly threshold: number;
}

const DECIDED_BY = 'autopilot (demo)';
const EVIDENCE_KEYS = [
  'Agent-Canary-Decided-By',
  'Agent-Canary-Hold',
  'Agent-Canary-Verdict',
  'Agent-Canary-Scores',
  'Agent-Canary-Checks',
  'Agent-Canary-Failed-Checks',
];

interface Logged {
  readonly sha: string;
  readonly at: number;
  readonly trailers: Record<string, string>;
  readonly files: readonly string[];
}

function minutes(ms: number): string {
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}

/** The commits since `since` (exclusive), oldest first, with their trailers and files. */
async function commitsSince(gitops: GitOps, since: string): Promise<Logged[]> {
  const raw = await gitops.repo.git.raw([
    'log',
    '--reverse',
    '--no-renames',
    '--name-only',
    '--format=%x1e%H%x1f%at%x1f%(trailers:only,unfold)%x1f',
    `${since}..HEAD`,
  ]);
  return raw
    .split('\x1e')
    .filter((r) => r.trim())
    .map((r) => {
      const [sha, at, tr, files] = r.split('\x1f') as [string, string, string, string?];
      const trailers: Record<string, string> = {};
      for (const line of tr.split('\n')) {
        const m = /^([A-Za-z0-9-]+): (.*)$/.exec(line);
        if (m) trailers[m[1]!] = m[2]!;
      }
      return {
        sha,
        at: Number(at) * 1000,
        trailers,
        files: (files ?? '').split('\n').filter(Boolean),
      };
    });
}

function event(c: Logged): string {
  const t = c.trailers;
  return `${t['Agent-Canary-Event']} ${t['Agent-Canary-Weight-From']}->${t['Agent-Canary-Weight-To']}`;
}

/** Runs the act; every expectation goes through `story`. */
export async function autopilotStory(story: Story, o: AutopilotStoryOptions): Promise<void> {
  const { gitops } = o;
  const ids = [o.good, o.bad].map((c) => `${c.namespace}/${c.name}`);
  const [goodId, badId] = ids as [string, string];
  console.log(
    o.prometheus
      ? `  traffic checks: the policy's PromQL against ${o.prometheus}`
      : '  traffic checks: none (no Prometheus address configured: --prometheus URL or AGENT_CANARY_PROMETHEUS_URL); the MLflow quality gate decides alone',
  );
  const base = (await gitops.repo.git.raw(['rev-parse', 'HEAD'])).trim();
  for (const c of [o.good, o.bad]) {
    const started = await gitops.start({ namespace: c.namespace, name: c.name }, c.config, {
      actor: 'demo',
    });
    story.expect(
      started.changed && started.weightTo === o.steps[0]!.weight,
      `canary start ${c.namespace}/${c.name}: ${started.detail} (commit ${started.commit?.slice(0, 12) ?? 'none'})`,
    );
  }

  // The autopilot's clock: the real time now, then moved by hand to the end of each hold.
  const startedAt = Date.now();
  let now = startedAt;
  const autopilot = new Autopilot({
    gitops,
    assessor: new Assessor({
      judge: new QualityJudge(o.engine),
      traffic: new TrafficChecker(o.prometheus ? { url: o.prometheus } : { disabled: 'skip' }),
      clock: () => now,
    }),
    decidedBy: DECIDED_BY,
  });
  let waits = 0;
  let report: PassReport | undefined;
  // Enough passes for 4 steps, the threshold's checks and a wait before each; more is a loop.
  const budget = 3 * (o.steps.length + o.threshold) + 4;
  for (let pass = 0; pass < budget; pass++) {
    report = await autopilot.pass();
    if (report.canaries === 0) break;
    for (const e of report.entries) {
      if (!e.commit) continue;
      console.log(`  [clock +${minutes(now - startedAt)}] ${e.agentId}: ${e.detail}`);
      const evidence = (e.trailers ?? []).filter(([k]) => EVIDENCE_KEYS.includes(k));
      for (const [k, v] of evidence) console.log(`      ${k}: ${v}`);
    }
    if (report.commits > 0) continue;
    const untils = report.entries.flatMap((e) => (e.until !== undefined ? [e.until] : []));
    if (untils.length === 0) break; // waiting for evidence, not for time: the demo cannot help
    const next = Math.min(...untils);
    waits++;
    const reasons = report.entries.filter((e) => e.action === 'wait').map((e) => e.detail);
    console.log(
      `  [clock +${minutes(now - startedAt)}] nothing is due (${reasons.join('; ')}); the clock moves to +${minutes(next - startedAt)}`,
    );
    now = Math.max(now, next);
  }
  story.expect(
    report?.canaries === 0,
    `the autopilot settled both canaries in simulated ${minutes(now - startedAt)} (${waits} waits for holds and check intervals, no sleeping)`,
  );

  // What Git holds: read back, not what the loop says it did.
  const log = await commitsSince(gitops, base);
  const of = (id: string): Logged[] => log.filter((c) => c.trailers['Agent-Canary-Agent'] === id);
  const good = of(goodId);
  const walk = good.map(event);
  const expectedWalk = [
    `AgentCanaryStarted 0->${o.steps[0]!.weight}`,
    ...o.steps
      .slice(1)
      .map((s, i) => `AgentCanaryWeightChanged ${o.steps[i]!.weight}->${s.weight}`),
    `AgentCanaryPromoted ${o.steps.at(-1)!.weight}->100`,
  ];
  story.expect(
    JSON.stringify(walk) === JSON.stringify(expectedWalk),
    `${goodId} walked ${walk.map((w) => w.split(' ')[1]).join(', ')} (expected ${expectedWalk.map((w) => w.split(' ')[1]).join(', ')})`,
  );
  const held = good.slice(1).map((c, i) => {
    const hold = durationMs(o.steps[i]?.hold ?? '0s');
    return {
      ok: c.at - good[i]!.at >= hold,
      text: `${minutes(c.at - good[i]!.at)} >= ${o.steps[i]?.hold}`,
    };
  });
  story.expect(
    held.length === o.steps.length && held.every((h) => h.ok),
    `each step came only after its hold (time since the commit that set the weight: ${held.map((h) => h.text).join(', ')})`,
  );
  const byAutopilot = good.slice(1);
  story.expect(
    byAutopilot.every(
      (c) =>
        c.trailers['Agent-Canary-Decided-By'] === DECIDED_BY &&
        c.trailers['Agent-Canary-Verdict'] === 'pass' &&
        (c.trailers['Agent-Canary-Scores'] ?? '').length > 0 &&
        /^\S+ at \d+%, held /.test(c.trailers['Agent-Canary-Hold'] ?? ''),
    ),
    `every step of ${goodId} records its evidence (decided by, hold, verdict pass, scores)`,
  );
  const bad = of(badId);
  const badEvents = bad.map(event);
  const w = o.steps[0]!.weight;
  const expectedBad = [
    `AgentCanaryStarted 0->${w}`,
    ...Array.from({ length: o.threshold - 1 }, () => `AgentCanaryCheckFailed ${w}->${w}`),
    `AgentCanaryRolledBack ${w}->0`,
  ];
  story.expect(
    JSON.stringify(badEvents) === JSON.stringify(expectedBad),
    `${badId}: ${badEvents.length - 2} failed checks recorded, then rolled back at ${o.threshold}/${o.threshold} (${badEvents.map((e) => e.split(' ')[0]!.replace('AgentCanary', '')).join(', ')})`,
  );
  const last = bad.at(-1);
  story.expect(
    last?.trailers['Agent-Canary-Verdict'] === 'fail' &&
      last.trailers['Agent-Canary-Failed-Checks'] === `${o.threshold}/${o.threshold}` &&
      / FAIL/.test(last.trailers['Agent-Canary-Scores'] ?? ''),
    `the rollback of ${badId} records the failing verdict and scores (${last?.trailers['Agent-Canary-Scores'] ?? 'none'})`,
  );
  story.expect(
    bad.slice(1, -1).every((c) => c.files.length === 0),
    'each failed check is an empty commit carrying only its evidence',
  );
}
