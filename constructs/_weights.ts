/**
 * The manual-mode traffic split: the canary share comes from `spec.canary.weight` (Git owns it).
 * No canary, or a disabled one, is "stable 100"; the two weights always sum to 100.
 */
import { ConstructInputError } from './_errors.js';
import type { AgentResource } from '../src/fleet/types.js';

export interface TrafficSplit {
  readonly stable: number;
  /** undefined when there is no enabled canary (the route has one destination). */
  readonly canary?: number;
}

export function trafficSplit(agent: AgentResource): TrafficSplit {
  const c = agent.spec.canary;
  if (!c || !c.enabled) return { stable: 100 };
  const w = c.weight;
  if (!Number.isInteger(w) || w < 0 || w > 100) {
    throw new ConstructInputError(
      `agent ${agent.metadata.namespace}/${agent.metadata.name}: spec.canary.weight must be an integer 0..100 (got ${w}). Fix: set a weight from the policy steps.`,
    );
  }
  return { stable: 100 - w, canary: w };
}
