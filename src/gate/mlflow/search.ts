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
import { MlflowApiError, type Run, type SearchRunsRequest, type SearchRunsResponse } from './types.js';

type EntityType = 'metric' | 'param' | 'tag' | 'attribute';
type Op = '=' | '!=' | '>' | '>=' | '<' | '<=' | 'LIKE' | 'ILIKE' | 'IN' | 'NOT IN';

export interface Clause {
  readonly type: EntityType;
  readonly key: string;
  readonly op: Op;
  readonly value: string | number | readonly string[];
}

const TYPE_ALIASES: Record<string, EntityType> = {
  metric: 'metric', metrics: 'metric',
  param: 'param', params: 'param', parameter: 'param', parameters: 'param',
  tag: 'tag', tags: 'tag',
  attribute: 'attribute', attributes: 'attribute', attr: 'attribute', run: 'attribute',
};
const STRING_ATTRS = new Set(['run_id', 'run_name', 'status', 'artifact_uri', 'user_id', 'lifecycle_stage']);
const NUMERIC_ATTRS = new Set(['start_time', 'end_time', 'created']);

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
      if (i >= this.src.length) throw invalid(`Invalid filter '${this.src}': unterminated ${q} quote at position ${this.pos}`);
      const c = this.src[i]!;
      if (c === '\\' && this.src[i + 1] === q) { out += q; i += 2; continue; }
      if (c === q) {
        if (this.src[i + 1] === q && q !== '`') { out += q; i += 2; continue; }
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
    if (!head) throw invalid(`Invalid filter '${this.src}': expected an identifier at position ${start}`);
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
      if (!m) throw invalid(`Invalid filter '${this.src}': expected a key after '${head[0]}.' at position ${this.pos}`);
      key = m[0];
      this.pos += key.length;
    }
    return { type, key };
  }
  op(): Op {
    this.ws();
    const rest = this.src.slice(this.pos);
    const sym = /^(!=|>=|<=|=|>|<)/.exec(rest);
    if (sym) { this.pos += sym[0].length; return sym[0] as Op; }
    const word = /^(NOT\s+IN|ILIKE|LIKE|IN)\b/i.exec(rest);
    if (word) { this.pos += word[0].length; return word[0].toUpperCase().replace(/\s+/, ' ') as Op; }
    throw invalid(`Invalid filter '${this.src}': expected a comparator (=, !=, >, >=, <, <=, LIKE, ILIKE, IN, NOT IN) at position ${this.pos}`);
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
        if (q !== "'" && q !== '"') throw invalid(`Invalid filter '${this.src}': IN lists hold quoted strings (position ${this.pos})`);
        list.push(this.quoted(q));
        this.ws();
        if (this.src[this.pos] === ',') { this.pos++; continue; }
        if (this.src[this.pos] === ')') { this.pos++; break; }
        throw invalid(`Invalid filter '${this.src}': expected ',' or ')' at position ${this.pos}`);
      }
      return list;
    }
    const m = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?/.exec(this.src.slice(this.pos));
    if (m) { this.pos += m[0].length; return Number(m[0]); }
    throw invalid(`Invalid filter '${this.src}': expected a quoted string or a number at position ${this.pos}`);
  }
}

