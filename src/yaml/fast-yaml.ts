/**
 * A fast reader for the plain block-style YAML that Kubernetes manifests are written in.
 *
 * Why: the `yaml` package parses about 3,500 documents/s on this machine and is the validator's
 * cost (ajv validates 300k objects/s). Generated manifests use a small, regular subset: block
 * mappings and sequences, plain or quoted one-line scalars, `|`/`|-` block scalars, one-line flow
 * collections. This reader handles exactly that subset and throws `Unsupported` whenever it is
 * not certain (anchors, aliases, tags, folded, kept or multi-line scalars, keys that could resolve
 * to something other than a string, tabs, control and Unicode space characters, plain scalars
 * holding `:` or `#` inside flow collections, ...); the caller then parses the document with the
 * `yaml` package, which gives the authoritative result and error messages. So the fast path can
 * be incomplete but never different: whatever it accepts, it resolves the way `yaml` (YAML 1.2
 * core schema) does. The accepted subset is listed in docs/validate.md.
 *
 * All state lives in one `FastReader` per call: nothing is shared between calls.
 */
import { AgentCanaryError } from '../errors/error.js';

/**
 * Thrown when the document leaves the fast subset; the caller falls back to the `yaml` package,
 * so it never reaches a user (kind `internal` if it ever did).
 */
export class Unsupported extends AgentCanaryError {
  constructor(why: string) {
    super('internal', why);
  }
}

const fail = (why: string): never => {
  throw new Unsupported(why);
};

/**
 * Plain scalars that YAML 1.2 (this reader, the `yaml` package) reads as strings but YAML 1.1
 * (go-yaml, which the Kubernetes API server and kubectl use) reads as booleans.
 */
export const YAML11_BOOLEANS: ReadonlySet<string> = new Set([
  'y',
  'Y',
  'yes',
  'Yes',
  'YES',
  'n',
  'N',
  'no',
  'No',
  'NO',
  'on',
  'On',
  'ON',
  'off',
  'Off',
  'OFF',
]);

/** A plain YAML 1.1 boolean word, by 0-based line index. */
export interface AmbiguousScalar {
  readonly lineIndex: number;
  readonly value: string;
}

/**
 * Characters the subset leaves to the `yaml` package: tabs, CR and every other control
 * character, DEL and the C1 controls (NEL is a line break in YAML 1.1), the no-break space and
 * every other Unicode space or separator that JavaScript's `trim` and `\s` would treat as
 * white space but YAML 1.2 treats as content, the byte-order mark and non-characters.
 */
const SUSPECT =
  // eslint-disable-next-line no-control-regex -- control characters are what it finds
  /[\0-\x1f\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff\ufffe\uffff]/;

/** Longest implicit key YAML allows (`yaml` refuses longer ones). */
const MAX_KEY = 1024;

/**
 * Parses lines[start, end) as one YAML document. Returns `undefined` for an empty document.
 * Plain YAML 1.1 boolean words met on the way are appended to `notes`.
 */
export function parseFastDocument(
  lines: readonly string[],
  start: number,
  end: number,
  notes?: AmbiguousScalar[],
): unknown {
  for (let k = start; k < end; k++) {
    const line = lines[k]!;
    if (SUSPECT.test(line)) fail('character outside the subset');
    // Document markers and directives belong to the caller's split (`---` inside one document
    // would end it); a line that only looks like one (`---x`) is left to the `yaml` package too.
    const c = line.charCodeAt(0);
    if (c === 37 || ((c === 45 || c === 46) && (line.startsWith('---') || line.startsWith('...'))))
      fail('marker line');
  }
  return new FastReader(lines, start, end, notes).document();
}

class FastReader {
  private i: number;
  /** The line whose indent was last computed, and that indent (-1 blank or comment). */
  private cachedLine = -1;
  private cachedIndent = -1;
  /** A `- key: value` line: its mapping starts after the dash, at this column. */
  private dashLine = -1;
  private dashIndent = -1;
  /** Line of the scalar being resolved, for notes. */
  private currentLine = 0;

  constructor(
    private readonly lines: readonly string[],
    start: number,
    private readonly end: number,
    private readonly notes: AmbiguousScalar[] | undefined,
  ) {
    this.i = start;
  }

