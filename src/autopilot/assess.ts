/**
 * One canary, assessed: its state from the fleet file, its policy and the history (hold start,
 * failed checks), the time decision first, then (only when its time has come) the evidence from
 * the quality gate and Prometheus, and the advance decision (decide.ts). The autopilot's pass and
 * the guard of the manual paths (guard.ts) both call this, so they cannot disagree.
 */
import { join } from 'node:path';
import type { FleetAgent } from '../fleet/types.js';
import type { PolicySpec } from '../policy/types.js';
import { plannedSteps } from '../fleet/planned-steps.js';
import type { Clock } from './clock.js';
import {
  decideAdvance,
  durationMs,
  holdOf,
  timeDecision,
  type AdvanceState,
  type Decision,
  type Evidence,
} from './decide.js';
import type { CanaryHistory } from './history.js';
import type { QualityJudge } from './quality.js';
import type { TrafficChecker } from './traffic.js';

export interface AssessorOptions {
  readonly judge: QualityJudge;
  readonly traffic: TrafficChecker;
  readonly clock: Clock;
}

export interface Assessment {
  readonly agent: FleetAgent;
  readonly policy: PolicySpec;
  readonly state: AdvanceState;
  readonly decision: Decision;
  /** Present when the canary's time had come and the evidence was asked for. */
  readonly evidence?: Evidence;
  readonly history: CanaryHistory;
}

/** `10m at 10%, held 10m3s since 1a2b3c4d5e6f` */
export function holdText(a: Pick<Assessment, 'state' | 'history'>): string {
  const step = holdOf(a.state.weight, a.state.steps);
  const since = a.history.heldSince;
  const held = since ? Math.max(0, Math.floor((a.state.now - since.at) / 1000)) : 0;
  const heldText = held >= 60 ? `${Math.floor(held / 60)}m${held % 60}s` : `${held}s`;
  return `${step?.hold ?? '0s'} at ${a.state.weight}%, held ${heldText}${since ? ` since ${since.sha.slice(0, 12)}` : ''}`;
}

export class Assessor {
  constructor(private readonly opts: AssessorOptions) {}

  get clock(): Clock {
    return this.opts.clock;
  }

  /**
   * The state of a running canary (the fleet file's weight, the policy, the history). The steps
   * are the strategy's (`plannedSteps`): a blue-green challenger's one step is the switch to
   * 100 %, held `switchHold`.
   */
  state(agent: FleetAgent, policy: PolicySpec, history: CanaryHistory): AdvanceState {
    const canary = agent.agent.spec.canary!;
    return {
      agentId: agent.id,
      weight: canary.weight,
      steps: plannedSteps(agent, policy),
      ...(history.heldSince ? { heldSince: history.heldSince.at } : {}),
      now: this.opts.clock(),
      failedChecks: history.failedChecks,
      threshold: policy.analysis.threshold,
      ...(history.lastCheckAt !== undefined ? { lastCheckAt: history.lastCheckAt } : {}),
      intervalMs: durationMs(policy.analysis.interval),
    };
  }

  /**
   * Assesses one canary committed in the work tree `root` (its output below `distDir`). With
   * `evidenceAlways`, the evidence is gathered even while the hold runs (for messages).
   */
  async assess(
    root: string,
    distDir: string,
    agent: FleetAgent,
    policy: PolicySpec,
    history: CanaryHistory,
  ): Promise<Assessment> {
    const state = this.state(agent, policy, history);
    const time = timeDecision(state);
    if (time) return { agent, policy, state, decision: time, history };
    const ns = agent.agent.metadata.namespace;
    const name = agent.agent.metadata.name;
    const [quality, traffic] = await Promise.all([
      this.opts.judge.judge(join(root, distDir, ns, name), ns, name),
      this.opts.traffic.check(agent, policy),
    ]);
    const evidence = { quality, traffic };
    return { agent, policy, state, decision: decideAdvance(state, evidence), evidence, history };
  }
}
