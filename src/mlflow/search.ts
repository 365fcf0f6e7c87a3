/**
 * MLflow's run-search language, evaluated in memory: the local-store readers (SQLite, mlruns/)
 * and the stand-in answer `runs/search` with it, so all three share one definition of the
 * grammar MLflow documents:
 *
 *   filter   := clause ( AND clause )*            (no OR, like MLflow)
 *   clause   := identifier op value
 *   ident    := [type '.'] name    type: metrics|params|tags|attributes (+ MLflow's aliases)
 *   name     := bare | `back-ticked` | "double-quoted"    (eval keys such as `a/v1/mean` need quotes)
 *   op       := = != > >= < <= LIKE ILIKE IN NOT IN
 *   value    := 'string' | "string" | number | ( 'a', 'b', ... )
 *
 * Errors are MLflow's: `INVALID_PARAMETER_VALUE` (HTTP 400) with a message naming the clause.
 */
import {
  MlflowApiError,
  type LoggedModel,
  type Run,
  type SearchLoggedModelsRequest,
  type SearchLoggedModelsResponse,
  type SearchRunsRequest,
  type SearchRunsResponse,
  type SearchTracesRequest,
  type SearchTracesResponse,
  type TraceInfo,
} from './types.js';

export type EntityType = 'metric' | 'param' | 'tag' | 'attribute' | 'metadata';

/** Which search: runs, LoggedModels or traces (they differ in attributes and entity types). */
export type Dialect = 'runs' | 'models' | 'traces';
type Op = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Clause {
  readonly type: EntityType;
  readonly key: string;
  readonly op: Op;
  readonly value: string | number | readonly string[];
}

const TYPE_ALIASES: Record<string, EntityType> = {
  metric: 'metric',
  metrics: 'metric',
  param: 'param',
  params: 'param',
  parameter: 'param',
  parameters: 'param',
  tag: 'tag',
  tags: 'tag',
  attribute: 'attribute',
  attributes: 'attribute',
  attr: 'attribute',
  run: 'attribute',
  metadata: 'metadata',
  request_metadata: 'metadata',
  trace: 'attribute',
};
const ATTRS: Record<Dialect, { strings: Set<string>; numbers: Set<string> }> = {
  runs: {
    strings: new Set([
      'run_id',
      'run_name',
      'status',
      'artifact_uri',
      'user_id',
      'lifecycle_stage',
    ]),
    numbers: new Set(['start_time', 'end_time', 'created']),
  },
  models: {
    strings: new Set(['name', 'model_id', 'status', 'source_run_id', 'model_type']),
    numbers: new Set(['creation_timestamp', 'creation_time', 'last_updated_timestamp']),
  },
  traces: {
    strings: new Set(['trace_id', 'request_id', 'status', 'state', 'name']),
    numbers: new Set(['timestamp', 'timestamp_ms', 'execution_time', 'execution_time_ms']),
  },
};
const STRING_ATTRS = ATTRS.runs.strings;
const NUMERIC_ATTRS = ATTRS.runs.numbers;

function invalid(message: string): MlflowApiError {
  return new MlflowApiError(400, 'INVALID_PARAMETER_VALUE', message);
}

