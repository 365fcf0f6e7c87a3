/**
 * `ApiObject.toJson()` at a fraction of the cost, with the same result.
 *
 * Why: rendering 6,766 objects spent most of its time in cdk8s' generic resolve pass (per value:
 * `App.of()` walks up the tree, a key-path array is copied, a `ResolutionContext` is allocated and
 * four resolvers are asked) followed by a second full pass (`sanitizeValue`: drop null/undefined,
 * sort keys). This module does both in one walk, for Apps whose resolvers are exactly cdk8s'
 * three defaults (the App `synthesize.ts` builds): there, only `Lazy`,
 * objects with a `resolve()` method and number/string union classes are ever replaced, which is
 * exactly what the walk below does, in the same order.
 *
 * How: the L1 classes (`KubeDeployment`, the imported CRD classes) render with
 * `{ ...GVK, ...toJson_XProps(super.toJson()) }`, and `super.toJson()` is looked up on
 * `ApiObject.prototype` at call time. `withFastToJson(fn)` swaps that one method for the duration
 * of `fn` (synchronous; restored in `finally`), so every L1 class keeps its own mapping code and
 * only the shared base step gets faster. Anything this walk does not model (JSON patches are
 * applied as cdk8s does; other resolvers, unknown classes in the data, a cdk8s whose ApiObject
 * lacks the fields read here) goes to the original `toJson()`, which renders or throws as before.
 */
import { AgentCanaryError } from '../errors/error.js';
import {
  ApiObject,
  App,
  ImplicitTokenResolver,
  JsonPatch,
  Lazy,
  LazyResolver,
  NumberStringUnionResolver,
} from 'cdk8s';

/**
 * Thrown inside the walk when a value needs cdk8s' own code path (caught below, never escapes;
 * kind `internal` if it ever did).
 */
class NeedsOriginal extends AgentCanaryError {
  constructor() {
    super('internal', 'needs the cdk8s resolver');
  }
}

type Json = unknown;

/** sanitizeValue(resolve(v)) for cdk8s' default resolver chain (Lazy, implicit token, union). */
function walk(v: unknown, sortKeys: boolean, filterEmpty: boolean): Json {
  if (v === null || v === undefined) return undefined;
  if (typeof v !== 'object') return v;
  if (v instanceof Lazy) return walk(v.produce(), sortKeys, filterEmpty);
  const o = v as { resolve?: unknown; value?: unknown; constructor?: unknown };
  if (typeof o.resolve === 'function')
    return walk((o.resolve as () => unknown).call(o), sortKeys, filterEmpty);
  if (Array.isArray(v)) {
    if (filterEmpty && v.length === 0) return undefined;
    const out = new Array<Json>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = walk(v[i], sortKeys, filterEmpty);
    return out;
  }
  if (o.constructor !== Object) {
    if (typeof o.value === 'number' || typeof o.value === 'string')
      return walk({ value: o.value }, sortKeys, filterEmpty);
    // cdk8s passes such values through resolve and then refuses them in sanitizeValue.
    throw new NeedsOriginal();
  }
  const keys = Object.keys(v);
  if (sortKeys) keys.sort();
  const out: Record<string, Json> = {};
  let n = 0;
  for (const k of keys) {
    const r = walk((v as Record<string, unknown>)[k], sortKeys, filterEmpty);
    if (r !== null && r !== undefined) {
      out[k] = r;
      n++;
    }
  }
  if (filterEmpty && n === 0) return undefined;
  return out;
}

interface MetadataInternals {
  readonly _additionalAttributes?: Record<string, unknown>;
  readonly name?: string;
  readonly namespace?: string;
  readonly annotations?: unknown;
  readonly finalizers?: unknown;
  readonly ownerReferences?: unknown;
  readonly labels?: unknown;
}

interface ApiObjectInternals {
  readonly props?: Record<string, unknown>;
  readonly patches?: readonly JsonPatch[];
  readonly metadata: MetadataInternals;
}

/** `ApiObjectMetadataDefinition.toJson()`: sorted, empty lists and maps dropped. */
function metadataJson(md: MetadataInternals): Json {
  if (!md._additionalAttributes || typeof md._additionalAttributes !== 'object')
    throw new NeedsOriginal();
  return walk(
    {
      ...md._additionalAttributes,
      name: md.name,
      namespace: md.namespace,
      annotations: md.annotations,
      finalizers: md.finalizers,
      ownerReferences: md.ownerReferences,
      labels: md.labels,
    },
    true,
    true,
  );
}

const appOk = new WeakMap<object, boolean>();

/** True when the object's App resolves values the way `walk` assumes. */
function modelled(obj: ApiObject): boolean {
  const app = App.of(obj) as App;
  let ok = appOk.get(app);
  if (ok === undefined) {
    const r = (app as { resolvers?: readonly unknown[] }).resolvers;
    ok =
      Array.isArray(r) &&
      r.length === 3 &&
      r[0] instanceof LazyResolver &&
      r[1] instanceof ImplicitTokenResolver &&
      r[2] instanceof NumberStringUnionResolver;
    appOk.set(app, ok);
  }
  return ok;
}

function fastBaseToJson(this: ApiObject, original: () => unknown): unknown {
  const self = this as unknown as ApiObjectInternals;
  if (!self.props || !Array.isArray(self.patches) || !self.metadata || !modelled(this))
    return original.call(this);
  let json: Record<string, Json>;
  try {
    const sortKeys = !process.env['CDK8S_DISABLE_SORT'];
    // Same as cdk8s: the props with the rendered metadata, resolved and sanitized as one value
    // (metadata is already sanitized; a second pass over it changes nothing).
    json = walk(
      { ...self.props, metadata: metadataJson(self.metadata) },
      sortKeys,
      false,
    ) as Record<string, Json>;
  } catch (e) {
    if (e instanceof NeedsOriginal) return original.call(this);
    throw new Error(
      `Failed serializing construct at path '${this.node.path}' with name '${this.name}': ${String(e)}`,
      { cause: e },
    );
  }
  const patched = (self.patches.length ? JsonPatch.apply(json, ...self.patches) : json) as Record<
    string,
    Json
  >;
  // apiVersion, kind and metadata first, then the rest (cdk8s' order).
  const result: Record<string, Json> = {};
  for (const k of ['apiVersion', 'kind', 'metadata', ...Object.keys(patched)])
    if (k in patched) result[k] = patched[k];
  return result;
}

let depth = 0;

/**
 * Runs `fn` with the fast base renderer in place of `ApiObject.prototype.toJson` (nested calls
 * are fine; the original is back when the outermost call returns or throws).
 */
export function withFastToJson<T>(fn: () => T): T {
  const proto = ApiObject.prototype as { toJson: () => unknown };
  const original = proto.toJson;
  if (depth === 0) {
    proto.toJson = function (this: ApiObject) {
      return fastBaseToJson.call(this, original);
    };
  }
  depth++;
  try {
    return fn();
  } finally {
    depth--;
    if (depth === 0) proto.toJson = original;
  }
}
