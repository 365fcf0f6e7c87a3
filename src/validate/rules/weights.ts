/**
 * Manual-mode weights (Git owns the live weight): the weight must lie on the policy's plan, the
 * route must agree with the Agent, and a change may move only to the next step or back down.
 */
import type { PolicySpec } from '../../policy/types.js';
import type { Resource } from '../types.js';
import { get, kindOf, nameOf, type AgentView, type Rule } from './context.js';
// The annotation the manual routes carry for a strategy other than canary (ab, blue-green).
import { STRATEGY_ANNOTATION } from '../../../constructs/_traffic.js';

export interface WeightChangeVerdict {
  readonly ok: boolean;
  /** The next step up from `fromWeight` (100 = promotion after the last step). */
  readonly nextStep: number;
  readonly message: string;
  readonly fix: string;
}

/**
 * Whether a manual canary weight may move from `fromWeight` to `toWeight` under a policy: to the
 * next step of the plan (after the last step: 100, promotion), to the same weight, or back down to
 * any lower weight (0 stops the canary). Never skipping a step.
 */
export function checkWeightChange(
  policySpec: Pick<PolicySpec, 'steps'>,
  fromWeight: number,
  toWeight: number,
): WeightChangeVerdict {
  const steps = [...new Set(policySpec.steps.map((s) => s.weight))].sort((a, b) => a - b);
  const nextStep = steps.find((w) => w > fromWeight) ?? 100;
  const plan = `${steps.join(' -> ')} -> 100`;
  if (!Number.isFinite(toWeight) || toWeight < 0 || toWeight > 100) {
    return {
      ok: false,
      nextStep,
      message: `weight ${toWeight} is outside 0..100`,
      fix: `set a weight between 0 and 100; the plan is ${plan}`,
    };
  }
  if (toWeight <= fromWeight) {
    return {
      ok: true,
      nextStep,
      message:
        toWeight === fromWeight
          ? `weight stays ${toWeight}`
          : `weight ${fromWeight} -> ${toWeight} (back down)`,
      fix: '',
    };
  }
  if (toWeight === nextStep)
    return {
      ok: true,
      nextStep,
      message: `weight ${fromWeight} -> ${toWeight} (next step)`,
      fix: '',
    };
  const skipped = steps.filter((w) => w > fromWeight && w < toWeight);
  const why = skipped.length
    ? `skips step${skipped.length > 1 ? 's' : ''} ${skipped.join(', ')}`
    : `is not a step of the plan (${plan})`;
  return {
    ok: false,
    nextStep,
    message: `weight ${fromWeight} -> ${toWeight} ${why}; allowed: ${nextStep} (next step)${fromWeight > 0 ? ` or any weight below ${fromWeight} (back down)` : ''}`,
    fix: `set the weight to ${nextStep}, let it hold for the step's time, then raise it again`,
  };
}

/** Where a manual agent's canary weight is written (route and Agent), with its value. */
export interface WeightSite {
  readonly resource: Resource;
  readonly path: (string | number)[];
  readonly weight: number;
}

export { STRATEGY_ANNOTATION };

/** A rule with match conditions (cohorts, session pins) sends a whole track by design; the weight lives in the catch-all rule. */
function hasMatch(rule: unknown, key: 'match' | 'matches'): boolean {
  const m = get(rule, key);
  return Array.isArray(m) && m.length > 0;
}

export function manualWeightSites(agent: AgentView): WeightSite[] {
  const sites: WeightSite[] = [];
  for (const r of agent.resources) {
    const kind = kindOf(r);
    if (kind === 'VirtualService') {
      const http = get(r.object, 'spec', 'http');
      if (!Array.isArray(http)) continue;
      http.forEach((h, i) => {
        const route = get(h, 'route');
        if (!Array.isArray(route) || hasMatch(h, 'match')) return;
        route.forEach((d, j) => {
          if (get(d, 'destination', 'subset') === 'canary')
            sites.push({
              resource: r,
              path: ['spec', 'http', i, 'route', j, 'weight'],
              weight: Number(get(d, 'weight') ?? 0),
            });
        });
      });
    } else if (kind === 'HTTPRoute') {
      const rules = get(r.object, 'spec', 'rules');
      if (!Array.isArray(rules)) continue;
      rules.forEach((rule, i) => {
        const refs = get(rule, 'backendRefs');
        if (!Array.isArray(refs) || hasMatch(rule, 'matches')) return;
        refs.forEach((b, j) => {
          if (get(b, 'name') === `${agent.name}-canary`)
            sites.push({
              resource: r,
              path: ['spec', 'rules', i, 'backendRefs', j, 'weight'],
              weight: Number(get(b, 'weight') ?? 1),
            });
        });
      });
    }
  }
  return sites;
}

/** The agent's manual canary weight: from its Agent resource when canary is enabled, else its route. */
export function manualWeight(agent: AgentView): number | undefined {
  if (agent.canary) return undefined;
  if (agent.agent) {
    const c = get(agent.agent.object, 'spec', 'canary');
    if (c && typeof c === 'object')
      return get(c, 'enabled') === true ? Number(get(c, 'weight') ?? 0) : 0;
    return 0;
  }
  const sites = manualWeightSites(agent);
  return sites.length ? sites[0]!.weight : undefined;
}