/** Token stream over a filter or order_by string. */
class Lexer {
  pos = 0;
  constructor(readonly src: string) {}
  ws(): void {
    while (this.pos < this.src.length && /\s/.test(this.src[this.pos]!)) this.pos++;
  }
  eof(): boolean {
    this.ws();
    return this.pos >= this.src.length;
  }
  peekWord(): string {
    this.ws();
    const m = /^[A-Za-z_]+/.exec(this.src.slice(this.pos));
    return m ? m[0].toUpperCase() : '';
  }
  quoted(q: string): string {
    // Opening quote at this.pos. A doubled quote or a backslash escapes the quote character.
    let out = '';
    let i = this.pos + 1;
    for (;;) {
      if (i >= this.src.length)
        throw invalid(
          `Invalid filter '${this.src}': unterminated ${q} quote at position ${this.pos}`,
        );
      const c = this.src[i]!;
      if (c === '\\' && this.src[i + 1] === q) {
        out += q;
        i += 2;
        continue;
      }
      if (c === q) {
        if (this.src[i + 1] === q && q !== '`') {
          out += q;
          i += 2;
          continue;
        }
        break;
      }
      out += c;
      i++;
    }
    this.pos = i + 1;
    return out;
  }
  /** `type.name` where name may be quoted; a bare identifier is an attribute (MLflow rule). */
  identifier(): { type: EntityType; key: string } {
    this.ws();
    const start = this.pos;
    const head = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.src.slice(this.pos));
    if (!head)
      throw invalid(`Invalid filter '${this.src}': expected an identifier at position ${start}`);
    this.pos += head[0].length;
    if (this.src[this.pos] !== '.') {
      return { type: 'attribute', key: head[0] };
    }
    const type = TYPE_ALIASES[head[0].toLowerCase()];
    if (!type) {
      throw invalid(
        `Invalid entity type '${head[0]}' in '${this.src}'. Valid values are ['metric', 'parameter', 'tag', 'attribute']`,
      );
    }
    this.pos++; // the dot
    const c = this.src[this.pos];
    let key: string;
    if (c === '`' || c === '"') key = this.quoted(c);
    else {
      const m = /^[A-Za-z0-9_.\-:]+/.exec(this.src.slice(this.pos));
      if (!m)
        throw invalid(
          `Invalid filter '${this.src}': expected a key after '${head[0]}.' at position ${this.pos}`,
        );
      key = m[0];
      this.pos += key.length;
    }
    return { type, key };
  }
  op(): Op {
    this.ws();
    const rest = this.src.slice(this.pos);
    const sym = /^(!=|>=|<=|=|>|<)/.exec(rest);
    if (sym) {
      this.pos += sym[0].length;
      return sym[0] as Op;
    }
    const word = /^(NOT\s+IN|ILIKE|LIKE|IN)\b/i.exec(rest);
    if (word) {
      this.pos += word[0].length;
      return word[0].toUpperCase().replace(/\s+/, ' ') as Op;
    }
    throw invalid(
      `Invalid filter '${this.src}': expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) at position ${this.pos}`,
    );
  }
  value(): string | number | string[] {
    this.ws();
    const c = this.src[this.pos];
    if (c === "'" || c === '"') return this.quoted(c);
    if (c === '(') {
      this.pos++;
      const list: string[] = [];
      for (;;) {
        this.ws();
        const q = this.src[this.pos];
        if (q !== "'" && q !== '"')
          throw invalid(
            `Invalid filter '${this.src}': IN lists hold quoted strings (position ${this.pos})`,
          );
        list.push(this.quoted(q));
        this.ws();
        if (this.src[this.pos] === ',') {
          this.pos++;
          continue;
        }
        if (this.src[this.pos] === ')') {
          this.pos++;
          break;
        }
        throw invalid(`Invalid filter '${this.src}': expected ',' or ')' at position ${this.pos}`);
      }
      return list;
    }
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.src.slice(this.pos));
    if (m) {
      this.pos += m[0].length;
      return Number(m[0]);
    }
    throw invalid(
      `Invalid filter '${this.src}': expected a quoted string or a number at position ${this.pos}`,
    );
  }
}

