/**
 * Where a loaded agent came from. Kept beside the `FleetAgent` (not in it) so the contract type
 * stays plain data; the policy resolver uses it to point errors in `rollout.overrides` at the
 * fleet file's lines.
 */
import type { Document, LineCounter } from 'yaml';
import { YamlSource } from '../errors.js';
import type { FleetAgent } from './types.js';

const sources = new WeakMap<FleetAgent, YamlSource>();

export function rememberSource(agent: FleetAgent, source: YamlSource): void {
  sources.set(agent, source);
}

/** The parsed fleet file of an agent loaded by `src/fleet/load.ts`; undefined for agents built in code. */
export function sourceOf(agent: FleetAgent): YamlSource | undefined {
  return sources.get(agent);
}

/**
 * A `YamlSource` whose document is parsed (with positions, by the `yaml` package) only when a
 * location is first asked for. Files read by the fast reader carry one: a clean file never needs
 * a line number, so 1,000 clean files pay nothing for positions, while any error or warning
 * still names the exact line (`parse` gives the same document `parseSingleMapping` would).
 */
export class LazyYamlSource extends YamlSource {
  constructor(file: string, parse: () => YamlSource) {
    super(file, undefined as unknown as Document, undefined as unknown as LineCounter);
    let parsed: YamlSource | undefined;
    const get = (): YamlSource => (parsed ??= parse());
    Object.defineProperty(this, 'doc', { get: () => get().doc, enumerable: true, configurable: true });
    Object.defineProperty(this, 'lineCounter', { get: () => get().lineCounter, enumerable: true, configurable: true });
  }
}
