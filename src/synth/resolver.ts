/**
 * One resolver doing the work of cdk8s' three defaults (LazyResolver, ImplicitTokenResolver,
 * NumberStringUnionResolver) with a primitive fast path.
 *
 * cdk8s calls every resolver of the App on every value of every object; with ~7,000 objects of
 * ~100 values each, the three default resolvers were about 40% of `toJson()` time (measured,
 * docs/generator.md). Primitives (almost all values) can hold no token, so they return at the
 * first check; objects get the same treatment the defaults give them, in the same order.
 */
import { Lazy, type IResolver, type ResolutionContext } from 'cdk8s';

export class FastResolver implements IResolver {
  resolve(context: ResolutionContext): void {
    const v: unknown = context.value;
    if (typeof v !== 'object' || v === null) return;
    if (v instanceof Lazy) {
      context.replaceValue(v.produce());
      return;
    }
    const o = v as { resolve?: unknown; value?: unknown; constructor?: unknown };
    if (typeof o.resolve === 'function') {
      context.replaceValue((o.resolve as () => unknown).call(o));
      return;
    }
    // Union classes (IntOrString, Quantity): the L1 reads `.value` after resolution.
    if (o.constructor !== Object && !Array.isArray(v) && (typeof o.value === 'number' || typeof o.value === 'string')) {
      context.replaceValue({ value: o.value });
    }
  }
}
