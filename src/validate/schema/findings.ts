/**
 * ajv errors -> findings a person can act on: the field, the value found, what is allowed, the fix.
 * Branch errors under a failed `oneOf`/`anyOf` are folded into that one error (ajv reports every
 * branch's complaint, which says nothing useful about int-or-string or Flagger's step modes).
 */
import type { ErrorObject } from 'ajv';
import { formatPath, objectRef, type Finding, type Resource } from '../types.js';
import type { UnknownField } from './unknown-fields.js';

export function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  if (s === undefined) return String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function valueAt(obj: unknown, path: readonly (string | number)[]): unknown {
  let cur: unknown = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

export function schemaFindings(
  resource: Resource,
  source: string,
  errors: readonly ErrorObject[],
  unknown: readonly UnknownField[],
): Finding[] {
  const out: Finding[] = [];
  const object = objectRef(resource.object);
  const base = resource.basePath;
  const add = (path: (string | number)[], message: string, fix: string) => {
    const p = formatPath(path);
    out.push({
      ruleId: 'schema',
      severity: 'error',
      file: resource.file,
      line: resource.locate(path),
      object,
      path: base && p ? `${base}.${p}` : base || p,
      message: `${p || '(object)'}: ${message}`,
      fix,
    });
  };
  const folded = errors
    .filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf')
    .map((e) => e.schemaPath);
  const seen = new Set<string>();
  for (const e of errors) {
    if (folded.some((f) => e.schemaPath !== f && e.schemaPath.startsWith(f + '/'))) continue;
    const path = pointerToPath(e.instancePath);
    const value = valueAt(resource.object, path);
    let message: string;
    let fix: string;
    const p = e.params as Record<string, unknown>;
    switch (e.keyword) {
      case 'additionalProperties': {
        const field = String(p.additionalProperty);
        path.push(field);
        const known = Object.keys(
          (e.parentSchema as { properties?: object } | undefined)?.properties ?? {},
        );
        message = `unknown field "${field}"${known.length ? ` (allowed: ${known.join(', ')})` : ''}`;
        fix = 'remove the field or correct its spelling; the API server would drop it silently';
        break;
      }
      case 'required':
        path.push(String(p.missingProperty));
        message = `required field "${String(p.missingProperty)}" is missing`;
        fix = `add ${formatPath(path)}`;
        break;
      case 'type':
        message = `must be ${String(p.type)} (got ${show(value)})`;
        fix =
          typeof value === 'string' && /integer|number/.test(String(p.type))
            ? 'remove the quotes around the number'
            : `write a ${String(p.type)}`;
        break;
      case 'enum':
        message = `${show(value)} is not allowed (allowed: ${(p.allowedValues as unknown[]).map((v) => show(v)).join(', ')})`;
        fix = 'use one of the allowed values';
        break;
      case 'pattern':
        message = `${show(value)} does not match ${String(p.pattern)}`;
        fix = 'write a value of the expected form';
        break;
      case 'anyOf':
      case 'oneOf': {
        const branches = (e.schema as unknown[] | undefined) ?? [];
        const intOrString =
          branches.length === 2 &&
          JSON.stringify(branches).includes('"integer"') &&
          JSON.stringify(branches).includes('"string"');
        message = intOrString
          ? `must be an integer or a string (got ${show(value)})`
          : e.keyword === 'oneOf' &&
              (p.passingSchemas as unknown) !== null &&
              p.passingSchemas !== undefined
            ? `matches more than one of its alternatives (${describeBranches(branches)}); exactly one is allowed`
            : `matches none of its alternatives (${describeBranches(branches)})`;
        fix = 'keep exactly one of the alternatives';
        break;
      }
      case 'minimum':
      case 'maximum':
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        message = `${show(value)} ${e.message ?? ''}`;
        fix = 'use a value within the bounds';
        break;
      default:
        message = `${e.message ?? e.keyword}${value !== undefined && typeof value !== 'object' ? ` (got ${show(value)})` : ''}`;
        fix = `see the schema from ${source}`;
    }
    const dedupe = `${formatPath(path)}|${message}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    add(path, message, fix);
  }
  for (const u of unknown) {
    add(
      u.path,
      `unknown field "${u.field}" (allowed: ${u.known.join(', ')})`,
      'remove the field or correct its spelling; kubectl rejects unknown fields',
    );
  }
  return out;
}

function describeBranches(branches: unknown[]): string {
  return branches
    .map((b) => {
      const r = (b as { required?: string[] }).required;
      return r ? r.join('+') : JSON.stringify(b).slice(0, 30);
    })
    .join(' | ');
}