export const weightBounds: Rule = {
  id: 'canary-weight-bounds',
  severity: 'error',
  description:
    'Manual canary weight lies in 0..100, on a step of the policy, and every route agrees with the Agent; route weights add up to 100.',
  check(ctx) {
    for (const agent of ctx.agents) {
      if (agent.canary) continue;
      const policy = ctx.policyFor(agent);
      const strategy = agent.resources
        .map((r) => get(r.object, 'metadata', 'annotations', STRATEGY_ANNOTATION))
        .find((v) => typeof v === 'string');
      // A/B reaches the challenger through cohorts only (weight 0); blue-green is a 0/100 switch.
      const steps =
        strategy === 'ab'
          ? [0]
          : strategy === 'blue-green'
            ? [0, 100]
            : policy
              ? [0, ...policy.steps.map((s) => s.weight)]
              : undefined;
      const plan = strategy
        ? `${steps!.join(' or ')} (strategy ${String(strategy)})`
        : steps
          ? `0 (off), ${steps.slice(1).join(', ')}`
          : '0..100';
      const canary = agent.agent ? get(agent.agent.object, 'spec', 'canary') : undefined;
      if (agent.agent && canary && typeof canary === 'object' && get(canary, 'enabled') === true) {
        const w = get(canary, 'weight');
        const path = ['spec', 'canary', 'weight'];
        if (typeof w !== 'number' || w < 0 || w > 100) {
          ctx.report(
            this,
            agent.agent,
            path,
            `canary weight ${JSON.stringify(w)} is outside 0..100`,
            `set spec.canary.weight to a step of the plan: ${plan}`,
          );
        } else if (steps && !steps.includes(w)) {
          ctx.report(
            this,
            agent.agent,
            path,
            `canary weight ${w} is not a step of the rollout ${strategy ? 'strategy' : 'policy'} (allowed: ${plan})`,
            `set spec.canary.weight to one of ${steps.join(', ')}`,
          );
        }
      }
      const expected = manualWeight(agent);
      for (const site of manualWeightSites(agent)) {
        if (expected !== undefined && agent.agent && site.weight !== expected) {
          ctx.report(
            this,
            site.resource,
            site.path,
            `route sends ${site.weight}% to the canary but the Agent's canary weight is ${expected}`,
            'regenerate dist/ (agent-canary synth) instead of editing the route by hand',
          );
        }
      }
      for (const r of agent.resources) checkRouteTotals(ctx, this, r);
    }
  },
};

function checkRouteTotals(ctx: Parameters<Rule['check']>[0], rule: Rule, r: Resource): void {
  const kind = kindOf(r);
  const groups: { path: (string | number)[]; weights: number[] }[] = [];
  if (kind === 'VirtualService') {
    const http = get(r.object, 'spec', 'http');
    if (Array.isArray(http))
      http.forEach((h, i) => {
        const route = get(h, 'route');
        if (Array.isArray(route) && route.length > 1)
          groups.push({
            path: ['spec', 'http', i, 'route'],
            weights: route.map((d) => Number(get(d, 'weight') ?? 0)),
          });
      });
  } else if (kind === 'HTTPRoute') {
    const rules = get(r.object, 'spec', 'rules');
    if (Array.isArray(rules))
      rules.forEach((x, i) => {
        const refs = get(x, 'backendRefs');
        if (Array.isArray(refs) && refs.length > 1)
          groups.push({
            path: ['spec', 'rules', i, 'backendRefs'],
            weights: refs.map((b) => Number(get(b, 'weight') ?? 1)),
          });
      });
  }
  for (const g of groups) {
    const total = g.weights.reduce((a, b) => a + b, 0);
    if (total !== 100)
      ctx.report(
        rule,
        r,
        g.path,
        `weights ${g.weights.join(' + ')} add up to ${total}, not 100 (${kind} ${nameOf(r)})`,
        'make the stable and canary weights add up to 100',
      );
  }
}

export const weightStep: Rule = {
  id: 'manual-weight-step',
  severity: 'error',
  description:
    'In pull-request mode, a manual weight moves only to the next step of the policy or back down, never skipping a step.',
  check(ctx) {
    if (!ctx.baseWeights) return;
    for (const agent of ctx.agents) {
      if (agent.canary) continue;
      const policy = ctx.policyFor(agent);
      const to = manualWeight(agent);
      if (!policy || to === undefined) continue;
      // Blue-green switches 0 <-> 100 and A/B has no weights: not canary steps (canary-weight-bounds
      // checks their allowed weights; pr-step-hold the blue-green switch's hold).
      const strategy = agent.resources
        .map((r) => get(r.object, 'metadata', 'annotations', STRATEGY_ANNOTATION))
        .find((v) => typeof v === 'string');
      if (strategy === 'blue-green' || strategy === 'ab') continue;
      const from = ctx.baseWeights.get(agent.id) ?? 0;
      const verdict = checkWeightChange(policy, from, to);
      if (verdict.ok) continue;
      const at = agent.agent ?? manualWeightSites(agent)[0]?.resource;
      if (!at) continue;
      ctx.report(
        this,
        at,
        agent.agent ? ['spec', 'canary', 'weight'] : manualWeightSites(agent)[0]!.path,
        verdict.message,
        verdict.fix,
      );
    }
  },
};