  document(): unknown {
    const first = this.nextContent();
    if (first < 0) return undefined;
    const value = this.block(this.indentOf(first), true);
    if (this.nextContent() >= 0) fail('content after the top-level node');
    return value;
  }

  private lineAt(idx: number): string {
    return this.lines[idx]!;
  }

  /** Index of the next line with content (skipping blanks and comments), or -1. Moves `i` there. */
  private nextContent(): number {
    while (this.i < this.end) {
      if (this.indentOf(this.i) >= 0) return this.i;
      this.i++;
    }
    return -1;
  }

  /** Indent of a line: -1 for a blank or comment line. */
  private indentOf(idx: number): number {
    if (idx === this.dashLine) return this.dashIndent;
    if (idx === this.cachedLine) return this.cachedIndent;
    const line = this.lineAt(idx);
    let k = 0;
    while (k < line.length && line.charCodeAt(k) === 32) k++;
    const indent = k < line.length && line.charCodeAt(k) !== 35 /* # */ ? k : -1;
    this.cachedLine = idx;
    this.cachedIndent = indent;
    return indent;
  }

  private block(indent: number, top = false): unknown {
    const idx = this.i;
    const line = this.lineAt(idx);
    if (isDashAt(line, indent)) return this.seq(indent);
    if (findKeyEndAt(line, indent) >= 0) return this.map(indent);
    if (!top) fail('scalar where a block was expected');
    this.currentLine = idx;
    const value = this.inlineValue(line.slice(indent));
    this.i++;
    return value;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      const idx = this.nextContent();
      if (idx < 0 || this.indentOf(idx) !== indent) break;
      const line = this.lineAt(idx);
      if (!isDashAt(line, indent)) break;
      let k = indent + 1;
      while (k < line.length && line.charCodeAt(k) === 32) k++;
      if (k === line.length || line.charCodeAt(k) === 35 /* # */) {
        this.i++;
        const next = this.nextContent();
        if (next >= 0 && this.indentOf(next) > indent) out.push(this.block(this.indentOf(next)));
        else out.push(null);
        continue;
      }
      if (isDashAt(line, k)) fail('nested sequence on one line');
      const c = line[k];
      if (c !== '{' && c !== '[' && findKeyEndAt(line, k) >= 0) {
        // `- key: value`: a mapping whose first entry shares the dash's line. That line's indent
        // becomes the entry's column; every reader takes the line from its indent on, so the
        // dash before it is never seen (no re-indented copy of the line is made).
        this.dashLine = idx;
        this.dashIndent = k;
        out.push(this.map(k));
        continue;
      }
      if (c === '|' || c === '>') fail('block scalar in a sequence item');
      this.currentLine = idx;
      out.push(this.inlineValue(line.slice(k)));
      this.i++;
      this.noContinuation(indent);
    }
    return out;
  }

  private map(indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (;;) {
      const idx = this.nextContent();
      if (idx < 0 || this.indentOf(idx) !== indent) break;
      // Offsets into the line, not slices of it: this runs for every mapping entry.
      const line = this.lineAt(idx);
      if (isDashAt(line, indent)) break;
      const keyEnd = findKeyEndAt(line, indent);
      if (keyEnd < 0) fail('not a mapping entry');
      if (keyEnd - indent > MAX_KEY) fail('key too long');
      const key = parseKey(line, indent, keyEnd);
      if (Object.prototype.hasOwnProperty.call(out, key)) fail('duplicate key');
      let v = keyEnd + 1;
      while (v < line.length && line.charCodeAt(v) === 32) v++;
      let value: unknown;
      if (v === line.length || line.charCodeAt(v) === 35 /* # */) {
        this.i++;
        const next = this.nextContent();
        if (next >= 0) {
          const ni = this.indentOf(next);
          if (ni > indent) value = this.block(ni);
          else if (ni === indent && isDashAt(this.lineAt(next), indent)) value = this.seq(indent);
          else value = null;
        } else value = null;
      } else if (line.charCodeAt(v) === 124 /* | */) {
        value = this.literal(indent, line.slice(v));
      } else {
        this.currentLine = idx;
        value = this.inlineValue(line.slice(v));
        this.i++;
        this.noContinuation(indent);
      }
      out[key] = value;
    }
    return out;
  }

  /** A more-indented line after a one-line value would be a multi-line scalar: not in the subset. */
  private noContinuation(indent: number): void {
    const next = this.nextContent();
    if (next >= 0 && this.indentOf(next) > indent) fail('multi-line scalar');
  }

  /**
   * `|` and `|-` literal block scalars with an implicit indentation (`|+`, indentation
   * indicators and folded `>` scalars go to the `yaml` package).
   */
  private literal(parentIndent: number, header: string): string {
    const strip = header.charCodeAt(1) === 45; /* - */
    let h = strip ? 2 : 1;
    while (h < header.length && header.charCodeAt(h) === 32) h++;
    if (h < header.length && !(header.charCodeAt(h) === 35 && header.charCodeAt(h - 1) === 32))
      fail('block scalar header');
    this.i++;
    const body: string[] = [];
    let contentIndent = -1;
    while (this.i < this.end) {
      const line = this.lineAt(this.i);
      let k = 0;
      while (k < line.length && line.charCodeAt(k) === 32) k++;
      if (k === line.length) {
        if (contentIndent < 0 && k > 0) fail('leading blank line with spaces in block scalar');
        body.push(contentIndent >= 0 && k > contentIndent ? line.slice(contentIndent) : '');
        this.i++;
        continue;
      }
      if (contentIndent < 0) {
        if (k <= parentIndent) break;
        contentIndent = k;
      }
      if (k < contentIndent) {
        if (k > parentIndent) fail('under-indented block scalar line');
        break;
      }
      body.push(line.slice(contentIndent));
      this.i++;
    }
    // Trailing blank lines were consumed; chomping drops them (clip keeps one line break).
    let last = body.length;
    while (last > 0 && body[last - 1] === '') last--;
    const text = body.slice(0, last).join('\n');
    if (strip) return text;
    return last === 0 ? '' : `${text}\n`;
  }

  /** A one-line value: quoted scalar, flow collection or plain scalar, with an optional comment. */
  private inlineValue(text: string): unknown {
    const c = text[0];
    if (c === '"' || c === "'") {
      const [value, end] = quoted(text, 0);
      expectEnd(text, end);
      return value;
    }
    if (c === '[' || c === '{') {
      const [value, end] = this.flow(text, 0);
      expectEnd(text, end);
      return value;
    }
    if (
      c === undefined ||
      VALUE_INDICATORS.has(text.charCodeAt(0)) ||
      (c === '-' && (text[1] === ' ' || text.length === 1))
    )
      fail('indicator');
    const hash = text.indexOf(' #');
    const plain = trimSpacesEnd(hash >= 0 ? text.slice(0, hash) : text);
    if (plain.includes(': ') || plain.endsWith(':')) fail('mapping in a plain scalar');
    return this.resolveNoted(plain);
  }

  private resolveNoted(plain: string): unknown {
    if (this.notes && YAML11_BOOLEANS.has(plain))
      this.notes.push({ lineIndex: this.currentLine, value: plain });
    return resolvePlain(plain);
  }

  /** A one-line flow collection (`[a, b]`, `{ k: v }`), nesting allowed. */
  private flow(text: string, start: number): [unknown, number] {
    const open = text[start];
    const close = open === '[' ? ']' : '}';
    const isMap = open === '{';
    const out: unknown[] | Record<string, unknown> = isMap ? {} : [];
    let k = skipSpaces(text, start + 1);
    if (text[k] === close) return [out, k + 1];
    for (;;) {
      let key: string | undefined;
      if (isMap) {
        let kEnd: number;
        if (text[k] === '"' || text[k] === "'") [key, kEnd] = quoted(text, k);
        else {
          kEnd = k;
          while (kEnd < text.length && isKeyChar(text.charCodeAt(kEnd))) kEnd++;
          key = plainKey(text.slice(k, kEnd));
        }
        k = skipSpaces(text, kEnd);
        // `{a: b}` only: `{a:b}` is the key "a:b", `{a}` a key without value.
        if (text[k] !== ':' || text[k + 1] !== ' ') fail('flow mapping entry');
        k = skipSpaces(text, k + 1);
        if (key === '__proto__' || Object.prototype.hasOwnProperty.call(out, key)) fail('flow key');
      }
      let value: unknown;
      if (text[k] === '[' || text[k] === '{') [value, k] = this.flow(text, k);
      else [value, k] = this.flowScalar(text, k);
      if (isMap) (out as Record<string, unknown>)[key!] = value;
      else (out as unknown[]).push(value);
      k = skipSpaces(text, k);
      if (text[k] === ',') {
        k = skipSpaces(text, k + 1);
        if (text[k] === close) return [out, k + 1];
        continue;
      }
      if (text[k] === close) return [out, k + 1];
      fail('flow collection not closed on its line');
    }
  }

  /**
   * A quoted or plain scalar inside a flow collection. Plain ones holding `:` or `#` (which may
   * start a pair or a comment there) or starting with an indicator are left to the `yaml` package.
   */
  private flowScalar(text: string, k: number): [unknown, number] {
    const c = text[k];
    if (c === '"' || c === "'") return quoted(text, k);
    if (
      c === undefined ||
      FLOW_START.test(c) ||
      (c === '-' && (text[k + 1] === ' ' || text[k + 1] === undefined))
    )
      fail('flow indicator');
    let e = k;
    while (e < text.length) {
      const ch = text.charCodeAt(e);
      if (ch === 44 || ch === 93 || ch === 125) break; // , ] }
      if (ch === 58 || ch === 35 || ch === 91 || ch === 123) fail('flow plain scalar'); // : # [ {
      e++;
    }
    const plain = trimSpacesEnd(text.slice(k, e));
    if (plain === '-') fail('flow indicator');
    return [this.resolveNoted(plain), e];
  }
}

