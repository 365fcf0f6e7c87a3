/**
 * The steps a manual agent's traffic moves through under its release strategy, as the advance
 * guard and the autopilot (src/autopilot/) walk them and `validate --base` reviews them: the hold
 * of each step, then the next, then promotion after the last.
 *
 * - canary (and ab, which has no weight moves: only promote and rollback apply): the policy's
 *   steps;
 * - blue-green: one step, the switch to 100 %, held `switchHold`: the challenger waits that long
 *   at 0 % before the switch (from the commit that started it), and as long again with all
 *   traffic before promotion (from the switch commit; stable keeps running meanwhile, so
 *   `canary weight 0` is the way back).
 */
import type { FleetAgent } from './types.js';
import type { PolicySpec, PolicyStep } from '../policy/types.js';

/**
 * The hold before a blue-green switch (0 -> 100): the policy's first step's hold, the time the
 * challenger runs at 0 % being tested before it may take all traffic.
 */
export function switchHold(spec: PolicySpec): string {
  return spec.steps[0]?.hold ?? '0s';
}

export function plannedSteps(agent: FleetAgent, spec: PolicySpec): readonly PolicyStep[] {
  if (agent.rollout.strategy === 'blue-green') return [{ weight: 100, hold: switchHold(spec) }];
  return spec.steps;
}
