/**
 * Unknown-field check for core kinds, from `schemas/k8s-core-fields.json` (generated from
 * kubernetes-models' type definitions by build-core-fields.ts). kubectl rejects unknown fields
 * ("strict decoding error"); a typo such as `replica:` would otherwise pass silently.
 */
import { readFileSync } from 'node:fs';
import { packagePath } from '../../package/root.js';

type Desc = 0 | string | ['a' | 'm', Desc] | { p: Record<string, Desc> };

interface FieldsFile {
  readonly roots: Record<string, string>;
  readonly types: Record<string, Desc>;
}

let fields: FieldsFile | undefined;
function load(): FieldsFile {
  fields ??= JSON.parse(
    readFileSync(packagePath('schemas', 'k8s-core-fields.json'), 'utf8'),
  ) as FieldsFile;
  return fields;
}

export interface UnknownField {
  readonly path: (string | number)[];
  readonly field: string;
  readonly known: readonly string[];
}

/** Whether the field tree knows this kind (and so can check it). */
export function hasCoreFields(apiVersion: string, kind: string): boolean {
  return load().roots[`${apiVersion}/${kind}`] !== undefined;
}

export function unknownFields(apiVersion: string, kind: string, obj: unknown): UnknownField[] {
  const f = load();
  const root = f.roots[`${apiVersion}/${kind}`];
  const out: UnknownField[] = [];
  if (root) visit(f, root, obj, [], out);
  return out;
}

/** `path` is one mutable stack (copied only when reporting): this runs on every object. */
function visit(
  f: FieldsFile,
  desc: Desc,
  value: unknown,
  path: (string | number)[],
  out: UnknownField[],
): void {
  if (desc === 0 || value === null || value === undefined || typeof value !== 'object') return;
  if (typeof desc === 'string') {
    const t = f.types[desc];
    if (t === undefined) return;
    visit(f, t, value, path, out);
    return;
  }
  if (Array.isArray(desc)) {
    const inner = desc[1];
    if (inner === 0) return;
    if (desc[0] === 'a') {
      if (!Array.isArray(value)) return;
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        visit(f, inner, value[i], path, out);
        path.pop();
      }
    } else if (!Array.isArray(value)) {
      for (const k in value) {
        path.push(k);
        visit(f, inner, (value as Record<string, unknown>)[k], path, out);
        path.pop();
      }
    }
    return;
  }
  if (Array.isArray(value)) return; // a type error, reported by the schema
  const props = desc.p;
  for (const k in value) {
    const d = Object.hasOwn(props, k) ? props[k] : undefined;
    path.push(k);
    if (d === undefined) out.push({ path: [...path], field: k, known: Object.keys(props) });
    else visit(f, d, (value as Record<string, unknown>)[k], path, out);
    path.pop();
  }
}