/** `- ` (or a lone `-`) at column `at`. */
function isDashAt(line: string, at: number): boolean {
  return line.charCodeAt(at) === 45 && (line.length === at + 1 || line.charCodeAt(at + 1) === 32);
}

/** Index of the `:` that ends a mapping key starting at `at`, or -1. */
function findKeyEndAt(line: string, at: number): number {
  const c = line[at];
  if (c === '"' || c === "'") {
    const close = c === '"' ? endOfDouble(line, at) : endOfSingle(line, at);
    if (close < 0) return -1;
    const k = close + 1;
    if (line[k] === ':' && (k + 1 === line.length || line[k + 1] === ' ')) return k;
    return -1;
  }
  if (c === '[' || c === '{' || c === '#') return -1;
  let from = at;
  let hash = -2;
  for (;;) {
    const k = line.indexOf(':', from);
    if (k < 0) return -1;
    if (hash === -2) hash = line.indexOf(' #', at);
    if (hash >= 0 && hash < k) return -1;
    if (k + 1 === line.length || line[k + 1] === ' ') return k;
    from = k + 1;
  }
}

/** Letters, digits and `-._/`: the characters of Kubernetes keys (labels, annotations, fields). */
function isKeyChar(c: number): boolean {
  return (
    (c >= 97 && c <= 122) ||
    (c >= 65 && c <= 90) ||
    (c >= 48 && c <= 57) ||
    c === 45 ||
    c === 46 ||
    c === 95 ||
    c === 47
  );
}

