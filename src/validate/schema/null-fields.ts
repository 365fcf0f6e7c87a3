/**
 * Null fields in core kinds, read as the API server reads them.
 *
 * Why: core kinds are Go structs decoded with encoding/json semantics (sigs.k8s.io/json): a JSON
 * null for a field leaves it at its zero value (absent, "", 0, nil) and a null map value is
 * stored as "" (`data: {a: null}` in a ConfigMap is the key `a` with an empty value), without an
 * error. kubernetes-models' schemas say `type: string`, so the same manifest would fail here.
 * Null list items are kept: they decode to empty structs that then fail the server's own checks.
 */

/** Whether any object property below `value` is null. */
export function hasNullField(value: unknown): boolean {
  if (!value || typeof value !== 'object') return false;
  if (Array.isArray(value)) return value.some(hasNullField);
  for (const v of Object.values(value)) if (v === null || hasNullField(v)) return true;
  return false;
}

/** A copy of `value` without null object properties (a field at its zero value is absent). */
export function withoutNullFields(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(withoutNullFields);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== null) out[k] = withoutNullFields(v);
  return out;
}
