/** ajv's schema errors translated into located errors that name the file line and the fix. */
import type { LocatedError, Location, ProblemDetails } from '../errors/located.js';
import { nearest } from '../errors/nearest.js';
import { fieldPath, pointerSegments, type PathSegment } from './path.js';
import type { YamlSource } from './source.js';

/** The ajv error fields we read (ajv's own `ErrorObject`, with `verbose: true`). */
export interface SchemaErrorLike {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Record<string, unknown>;
  readonly message?: string;
  readonly parentSchema?: Record<string, unknown>;
  readonly data?: unknown;
}

/**
 * Turns ajv errors into located errors, in file order, one per field. Schemas may annotate a
 * property with `x-allowed` (what is allowed, in words), `x-problem` (what is wrong, for pattern
 * and bound failures) and `x-fix` (how to fix it).
 */
export function schemaErrors<E extends LocatedError>(
  source: YamlSource,
  errors: readonly SchemaErrorLike[],
  ErrorClass: new (loc: Location, d: ProblemDetails) => E,
  opts: { readonly prefix?: readonly PathSegment[]; readonly what?: string } = {},
): E[] {
  const prefix = opts.prefix ?? [];
  const seen = new Set<string>();
  const out: E[] = [];
  for (const e of errors) {
    const base = [...prefix, ...pointerSegments(e.instancePath)];
    const ps = e.parentSchema ?? {};
    const hint = (k: string): string | undefined =>
      typeof ps[k] === 'string' ? (ps[k] as string) : undefined;
    let segments = base;
    let d: Omit<ProblemDetails, 'field'>;
    switch (e.keyword) {
      case 'required': {
        const missing = String(e.params['missingProperty']);
        segments = [...base, missing];
        const propSchema =
          ((ps['properties'] ?? {}) as Record<string, Record<string, unknown>>)[missing] ?? {};
        d = {
          problem: 'required field is missing',
          value: undefined,
          allowed: describeSchema(propSchema),
          fix: `add \`${missing}:\` under ${fieldPath(base) || 'the top level'}`,
        };
        break;
      }
      case 'additionalProperties': {
        const extra = String(e.params['additionalProperty']);
        segments = [...base, extra];
        const names = Object.keys((ps['properties'] ?? {}) as object);
        const near = nearest(extra, names);
        d = {
          problem: `unknown field '${extra}'`,
          value: (e.data as Record<string, unknown> | undefined)?.[extra],
          allowed: names.join(', '),
          fix: near
            ? `did you mean '${near}'? Rename it, or remove the field`
            : 'remove the field (or move it where it belongs)',
        };
        break;
      }
      case 'enum':
        d = {
          problem: 'value is not one of the allowed values',
          value: e.data,
          allowed: (e.params['allowedValues'] as unknown[]).map((v) => String(v)).join(' | '),
          fix: hint('x-fix') ?? 'use one of the allowed values',
        };
        break;
      case 'const':
        d = {
          problem: 'value must be exactly the allowed value',
          value: e.data,
          allowed: String(e.params['allowedValue']),
          fix: hint('x-fix') ?? `write ${String(e.params['allowedValue'])}`,
        };
        break;
      case 'type': {
        const types = String(e.params['type']).split(',');
        d = {
          problem: `must be ${types.map(article).join(' or ')}`,
          value: e.data,
          allowed: hint('x-allowed') ?? describeSchema(ps),
          fix:
            hint('x-fix') ??
            (e.data === null
              ? 'give the field a value, or remove the key'
              : (TYPE_FIX[types[0]!] ?? 'use the allowed type')),
        };
        break;
      }
      default:
        d = {
          problem: hint('x-problem') ?? e.message ?? `fails ${e.keyword}`,
          value: e.data,
          allowed: hint('x-allowed') ?? describeSchema(ps),
          fix: hint('x-fix') ?? 'use an allowed value',
        };
    }
    const field = fieldPath(segments);
    if (seen.has(field)) continue;
    seen.add(field);
    out.push(source.error(ErrorClass, segments, { ...d, field }));
  }
  return out.sort((a, b) => a.line - b.line || a.column - b.column);
}

const TYPE_FIX: Record<string, string> = {
  object: 'write the field as a mapping (`key: value` lines indented below it)',
  array: 'write a list: `[a, b]`, or one `- item` line per entry indented below the key',
  string: 'write a string; quote values YAML would read as numbers or booleans (e.g. "3", "yes")',
  integer: 'write a whole number',
  number: 'write a number',
  boolean: 'write true or false',
};

function article(type: string): string {
  const word = type === 'object' ? 'mapping' : type === 'array' ? 'list' : type;
  if (word === 'null') return 'null';
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** What a schema allows, in words, for messages. */
export function describeSchema(s: Record<string, unknown>): string {
  if (typeof s['x-allowed'] === 'string') return s['x-allowed'] as string;
  if (Array.isArray(s['enum'])) return (s['enum'] as unknown[]).map(String).join(' | ');
  if (s['const'] !== undefined) return String(s['const']);
  const type = s['type'];
  const min = s['minimum'];
  const max = s['maximum'];
  if (type === 'integer' || type === 'number') {
    const kind = type === 'integer' ? 'integer' : 'number';
    if (min !== undefined && max !== undefined) return `${kind} ${String(min)}..${String(max)}`;
    if (min !== undefined) return `${kind} >= ${String(min)}`;
    if (max !== undefined) return `${kind} <= ${String(max)}`;
    return kind;
  }
  if (type === 'object') {
    const props = Object.keys((s['properties'] ?? {}) as object);
    return props.length ? `a mapping with ${props.join(', ')}` : 'a mapping';
  }
  if (type === 'array') {
    const items = (s['items'] ?? {}) as Record<string, unknown>;
    return `a list of ${items['type'] === 'object' ? 'mappings' : `${String(items['type'] ?? 'value')}s`}`;
  }
  if (type === 'string' && typeof s['pattern'] === 'string')
    return `a string matching ${s['pattern'] as string}`;
  return typeof type === 'string' ? article(type) : 'see the documentation';
}