/**
 * A plain key the subset reads as itself: Kubernetes key characters only, starting with a letter,
 * `_` or `/`, and not a word that resolves to null or a boolean. Keys starting with a digit or
 * a sign (`1`, `01`, `0x1`, `.5` all resolve to numbers, and the `yaml` package compares them
 * as such for duplicates) and keys with other characters go to the `yaml` package.
 */
function plainKey(text: string): string {
  const c = text.charCodeAt(0);
  if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 47))
    fail('key needs the full parser');
  if (typeof resolvePlain(text) !== 'string' || text === '__proto__')
    fail('key that is not a string');
  return text;
}

/** The key of the entry at `line[indent, keyEnd)`. */
function parseKey(line: string, indent: number, keyEnd: number): string {
  const c = line[indent];
  if (c === '"' || c === "'") {
    const [value, end] = quoted(line, indent);
    if (end !== keyEnd) fail('text after quoted key');
    if (value === '__proto__' || value === '<<') fail('special key');
    return value;
  }
  let e = keyEnd;
  while (e > indent && line.charCodeAt(e - 1) === 32) e--;
  for (let k = indent; k < e; k++)
    if (!isKeyChar(line.charCodeAt(k))) fail('key needs the full parser');
  return plainKey(line.slice(indent, e));
}

