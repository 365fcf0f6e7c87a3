/**
 * What the canary operations mean for each release strategy (`rollout.strategy`,
 * docs/gitops.md "Strategies"). The operations (operations.ts) ask this module, per strategy,
 * which weight a start writes and whether a weight move is allowed; promote and rollback are the
 * same for every strategy (the challenger becomes stable / the challenger is removed).
 *
 * | strategy | start | weight | promote / rollback |
 * |---|---|---|---|
 * | canary | the policy's first step (or `--weight`) | the next step or any lower one | as always |
 * | ab | weight 0: only `rollout.cohorts` reach the challenger | refused: no weights (cohorts, promote or rollback instead) | as always |
 * | blue-green, manual | weight 0: deployed and tested without traffic | 100 = the switch (all traffic, stable kept running), 0 = switch back; nothing else | as always |
 * | blue-green, progressive | weight 0 (informational; Flagger runs `iterations`) | refused: Flagger owns the switch | as always |
 *
 * The blue-green switch (0 -> 100) is a weight increase like a canary step: the hold before it
 * is `switchHold` (the policy's first step's hold, the time the challenger runs at 0 %) and the
 * quality gate must pass, checked where every weight increase is checked (`plannedSteps`,
 * src/fleet/planned-steps.ts, which the guard, the autopilot and `validate --base` share).
 */
import type { Cohort, FleetAgent, ReleaseStrategy } from '../fleet/types.js';
import { GitOpsError } from './errors.js';

export function strategyOf(agent: FleetAgent): ReleaseStrategy {
  return agent.rollout.strategy ?? 'canary';
}

function cohortText(cohorts: readonly Cohort[] | undefined): string {
  if (!cohorts?.length) return 'rollout.cohorts';
  return cohorts
    .map((c) => {
      const key = c.header !== undefined ? `header ${c.header}` : `cookie ${c.cookie}`;
      return c.regex !== undefined
        ? `${key} ~ /${c.regex}/`
        : `${key} in [${(c.values ?? []).join(', ')}]`;
    })
    .join(' or ');
}

/** The weight `canary start` writes, and whether it is checked against the policy's steps. */
export function startWeight(
  agent: FleetAgent,
  firstStep: number,
  requested: number | undefined,
): { readonly weight: number; readonly checkSteps: boolean } {
  const strategy = strategyOf(agent);
  if (strategy === 'canary') return { weight: requested ?? firstStep, checkSteps: true };
  if (requested !== undefined && requested !== 0) {
    const why =
      strategy === 'ab'
        ? `an A/B test has no weights: the challenger receives the requests of its cohorts (${cohortText(agent.rollout.cohorts)}) and nobody else`
        : agent.rollout.mode === 'progressive'
          ? `a blue-green release starts without traffic: Flagger tests the challenger for rollout.iterations checks, then switches all traffic`
          : `a blue-green release starts at 0 %: the challenger is deployed and tested without traffic, then 'canary weight ${agent.id} 100' switches all traffic after the hold and the gate`;
    throw new GitOpsError(
      'bad-request',
      `${agent.id} uses strategy ${strategy}: ${why}. Fix: start without a weight (drop --weight / config.weight).`,
      {
        field: 'config.weight',
        value: requested,
        allowed: `none (strategy ${strategy} starts at 0)`,
      },
    );
  }
  return { weight: 0, checkSteps: false };
}

export interface WeightMove {
  /** Check the move against the policy's steps (the canary strategy's rule). */
  readonly checkSteps: boolean;
  /** What the move does, in words; undefined: the canary strategy's own words. */
  readonly detail?: string;
}

/**
 * A manual weight move to `to` under the agent's strategy, or a refusal saying what to do
 * instead. The canary strategy is the operations' own rule (the policy's steps).
 */
export function weightMove(agent: FleetAgent, to: number): WeightMove {
  const strategy = strategyOf(agent);
  if (strategy === 'canary') return { checkSteps: true };
  const progressive = agent.rollout.mode === 'progressive';
  if (strategy === 'ab') {
    throw new GitOpsError(
      'conflict',
      `${agent.id} uses strategy ab: ${
        progressive
          ? `Flagger runs rollout.iterations checks on the requests of the cohorts (${cohortText(agent.rollout.cohorts)})`
          : `only the cohorts (${cohortText(agent.rollout.cohorts)}) reach the challenger, at weight 0`
      }; there is no percentage to set. Fix: change who reaches the challenger by editing rollout.cohorts, give it all traffic with 'canary promote ${agent.id}', or end it with 'canary rollback ${agent.id}'.`,
      { field: 'weight', value: to, allowed: 'no weight with strategy ab (cohorts only)' },
    );
  }
  if (progressive) {
    throw new GitOpsError(
      'conflict',
      `${agent.id} uses strategy blue-green in progressive mode: Flagger tests the challenger for rollout.iterations checks without traffic, then switches all traffic itself; there is no weight to set. Fix: let Flagger switch, or 'canary promote ${agent.id}' / 'canary rollback ${agent.id}'.`,
      { field: 'weight', value: to, allowed: 'no weight with progressive blue-green' },
    );
  }
  if (to !== 0 && to !== 100) {
    throw new GitOpsError(
      'refused',
      `${agent.id} uses strategy blue-green: traffic switches all at once, so the weight is 0 (stable) or 100 (the challenger), never ${to}. Fix: 'canary weight ${agent.id} 100' to switch, 'canary weight ${agent.id} 0' to switch back.`,
      { field: 'weight', value: to, allowed: '0 or 100 (strategy blue-green)' },
    );
  }
  const version = agent.agent.spec.canary?.version ?? '?';
  return {
    checkSteps: false,
    detail:
      to === 100
        ? `blue-green switch: all traffic to the challenger (version ${version}); stable keeps running, so 'canary weight ${agent.id} 0' switches back and 'canary promote ${agent.id}' makes the challenger stable`
        : `blue-green switch back: all traffic to stable; the challenger (version ${version}) stays deployed at 0 %`,
  };
}
