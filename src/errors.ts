/**
 * Errors that point at a place in a YAML file, shared by the fleet and policy loaders.
 *
 * Every error says what (the problem), where (file, line, column, JSON-path-like field), the value
 * found, what is allowed and how to fix it, in one line:
 * `<file>:<line>: <field>: <problem> (got <value>; allowed: <allowed>). Fix: <fix>`.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node } from 'yaml';

/** The parts of a located error; `field` is a path like `spec.canary.weight` or `rollout.gatewayRefs[0].name`. */
export interface Location {
  /** Path of the file, as the user should see it (relative to the fleet or policy root). */
  readonly file: string;
  /** 1-based line; the offending node, or the nearest parent that exists. */
  readonly line: number;
  /** 1-based column of the same node. */
  readonly column: number;
}

export interface ProblemDetails {
  readonly field: string;
  readonly problem: string;
  /** The value found (`undefined` when the field is missing). */
  readonly value?: unknown;
  /** What is allowed, in words or as a list. */
  readonly allowed?: string;
  readonly fix: string;
}

/** Renders a value for a message: JSON, shortened; a missing value reads as `nothing`. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

export function formatProblem(loc: Location, d: ProblemDetails): string {
  const got = `got ${showValue(d.value)}`;
  const paren = d.allowed !== undefined ? `(${got}; allowed: ${d.allowed})` : `(${got})`;
  return `${loc.file}:${loc.line}: ${d.field || '(document)'}: ${d.problem} ${paren}. Fix: ${d.fix}`;
}

/** Base of FleetError and PolicyError: an error with a place in a file. */
export class LocatedError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly value: unknown;
  readonly allowed: string | undefined;
  readonly fix: string;
  /** The problem alone, without location, value and fix. */
  readonly problem: string;

  constructor(loc: Location, d: ProblemDetails) {
    super(formatProblem(loc, d));
    this.name = new.target.name;
    this.file = loc.file;
    this.line = loc.line;
    this.column = loc.column;
    this.field = d.field;
    this.value = d.value;
    this.allowed = d.allowed;
    this.fix = d.fix;
    this.problem = d.problem;
  }

  /** Plain data for JSON reports (validator output, HTTP problem details). */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      file: this.file,
      line: this.line,
      column: this.column,
      field: this.field,
      problem: this.problem,
      value: this.value,
      allowed: this.allowed,
      fix: this.fix,
    };
  }
}

/** A path segment: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** Renders `['spec', 'tools', 0]` as `spec.tools[0]`. */
export function fieldPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out ? `.${s}` : s;
  }
  return out;
}

