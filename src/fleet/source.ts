/**
 * Where a loaded agent came from. Kept beside the `FleetAgent` (not in it) so the contract type
 * stays plain data; the policy resolver uses it to point errors in `rollout.overrides` at the
 * fleet file's lines.
 */
import type { YamlSource } from '../errors.js';
import type { FleetAgent } from './types.js';

const sources = new WeakMap<FleetAgent, YamlSource>();

export function rememberSource(agent: FleetAgent, source: YamlSource): void {
  sources.set(agent, source);
}

/** The parsed fleet file of an agent loaded by `src/fleet/load.ts`; undefined for agents built in code. */
export function sourceOf(agent: FleetAgent): YamlSource | undefined {
  return sources.get(agent);
}
