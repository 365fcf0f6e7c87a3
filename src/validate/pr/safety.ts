/**
 * Pull-request checks of what a change does to live traffic, read from the fleet files at base and
 * head (what the author edited) and located there:
 * - `pr-promotion-step`: a manual canary is promoted from a step other than the policy's last;
 * - `pr-step-hold`: a manual weight goes up, or is promoted, before the current step's hold has
 *   elapsed since the commit that set that weight (base history, history.ts); a blue-green
 *   challenger's one step is the switch 0 -> 100, held `switchHold` (src/fleet/planned-steps.ts);
 * - `pr-direct-stable-change`: the stable spec changes without a canary (not as the promotion of
 *   the running challenger), unless the policy sets `allowDirectStableChange: true`.
 * Steps, holds and `allowDirectStableChange` come from the policy at the base revision: a pull
 * request cannot loosen the checks it is judged by (a policy change lands first, on its own).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFleet } from '../../fleet/load.js';
import type { AgentSpec, FleetAgent } from '../../fleet/types.js';
import { DEFAULT_POLICY_SPEC } from '../../policy/defaults.js';
import { durationSeconds } from '../../duration/duration.js';
import { loadPolicies, resolvePolicy } from '../../policy/load.js';
import { plannedSteps } from '../../fleet/planned-steps.js';
import type { Policy, PolicySpec, PolicyStep } from '../../policy/types.js';
import { shownPath } from '../fleet-files.js';
import type { Finding } from '../types.js';
import { weightSetAt } from './history.js';
import { lineOf } from './locate.js';

export interface SafetyInput {
  /** The head working tree (repository root). */
  readonly root: string;
  readonly baseCommit: string;
  /** Fleet folder, relative to the root. */
  readonly fleet: string;
  /** The policies at the base revision and at head (`policiesAt`; undefined: unreadable). */
  readonly basePolicies: ReadonlyMap<string, Policy> | undefined;
  readonly headPolicies: ReadonlyMap<string, Policy> | undefined;
  /** Now, Unix milliseconds (holds are measured up to it). */
  readonly now: number;
  /** The fleet agents at base and head (`fleetAgents`), by id. */
  readonly base: ReadonlyMap<string, FleetAgent>;
  readonly head: ReadonlyMap<string, FleetAgent>;
}

/** The stable fields a promotion or a direct change moves (the challenger's fields + version). */
export const STABLE_FIELDS = [
  'image',
  'modelType',
  'modelId',
  'systemPrompt',
  'skills',
  'tools',
  'version',
] as const;
type StableField = (typeof STABLE_FIELDS)[number];

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export function fleetAgents(dir: string): Map<string, FleetAgent> {
  if (!existsSync(dir)) return new Map();
  try {
    return new Map(checkFleet(dir).agents.map((a) => [a.id, a]));
  } catch {
    return new Map(); // unreadable: the pipeline reports it (fleet-file)
  }
}

/** The policies in `dir`, or undefined when they cannot be read (the pipeline reports that). */
export function policiesAt(dir: string): ReadonlyMap<string, Policy> | undefined {
  try {
    return loadPolicies(dir);
  } catch {
    return undefined;
  }
}

/** The policy in force: the base's (for the base agent), else the head's, else the defaults. */
export function policyInForce(
  base: { policies?: ReadonlyMap<string, Policy>; agent?: FleetAgent },
  head: { policies?: ReadonlyMap<string, Policy>; agent?: FleetAgent },
): PolicySpec {
  for (const side of [base, head]) {
    if (!side.policies || !side.agent) continue;
    try {
      return resolvePolicy(side.policies, side.agent);
    } catch {
      // unresolvable at this side: the pipeline reports it (policy-source)
    }
  }
  return DEFAULT_POLICY_SPEC;
}

/** The version a promotion gives the stable spec (operations.ts `nextVersion`, same rule). */
function promotedVersion(base: AgentSpec): string | undefined {
  if (base.canary?.version !== undefined) return base.canary.version;
  const v = base.version;
  if (v === undefined || v === '') return '2';
  const m = /(\d+)(?!.*\d)/.exec(v);
  return m ? v.slice(0, m.index) + String(Number(m[1]) + 1) + v.slice(m.index + m[1]!.length) : v;
}

/** Whether head is base with its running challenger promoted (and its canary gone). */
export function isPromotion(base: AgentSpec, head: AgentSpec): boolean {
  const c = base.canary;
  if (!c?.enabled || head.canary?.enabled) return false;
  return STABLE_FIELDS.some((k) => {
    const want = k === 'version' ? promotedVersion(base) : c[k];
    return want !== undefined && !same(base[k], want) && same(head[k], want);
  });
}

/** Stable fields that changed and are not the promotion of the base's challenger. */
export function unexplainedStableChanges(base: AgentSpec, head: AgentSpec): StableField[] {
  const promoted = isPromotion(base, head);
  return STABLE_FIELDS.filter((k) => {
    if (same(base[k], head[k])) return false;
    if (!promoted) return true;
    const want = k === 'version' ? promotedVersion(base) : base.canary?.[k];
    return !(want !== undefined && same(head[k], want));
  });
}

