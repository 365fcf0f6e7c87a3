/**
 * One rollout mode per agent. Flagger generates `<slug>-canary` Services and owns the
 * VirtualService/HTTPRoute `<slug>`; the manual mode emits objects with exactly those names. The
 * claims are kept per construct tree (the App root), so two constructs of different modes for
 * the same agent anywhere in one synthesis are refused at construction time, naming both.
 */
import { Node, type IConstruct } from 'constructs';
import { ConstructInputError } from './_errors.js';
import type { RolloutMode } from '../src/fleet/types.js';

const claims = new WeakMap<IConstruct, Map<string, { mode: RolloutMode; path: string }>>();

/** Thrown when one agent is given both rollout modes. */
export class RolloutModeConflictError extends ConstructInputError {
  constructor(
    readonly agentId: string,
    readonly first: { mode: RolloutMode; path: string },
    readonly second: { mode: RolloutMode; path: string },
  ) {
    super(
      `agent ${agentId}: rollout mode '${second.mode}' (${second.path}) conflicts with mode '${first.mode}' (${first.path}); ` +
        `an agent has exactly one mode (allowed: progressive or manual) because Flagger generates the <slug>-canary Service and ` +
        `the <slug> VirtualService/HTTPRoute that manual mode writes. Fix: keep one of them (rollout.mode in the fleet file).`,
    );
  }
}

/** Records that `scope` emits `mode` objects for agent `namespace/name`; throws on a conflict. */
export function claimRolloutMode(
  scope: IConstruct,
  namespace: string,
  name: string,
  mode: RolloutMode,
): void {
  const root = Node.of(scope).root;
  let m = claims.get(root);
  if (!m) claims.set(root, (m = new Map()));
  const id = `${namespace}/${name}`;
  const path = Node.of(scope).path;
  const prev = m.get(id);
  if (prev && prev.mode !== mode) throw new RolloutModeConflictError(id, prev, { mode, path });
  if (!prev) m.set(id, { mode, path });
}