function checkClause(c: Clause, src: string, dialect: Dialect = 'runs'): Clause {
  const isStr = typeof c.value === 'string';
  const isNum = typeof c.value === 'number';
  const where = `'${c.type}.${c.key} ${c.op}' in '${src}'`;
  switch (c.type) {
    case 'metric':
      if (!isNum || ['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(c.op))
        throw invalid(
          `Invalid clause ${where}: metrics compare with = != > >= < <= against a number`,
        );
      return c;
    case 'metadata':
    case 'param':
    case 'tag':
      if (c.type === 'metadata' && dialect !== 'traces')
        throw invalid(
          `Invalid entity type 'metadata' in '${src}': only trace searches filter on metadata`,
        );
      if (!isStr || !['=', '!=', 'LIKE', 'ILIKE'].includes(c.op))
        throw invalid(
          `Invalid clause ${where}: ${c.type}s compare with = != LIKE ILIKE against a quoted string`,
        );
      return c;
    case 'attribute': {
      if (dialect !== 'runs') {
        const a = ATTRS[dialect];
        if (a.numbers.has(c.key)) {
          if (!isNum || ['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(c.op))
            throw invalid(
              `Invalid clause ${where}: ${c.key} compares with = != > >= < <= against a number`,
            );
          return c;
        }
        if (!a.strings.has(c.key))
          throw invalid(
            `Invalid attribute key '${c.key}' specified. Valid keys are '${[...a.strings, ...a.numbers].join("', '")}'`,
          );
        if (
          (c.op === 'IN' || c.op === 'NOT IN') !== Array.isArray(c.value) ||
          ['>', '>=', '<', '<='].includes(c.op)
        ) {
          throw invalid(
            `Invalid clause ${where}: ${c.key} compares with = != LIKE ILIKE against a quoted string, or IN / NOT IN against a list`,
          );
        }
        return c;
      }
      const key = c.key === 'created' ? 'start_time' : c.key === 'run_uuid' ? 'run_id' : c.key;
      if (NUMERIC_ATTRS.has(c.key) || key === 'start_time' || key === 'end_time') {
        if (!isNum || ['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(c.op))
          throw invalid(
            `Invalid clause ${where}: ${key} compares with = != > >= < <= against a number`,
          );
        return { ...c, key };
      }
      if (!STRING_ATTRS.has(key)) {
        throw invalid(
          `Invalid attribute key '${c.key}' specified. Valid keys are '${[...STRING_ATTRS, ...NUMERIC_ATTRS].join("', '")}'`,
        );
      }
      const list = Array.isArray(c.value);
      if (
        (c.op === 'IN' || c.op === 'NOT IN') !== list ||
        (!list && !isStr) ||
        ['>', '>=', '<', '<='].includes(c.op)
      ) {
        throw invalid(
          `Invalid clause ${where}: ${key} compares with = != LIKE ILIKE against a quoted string, or IN / NOT IN against a list`,
        );
      }
      return { ...c, key };
    }
  }
}

/** Parses a filter string; the empty string means "every run". */
export function parseFilter(filter: string | undefined, dialect: Dialect = 'runs'): Clause[] {
  if (!filter || !filter.trim()) return [];
  const lx = new Lexer(filter);
  const out: Clause[] = [];
  for (;;) {
    const id = lx.identifier();
    const op = lx.op();
    const value = lx.value();
    out.push(checkClause({ ...id, op, value }, filter, dialect));
    if (lx.eof()) return out;
    if (lx.peekWord() !== 'AND')
      throw invalid(
        `Invalid filter '${filter}': clauses are joined with AND (MLflow has no OR); at position ${lx.pos}`,
      );
    lx.pos += 3;
  }
}

function likeRegex(pattern: string, flags: string): RegExp {
  const body = pattern
    .replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    .replace(/%/g, '.*')
    .replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function compare(actual: string | number, op: Op, expected: Clause['value']): boolean {
  switch (op) {
    case '=':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '>':
      return (actual as number) > (expected as number);
    case '>=':
      return (actual as number) >= (expected as number);
    case '<':
      return (actual as number) < (expected as number);
    case '<=':
      return (actual as number) <= (expected as number);
    case 'LIKE':
      return likeRegex(expected as string, 's').test(String(actual));
    case 'ILIKE':
      return likeRegex(expected as string, 'is').test(String(actual));
    case 'IN':
      return (expected as string[]).includes(String(actual));
    case 'NOT IN':
      return !(expected as string[]).includes(String(actual));
  }
}

function attribute(run: Run, key: string): string | number | undefined {
  const i = run.info as unknown as Record<string, string | number | undefined>;
  return i[key];
}

/** The value of an identifier on a run; `undefined` when the run lacks it. */
export function valueOf(run: Run, type: EntityType, key: string): string | number | undefined {
  switch (type) {
    case 'metric':
      return run.data.metrics?.find((m) => m.key === key)?.value;
    case 'param':
      return run.data.params?.find((p) => p.key === key)?.value;
    case 'tag':
      return run.data.tags?.find((t) => t.key === key)?.value;
    case 'attribute':
      return attribute(run, key);
    case 'metadata':
      return undefined;
  }
}

export function matches(run: Run, clauses: readonly Clause[]): boolean {
  return matchesWith((type, key) => valueOf(run, type, key), clauses);
}

/** Clauses over any entity: `get` returns the value of a `type.key` identifier. */
export function matchesWith(
  get: (type: EntityType, key: string) => string | number | undefined,
  clauses: readonly Clause[],
): boolean {
  for (const c of clauses) {
    const v = get(c.type, c.key);
    // A run without the key never matches, even for != (MLflow joins on the key).
    if (v === undefined || v === null) return false;
    if (typeof v === 'number' && Number.isNaN(v)) return false;
    if (!compare(v, c.op, c.value)) return false;
  }
  return true;
}

interface OrderKey {
  readonly type: EntityType;
  readonly key: string;
  readonly asc: boolean;
}

export function parseOrderBy(items: readonly string[] | undefined): OrderKey[] {
  const out: OrderKey[] = [];
  for (const item of items ?? []) {
    const lx = new Lexer(item);
    const id = lx.identifier();
    let asc = true;
    const dir = lx.peekWord();
    if (dir === 'ASC' || dir === 'DESC') {
      asc = dir === 'ASC';
      lx.pos += dir.length;
    }
    if (!lx.eof())
      throw invalid(`Invalid order_by clause '${item}'. Expected '<identifier> [ASC|DESC]'`);
    let key = id.key;
    if (id.type === 'attribute') {
      key = key === 'created' ? 'start_time' : key === 'run_uuid' ? 'run_id' : key;
      if (!STRING_ATTRS.has(key) && !NUMERIC_ATTRS.has(key))
        throw invalid(`Invalid attribute key '${id.key}' in order_by clause '${item}'`);
    }
    out.push({ type: id.type, key, asc });
  }
  return out;
}

function cmp(a: Run, b: Run, keys: readonly OrderKey[]): number {
  for (const k of keys) {
    const va = valueOf(a, k.type, k.key);
    const vb = valueOf(b, k.type, k.key);
    const missA = va === undefined || (typeof va === 'number' && Number.isNaN(va));
    const missB = vb === undefined || (typeof vb === 'number' && Number.isNaN(vb));
    // Missing values sort last whatever the direction (MLflow's NULLS LAST).
    if (missA || missB) {
      if (missA && missB) continue;
      return missA ? 1 : -1;
    }
    if (va === vb) continue;
    const r = (va as number | string) < (vb as number | string) ? -1 : 1;
    return k.asc ? r : -r;
  }
  return 0;
}

export const MAX_RESULTS_LIMIT = 50000;
export const DEFAULT_MAX_RESULTS = 1000;

export function encodePageToken(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64');
}

export function decodePageToken(token: string | undefined): number {
  if (!token) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as {
      offset?: unknown;
    };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0)
      return parsed.offset;
  } catch {
    // fall through
  }
  throw invalid(`Invalid page token, could not base64-decode or parse '${token}'`);
}

export function checkMaxResults(n: number | undefined): number {
  if (n === undefined) return DEFAULT_MAX_RESULTS;
  if (!Number.isInteger(n) || n <= 0 || n > MAX_RESULTS_LIMIT) {
    throw invalid(
      `Invalid value for request parameter max_results. It must be at most ${MAX_RESULTS_LIMIT}, but got value ${n}`,
    );
  }
  return n;
}

/** Filters, orders and pages `runs` exactly as `runs/search` would. */
export function searchInMemory(runs: readonly Run[], req: SearchRunsRequest): SearchRunsResponse {
  const clauses = parseFilter(req.filter);
  const order = parseOrderBy(req.order_by);
  const max = checkMaxResults(req.max_results);
  const offset = decodePageToken(req.page_token);
  const view = req.run_view_type ?? 'ACTIVE_ONLY';
  const picked = runs.filter(
    (r) =>
      (view === 'ALL' || (view === 'ACTIVE_ONLY') === (r.info.lifecycle_stage === 'active')) &&
      matches(r, clauses),
  );
  const keys: OrderKey[] = [...order];
  if (!keys.some((k) => k.type === 'attribute' && k.key === 'start_time'))
    keys.push({ type: 'attribute', key: 'start_time', asc: false });
  keys.push({ type: 'attribute', key: 'run_id', asc: true });
  picked.sort((a, b) => cmp(a, b, keys));
  const page = picked.slice(offset, offset + max);
  const next = offset + max < picked.length ? encodePageToken(offset + max) : undefined;
  return next ? { runs: page, next_page_token: next } : { runs: page };
}

/** Quotes a value for a filter string (single quotes; an embedded quote is doubled). */
export function quoteValue(v: string): string {
  return `'${v.replace(/'/g, "''")}'`;
}

/** Quotes a key with backticks (eval metric keys contain `/`). */
export function quoteKey(k: string): string {
  if (k.includes('`')) throw new Error(`MLflow keys cannot contain a backtick: ${k}`);
  return `\`${k}\``;
}

function page<T>(
  items: T[],
  maxResults: number | undefined,
  fallback: number,
  token: string | undefined,
): { items: T[]; next?: string } {
  const max = checkMaxResults(maxResults ?? fallback);
  const offset = decodePageToken(token);
  const slice = items.slice(offset, offset + max);
  return offset + max < items.length
    ? { items: slice, next: encodePageToken(offset + max) }
    : { items: slice };
}

function modelValue(m: LoggedModel, type: EntityType, key: string): string | number | undefined {
  switch (type) {
    case 'tag':
      return m.info.tags?.find((t) => t.key === key)?.value;
    case 'param':
      return m.data.params?.find((p) => p.key === key)?.value;
    // A model's metric: its latest value under that key (any run).
    case 'metric':
      return m.data.metrics
        ?.filter((x) => x.key === key)
        .sort((a, b) => b.timestamp - a.timestamp)[0]?.value;
    case 'attribute': {
      if (key === 'creation_timestamp' || key === 'creation_time')
        return m.info.creation_timestamp_ms;
      if (key === 'last_updated_timestamp') return m.info.last_updated_timestamp_ms;
      const v = (m.info as unknown as Record<string, unknown>)[key];
      return typeof v === 'string' || typeof v === 'number' ? v : undefined;
    }
    case 'metadata':
      return undefined;
  }
}

/** `logged-models/search` in memory: filter, newest first (creation time, then model id), pages. */
export function searchModelsInMemory(
  models: readonly LoggedModel[],
  req: SearchLoggedModelsRequest,
): SearchLoggedModelsResponse {
  const clauses = parseFilter(req.filter, 'models');
  const picked = models
    .filter((m) => matchesWith((t, k) => modelValue(m, t, k), clauses))
    .sort(
      (a, b) =>
        b.info.creation_timestamp_ms - a.info.creation_timestamp_ms ||
        (a.info.model_id < b.info.model_id ? -1 : 1),
    );
  const p = page(picked, req.max_results, 50, req.page_token);
  return p.next ? { models: p.items, next_page_token: p.next } : { models: p.items };
}

function traceValue(t: TraceInfo, type: EntityType, key: string): string | number | undefined {
  switch (type) {
    case 'tag':
      return t.tags[key];
    case 'metadata':
      return t.metadata[key];
    case 'attribute':
      if (key === 'timestamp' || key === 'timestamp_ms') return t.request_time;
      if (key === 'status' || key === 'state') return t.state;
      if (key === 'trace_id' || key === 'request_id') return t.trace_id;
      return undefined;
    default:
      return undefined;
  }
}

/** `traces/search` in memory: filter, newest first, pages. */
export function searchTracesInMemory(
  traces: readonly TraceInfo[],
  req: SearchTracesRequest,
): SearchTracesResponse {
  const clauses = parseFilter(req.filter, 'traces');
  const picked = traces
    .filter((t) => matchesWith((ty, k) => traceValue(t, ty, k), clauses))
    .sort((a, b) => b.request_time - a.request_time || (a.trace_id < b.trace_id ? -1 : 1));
  const p = page(picked, req.max_results, 100, req.page_token);
  return p.next ? { traces: p.items, next_page_token: p.next } : { traces: p.items };
}