/** Parses an ajv instancePath (`/spec/tools/0`) into segments. */
export function pointerSegments(pointer: string): PathSegment[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((raw) => raw.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

/**
 * One parsed YAML document that remembers where each node came from, so any later check can
 * name the line of the field it complains about.
 */
export class YamlSource {
  constructor(
    readonly file: string,
    readonly doc: Document,
    readonly lineCounter: LineCounter,
  ) {}

  /**
   * Where `segments` sits: the key of the field when it exists (so block values report the line
   * of their key), else the nearest parent that exists. `exact` says whether the path was found.
   */
  locate(segments: readonly PathSegment[]): Location & { readonly exact: boolean } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    let found = 0;
    for (const seg of segments) {
      if (isMap(node) && typeof seg === 'string') {
        const pair = node.items.find((p) => isPair(p) && keyText(p.key) === seg);
        if (!pair) break;
        offset = rangeStart(pair.key) ?? rangeStart(pair.value) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else {
        break;
      }
      found++;
    }
    const pos = this.lineCounter.linePos(offset);
    return { file: this.file, line: pos.line, column: pos.col, exact: found === segments.length };
  }

  /** The key node of a mapping member (to point at an unknown key rather than its value). */
  locateKey(parent: readonly PathSegment[], key: string): Location {
    return this.locate([...parent, key]);
  }

  error<E extends LocatedError>(
    ErrorClass: new (loc: Location, d: ProblemDetails) => E,
    segments: readonly PathSegment[],
    d: Omit<ProblemDetails, 'field'> & { readonly field?: string },
  ): E {
    const loc = this.locate(segments);
    return new ErrorClass(loc, { ...d, field: d.field ?? fieldPath(segments) });
  }
}

/** The path of the mapping key that starts at `offset` (to name a duplicate key). */
function pathAtOffset(node: unknown, offset: number, prefix: PathSegment[] = []): PathSegment[] | undefined {
  if (isMap(node)) {
    for (const pair of node.items) {
      const k = keyText(pair.key);
      if (k === undefined) continue;
      if (rangeStart(pair.key) === offset) return [...prefix, k];
      const inner = pathAtOffset(pair.value, offset, [...prefix, k]);
      if (inner) return inner;
    }
  } else if (isSeq(node)) {
    for (let i = 0; i < node.items.length; i++) {
      const inner = pathAtOffset(node.items[i], offset, [...prefix, i]);
      if (inner) return inner;
    }
  }
  return undefined;
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

/**
 * Parses exactly one YAML document holding a mapping. Syntax errors, duplicate keys, several
 * documents, an empty file and a non-mapping root are all reported as `ErrorClass` with a line.
 */
export function parseSingleMapping<E extends LocatedError>(
  file: string,
  text: string,
  ErrorClass: new (loc: Location, d: ProblemDetails) => E,
  what: string,
): { source: YamlSource; data: Record<string, unknown> } {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: true });
  const list = Array.isArray(docs) ? docs : [];
  const at = (offset: number): Location => {
    const p = lineCounter.linePos(offset);
    return { file, line: p.line, column: p.col };
  };
  const nonEmpty = list.filter((d) => d.contents !== null || d.errors.length > 0);
  if (nonEmpty.length === 0) {
    throw new ErrorClass(at(0), {
      field: '',
      problem: `the file is empty; it must hold one ${what}`,
      value: text.trim() === '' ? '' : undefined,
      allowed: `one YAML mapping (${what})`,
      fix: `write the ${what} in this file, or delete the file`,
    });
  }
  for (const doc of nonEmpty) {
    const err = doc.errors[0];
    if (err) {
      const duplicate = err.code === 'DUPLICATE_KEY';
      const loc = at(err.pos[0]);
      const dupPath = duplicate ? pathAtOffset(doc.contents, err.pos[0]) : undefined;
      throw new ErrorClass(loc, {
        field: dupPath ? fieldPath(dupPath) : '',
        problem: duplicate
          ? 'duplicate key: a key may appear only once in a mapping (YAML parsers silently keep only one of them)'
          : `YAML syntax error: ${err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`,
        value: dupPath ? dupPath[dupPath.length - 1] : undefined,
        allowed: duplicate ? 'each key once per mapping' : 'valid YAML 1.2',
        fix: duplicate ? 'keep one of the two entries and delete the other' : 'correct the YAML at this line',
      });
    }
  }
  if (nonEmpty.length > 1) {
    const second = nonEmpty[1]!;
    throw new ErrorClass(at(second.range[0]), {
      field: '',
      problem: `the file holds ${nonEmpty.length} YAML documents; it must hold exactly one ${what}`,
      value: `${nonEmpty.length} documents`,
      allowed: '1 document',
      fix: 'put each document in its own file and remove the `---` separators',
    });
  }
  const doc = nonEmpty[0]!;
  const source = new YamlSource(file, doc, lineCounter);
  if (!isMap(doc.contents)) {
    const value = doc.toJS() as unknown;
    throw source.error(ErrorClass, [], {
      field: '',
      problem: `the document must be a mapping (the ${what})`,
      value,
      allowed: 'a YAML mapping with apiVersion, kind, metadata and spec',
      fix: `write the ${what} as \`key: value\` lines`,
    });
  }
  let data: Record<string, unknown>;
  try {
    data = doc.toJS({ maxAliasCount: 100 }) as Record<string, unknown>;
  } catch (err) {
    // e.g. "Excessive alias count": a billion-laughs style document
    throw source.error(ErrorClass, [], {
      field: '',
      problem: `the document cannot be read: ${err instanceof Error ? err.message : String(err)}`,
      allowed: 'plain YAML (aliases only where needed, at most 100 expansions)',
      fix: 'write the values out instead of using anchors and aliases',
    });
  }
  return { source, data };
}

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
    const hint = (k: string): string | undefined => (typeof ps[k] === 'string' ? (ps[k] as string) : undefined);
    let segments = base;
    let d: Omit<ProblemDetails, 'field'>;
    switch (e.keyword) {
      case 'required': {
        const missing = String(e.params['missingProperty']);
        segments = [...base, missing];
        const propSchema = ((ps['properties'] ?? {}) as Record<string, Record<string, unknown>>)[missing] ?? {};
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
          fix: near ? `did you mean '${near}'? Rename it, or remove the field` : 'remove the field (or move it where it belongs)',
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
          fix: hint('x-fix') ?? (e.data === null ? 'give the field a value, or remove the key' : TYPE_FIX[types[0]!] ?? 'use the allowed type'),
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
  if (type === 'string' && typeof s['pattern'] === 'string') return `a string matching ${s['pattern'] as string}`;
  return typeof type === 'string' ? article(type) : 'see the documentation';
}

/** The closest name by edit distance, when it is close enough to be a likely typo. */
export function nearest(word: string, names: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDist = Infinity;
  for (const n of names) {
    const d = editDistance(word.toLowerCase(), n.toLowerCase());
    if (d < bestDist) {
      best = n;
      bestDist = d;
    }
  }
  return best !== undefined && bestDist <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j]!;
      prev[j] = Math.min(prev[j]! + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length]!;
}
