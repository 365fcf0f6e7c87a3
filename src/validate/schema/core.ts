/**
 * Core Kubernetes kinds from `kubernetes-models` 4.x: validators that ajv compiled ahead of time
 * from the real Kubernetes OpenAPI definitions (no compile cost at run time). A kind's module is
 * imported the first time an object of that kind is seen.
 *
 * Those validators do not reject unknown fields (the OpenAPI definitions do not say
 * `additionalProperties: false`); `unknown-fields.ts` adds that check from the same package's
 * type definitions.
 */
import type { ErrorObject } from 'ajv';
import { requireBundled } from './module-bundle.js';
import { DEFAULT_SCHEMA_CACHE } from './compiled-cache.js';

// The package's CommonJS build, not its ESM one: under an ESM loader hook (tsx, which the CLI
// runs with) every ESM module of the chain costs a round trip to the hook thread, and one kind
// pulls in a hundred or more modules (400 ms vs 115 ms for a Deployment here). The CommonJS graph
// is loaded from a one-file bundle with a code cache after the first run (module-bundle.ts).

export type CoreValidator = (obj: unknown) => ErrorObject[] | null;

const cache = new Map<string, Promise<CoreValidator | undefined>>();

/** `apps/v1` + `Deployment` -> the module path inside kubernetes-models. */
export function coreModule(apiVersion: string, kind: string): string | undefined {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(kind)) return undefined;
  const parts = apiVersion.split('/');
  if (parts.length === 1 && /^v\d+((alpha|beta)\d+)?$/.test(parts[0]!))
    return `kubernetes-models/${parts[0]}/${kind}`;
  if (
    parts.length === 2 &&
    /^[a-z0-9.-]+$/.test(parts[0]!) &&
    /^v\d+((alpha|beta)\d+)?$/.test(parts[1]!)
  )
    return `kubernetes-models/${parts[0]}/${parts[1]}/${kind}`;
  return undefined;
}

interface ModelClass {
  readonly kind?: string;
  readonly apiVersion?: string;
  readonly prototype: { validate(this: unknown): void };
}

/**
 * The validator of a core kind, or undefined when kubernetes-models has none.
 * @param cacheDir where module bundles are kept; `false` loads with plain `require`.
 */
export function coreValidator(
  apiVersion: string,
  kind: string,
  cacheDir: string | false = DEFAULT_SCHEMA_CACHE,
): Promise<CoreValidator | undefined> {
  const key = `${apiVersion}/${kind}`;
  let hit = cache.get(key);
  if (!hit) {
    hit = load(apiVersion, kind, cacheDir);
    cache.set(key, hit);
  }
  return hit;
}

async function load(
  apiVersion: string,
  kind: string,
  cacheDir: string | false,
): Promise<CoreValidator | undefined> {
  const spec = coreModule(apiVersion, kind);
  if (!spec) return undefined;
  let mod: Record<string, unknown>;
  try {
    mod = requireBundled(spec, cacheDir);
  } catch {
    return undefined;
  }
  const cls = mod[kind] as ModelClass | undefined;
  // Only top-level kinds: `apps/v1/DeploymentSpec` is a type, not a kind.
  if (!cls || cls.kind !== kind || cls.apiVersion !== apiVersion) return undefined;
  const validate = cls.prototype.validate;
  return (obj: unknown) => {
    try {
      validate.call(obj);
      return null;
    } catch (err) {
      const errors = (err as { errors?: ErrorObject[] }).errors;
      if (Array.isArray(errors)) return errors;
      throw err;
    }
  };
}