/** Characters that cannot start a plain value in the subset: & * ! | > % @ ` ? : , ] } */
const VALUE_INDICATORS: ReadonlySet<number> = new Set(
  [...'&*!|>%@`?:,]}'].map((c) => c.charCodeAt(0)),
);
/** Characters that cannot start a plain scalar inside a flow collection. */
const FLOW_START = /[&*!|>%@`?:#,[\]{}]/;

function expectEnd(text: string, end: number): void {
  let k = end;
  while (k < text.length && text.charCodeAt(k) === 32) k++;
  if (k < text.length && !(text[k] === '#' && k > end)) fail('text after a value');
}

function trimSpacesEnd(s: string): string {
  let e = s.length;
  while (e > 0 && s.charCodeAt(e - 1) === 32) e--;
  return e === s.length ? s : s.slice(0, e);
}

function skipSpaces(text: string, k: number): number {
  while (text.charCodeAt(k) === 32) k++;
  return k;
}

/** YAML 1.2 core schema resolution of a plain scalar, as the `yaml` package does it. */
export function resolvePlain(s: string): unknown {
  switch (s) {
    case '':
    case '~':
    case 'null':
    case 'Null':
    case 'NULL':
      return null;
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
  }
  const c = s.charCodeAt(0);
  // Only strings that start like a number can resolve to one. Same tests, same order and same
  // conversions (parseInt, parseFloat) as the `yaml` package's core schema.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
    if (/^[-+]?[0-9]+$/.test(s)) return parseInt(s, 10);
    if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
    if (/^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/.test(s)) {
      return s.endsWith('N') || s.endsWith('n') ? NaN : s[0] === '-' ? -Infinity : Infinity;
    }
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/.test(s)) return parseFloat(s);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/.test(s)) return parseFloat(s);
  }
  return s;
}

function endOfSingle(text: string, start: number): number {
  let k = start + 1;
  for (;;) {
    const q = text.indexOf("'", k);
    if (q < 0) return -1;
    if (text[q + 1] === "'") {
      k = q + 2;
      continue;
    }
    return q;
  }
}

function endOfDouble(text: string, start: number): number {
  for (let k = start + 1; k < text.length; k++) {
    const ch = text[k];
    if (ch === '\\') k++;
    else if (ch === '"') return k;
  }
  return -1;
}

const ESCAPES: Readonly<Record<string, string>> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\x85',
  _: '\xa0',
  L: '\u2028',
  P: '\u2029',
};

/** A one-line quoted scalar starting at `start`; returns [value, index after the closing quote]. */
function quoted(text: string, start: number): [string, number] {
  if (text[start] === "'") {
    const end = endOfSingle(text, start);
    if (end < 0) fail('multi-line single-quoted scalar');
    return [text.slice(start + 1, end).replace(/''/g, "'"), end + 1];
  }
  const end = endOfDouble(text, start);
  if (end < 0) fail('multi-line double-quoted scalar');
  const body = text.slice(start + 1, end);
  let k = body.indexOf('\\');
  if (k < 0) return [body, end + 1];
  // Runs between escapes, joined once: `out += ch` per character would leave a chain of one
  // rope node per character (32 bytes each) in every object that keeps the value, e.g. the
  // JSON held in an env var, which the loaded objects keep until the rules have run.
  const parts: string[] = [];
  let from = 0;
  while (k >= 0) {
    if (k > from) parts.push(body.slice(from, k));
    const e = body[k + 1]!;
    if (Object.prototype.hasOwnProperty.call(ESCAPES, e)) {
      parts.push(ESCAPES[e]!);
      from = k + 2;
    } else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(k + 2, k + 2 + n);
      if (hex.length !== n || !/^[0-9a-fA-F]+$/.test(hex)) fail('bad escape');
      const code = parseInt(hex, 16);
      // Surrogate halves and code points past U+10FFFF: let the `yaml` package decide.
      if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
        fail('escape outside Unicode scalars');
      parts.push(String.fromCodePoint(code));
      from = k + 2 + n;
    } else fail('unknown escape');
    k = body.indexOf('\\', from);
  }
  if (from < body.length) parts.push(body.slice(from));
  return [parts.join(''), end + 1];
}