function checkClause(c: Clause, src: string): Clause {
  const isStr = typeof c.value === 'string';
  const isNum = typeof c.value === 'number';
  const where = `'${c.type}.${c.key} ${c.op}' in '${src}'`;
  switch (c.type) {
    case 'metric':
      if (!isNum || ['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(c.op)) throw invalid(`Invalid clause ${where}: metrics compare with = != > >= < <= against a number`);
      return c;
    case 'param':
    case 'tag':
      if (!isStr || !['=', '!=', 'LIKE', 'ILIKE'].includes(c.op)) throw invalid(`Invalid clause ${where}: ${c.type}s compare with = != LIKE ILIKE against a quoted string`);
      return c;
    case 'attribute': {
      const key = c.key === 'created' ? 'start_time' : c.key === 'run_uuid' ? 'run_id' : c.key;
      if (NUMERIC_ATTRS.has(c.key) || key === 'start_time' || key === 'end_time') {
        if (!isNum || ['LIKE', 'ILIKE', 'IN', 'NOT IN'].includes(c.op)) throw invalid(`Invalid clause ${where}: ${key} compares with = != > >= < <= against a number`);
        return { ...c, key };
      }
      if (!STRING_ATTRS.has(key)) {
        throw invalid(`Invalid attribute key '${c.key}' specified. Valid keys are '${[...STRING_ATTRS, ...NUMERIC_ATTRS].join("', '")}'`);
      }
      const list = Array.isArray(c.value);
      if ((c.op === 'IN' || c.op === 'NOT IN') !== list || (!list && !isStr) || ['>', '>=', '<', '<='].includes(c.op)) {
        throw invalid(`Invalid clause ${where}: ${key} compares with = != LIKE ILIKE against a quoted string, or IN / NOT IN against a list`);
      }
      return { ...c, key };
    }
  }
}

/** Parses a filter string; the empty string means "every run". */
export function parseFilter(filter: string | undefined): Clause[] {
  if (!filter || !filter.trim()) return [];
  const lx = new Lexer(filter);
  const out: Clause[] = [];
  for (;;) {
    const id = lx.identifier();
    const op = lx.op();
    const value = lx.value();
    out.push(checkClause({ ...id, op, value }, filter));
    if (lx.eof()) return out;
    if (lx.peekWord() !== 'AND') throw invalid(`Invalid filter '${filter}': clauses are joined with AND (MLflow has no OR); at position ${lx.pos}`);
    lx.pos += 3;
  }
}

function likeRegex(pattern: string, flags: string): RegExp {
  const body = pattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${body}$`, flags);
}

function compare(actual: string | number, op: Op, expected: Clause['value']): boolean {
  switch (op) {
    case '=': return actual === expected;
    case '!=': return actual !== expected;
    case '>': return (actual as number) > (expected as number);
    case '>=': return (actual as number) >= (expected as number);
    case '<': return (actual as number) < (expected as number);
    case '<=': return (actual as number) <= (expected as number);
    case 'LIKE': return likeRegex(expected as string, 's').test(String(actual));
    case 'ILIKE': return likeRegex(expected as string, 'is').test(String(actual));
    case 'IN': return (expected as string[]).includes(String(actual));
    case 'NOT IN': return !(expected as string[]).includes(String(actual));
  }
}

function attribute(run: Run, key: string): string | number | undefined {
  const i = run.info as unknown as Record<string, string | number | undefined>;
  return i[key];
}

/** The value of an identifier on a run; `undefined` when the run lacks it. */
export function valueOf(run: Run, type: EntityType, key: string): string | number | undefined {
  switch (type) {
    case 'metric': return run.data.metrics?.find((m) => m.key === key)?.value;
    case 'param': return run.data.params?.find((p) => p.key === key)?.value;
    case 'tag': return run.data.tags?.find((t) => t.key === key)?.value;
    case 'attribute': return attribute(run, key);
  }
}

export function matches(run: Run, clauses: readonly Clause[]): boolean {
  for (const c of clauses) {
    const v = valueOf(run, c.type, c.key);
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
    if (!lx.eof()) throw invalid(`Invalid order_by clause '${item}'. Expected '<identifier> [ASC|DESC]'`);
    let key = id.key;
    if (id.type === 'attribute') {
      key = key === 'created' ? 'start_time' : key === 'run_uuid' ? 'run_id' : key;
      if (!STRING_ATTRS.has(key) && !NUMERIC_ATTRS.has(key)) throw invalid(`Invalid attribute key '${id.key}' in order_by clause '${item}'`);
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
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { offset?: unknown };
    if (typeof parsed.offset === 'number' && Number.isInteger(parsed.offset) && parsed.offset >= 0) return parsed.offset;
  } catch {
    // fall through
  }
  throw invalid(`Invalid page token, could not base64-decode or parse '${token}'`);
}

export function checkMaxResults(n: number | undefined): number {
  if (n === undefined) return DEFAULT_MAX_RESULTS;
  if (!Number.isInteger(n) || n <= 0 || n > MAX_RESULTS_LIMIT) {
    throw invalid(`Invalid value for request parameter max_results. It must be at most ${MAX_RESULTS_LIMIT}, but got value ${n}`);
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
  if (!keys.some((k) => k.type === 'attribute' && k.key === 'start_time')) keys.push({ type: 'attribute', key: 'start_time', asc: false });
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
