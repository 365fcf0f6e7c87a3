/**
 * Where a loaded object came from. Kept beside the object (not in it) so contract types such as
 * `FleetAgent` stay plain data; the policy resolver uses it to point errors in
 * `rollout.overrides` at the fleet file's lines without importing the fleet model.
 */
import type { Document, LineCounter } from 'yaml';
import { YamlSource } from './source.js';

const sources = new WeakMap<object, YamlSource>();

export function rememberSource(loaded: object, source: YamlSource): void {
  sources.set(loaded, source);
}

/** The parsed file of an object a loader remembered (e.g. a fleet agent); undefined for objects built in code. */
export function sourceOf(loaded: object): YamlSource | undefined {
  return sources.get(loaded);
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
    Object.defineProperty(this, 'doc', {
      get: () => get().doc,
      enumerable: true,
      configurable: true,
    });
    Object.defineProperty(this, 'lineCounter', {
      get: () => get().lineCounter,
      enumerable: true,
      configurable: true,
    });
  }
}