const liveWeight = (spec: AgentSpec) => (spec.canary?.enabled ? spec.canary.weight : 0);

function fmt(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${m}m${r}s` : m > 0 ? `${m}m${r}s` : `${r}s`;
}

export async function pullRequestSafety(input: SafetyInput): Promise<Finding[]> {
  const findings: Finding[] = [];
  const { base, head } = input;
  const { basePolicies, headPolicies } = input;
  for (const [id, h] of head) {
    const b = base.get(id);
    if (!b) continue;
    const policy = policyInForce(
      { policies: basePolicies, agent: b },
      { policies: headPolicies, agent: h },
    );
    const file = join(input.root, input.fleet, h.file);
    const at = (path: (string | number)[]) => ({
      file: shownPath(file),
      line: lineOf(file, path),
      path: path.join('.'),
      object: { kind: 'Agent', namespace: h.agent.metadata.namespace, name: h.agent.metadata.name },
    });

    // The stable spec, changed outside a promotion.
    const changed = unexplainedStableChanges(b.agent.spec, h.agent.spec);
    if (changed.length > 0 && policy.allowDirectStableChange !== true) {
      const list = changed
        .map(
          (k) =>
            `${k} ${JSON.stringify(b.agent.spec[k] ?? null)} -> ${JSON.stringify(h.agent.spec[k] ?? null)}`,
        )
        .join('; ');
      findings.push({
        ruleId: 'pr-direct-stable-change',
        severity: 'error',
        ...at(['spec', changed[0]!]),
        message:
          `the stable spec changes without a canary (${list}): ` +
          (h.rollout.mode === 'manual'
            ? 'every user gets it at once'
            : 'Flagger analyses it with no stable version to compare it with'),
        fix: `revert the stable fields and start a canary with them instead (agent-canary canary start ${id} ...), or set allowDirectStableChange: true in policy '${h.rollout.policy}' (in its own pull request)`,
      });
    }

    // Manual weights: a promotion only from the last step, an increase only after the hold.
    if (b.rollout.mode !== 'manual' || h.rollout.mode !== 'manual') continue;
    const from = liveWeight(b.agent.spec);
    const promoted = isPromotion(b.agent.spec, h.agent.spec);
    // The strategy's steps (a blue-green challenger's one step: the switch to 100 %, held switchHold).
    const steps = [...plannedSteps(h, policy)].sort((x, y) => x.weight - y.weight);
    const blueGreen = h.rollout.strategy === 'blue-green';
    const plan = blueGreen
      ? `blue-green: 0 -> switch to 100 after ${steps[0]?.hold ?? '0s'} -> promotion`
      : `${steps.map((s) => s.weight).join(' -> ')} -> 100`;
    let step: PolicyStep | undefined;
    let path: (string | number)[];
    let move: string;
    if (promoted) {
      const last = steps[steps.length - 1];
      path = ['spec', 'version'];
      move = `promotion from ${from}%`;
      if (last && from !== last.weight) {
        const skipped = steps.filter((s) => s.weight > from).map((s) => `${s.weight}%`);
        findings.push({
          ruleId: 'pr-promotion-step',
          severity: 'error',
          ...at(path),
          message: `${move} skips step${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')} (policy '${h.rollout.policy}': ${plan}); a canary is promoted only from the last step`,
          fix: `take the canary through the remaining steps first (next: ${skipped[0]}), or roll it back`,
        });
        continue;
      }
      step = last;
    } else {
      const to = liveWeight(h.agent.spec);
      // A canary step starts above 0; the blue-green switch starts at 0 (its hold: the time at 0 %).
      if (!(to > from && (from > 0 || blueGreen))) continue;
      step = blueGreen ? steps[0] : steps.find((s) => s.weight === from);
      path = ['spec', 'canary', 'weight'];
      move = `weight ${from}% -> ${to}%`;
    }
    const holdMs = step ? durationSeconds(step.hold) * 1000 : 0;
    if (!step || !(holdMs > 0)) continue;
    const repoFile = join(input.fleet, b.file).split('\\').join('/');
    const set = await weightSetAt(input.root, input.baseCommit, repoFile).catch(() => undefined);
    if (!set) {
      findings.push({
        ruleId: 'pr-step-hold',
        severity: 'error',
        ...at(path),
        message: `${move}: cannot tell from the base history when ${repoFile} set weight ${from}%, so the ${step.hold} hold of that step cannot be checked`,
        fix: 'fetch the full history (actions/checkout with fetch-depth: 0) and run the check again',
      });
      continue;
    }
    const elapsed = input.now - set.time;
    if (elapsed >= holdMs) continue;
    findings.push({
      ruleId: 'pr-step-hold',
      severity: 'error',
      ...at(path),
      message: `${move} before the hold of the ${from}% step has elapsed: commit ${set.commit.slice(0, 12)} set ${from}% ${fmt(elapsed)} ago, the step holds ${step.hold} (policy '${h.rollout.policy}'); ${fmt(holdMs - elapsed)} left`,
      fix: `keep the weight at ${from}% until ${new Date(set.time + holdMs).toISOString()}, then run the check again`,
    });
  }
  return findings;
}
