/**
 * A fast reader for the plain block-style YAML that Kubernetes manifests are written in.
 *
 * Why: the `yaml` package parses about 3,500 documents/s on this machine and is the validator's
 * cost (ajv validates 300k objects/s). Generated manifests use a small, regular subset: block
 * mappings and sequences, plain or quoted one-line scalars, `|` block scalars, one-line flow
 * collections. This reader handles exactly that subset and throws `Unsupported` on anything else
 * (anchors, aliases, tags, folded or multi-line scalars, merge keys, duplicate keys, tabs, ...);
 * the caller then parses the document with the `yaml` package, which gives the authoritative
 * result and error messages. So the fast path can be incomplete but never different: whatever it
 * accepts, it resolves the way `yaml` (YAML 1.2 core schema) does.
 */

/** Thrown when the document leaves the fast subset; the caller falls back to the `yaml` package. */
export class Unsupported extends Error {}

const fail = (why: string): never => {
  throw new Unsupported(why);
};

/**
 * Plain scalars that YAML 1.2 (this reader, the `yaml` package) reads as strings but YAML 1.1
 * (go-yaml, which the Kubernetes API server and kubectl use) reads as booleans.
 */
export const YAML11_BOOLEANS: ReadonlySet<string> = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF']);

/** A plain YAML 1.1 boolean word, by 0-based line index. */
export interface AmbiguousScalar {
  readonly lineIndex: number;
  readonly value: string;
}

// Set while one document is parsed (synchronous, so never shared between documents).
let ambiguous: AmbiguousScalar[] | undefined;
let currentLine = 0;

/**
 * Parses lines[start, end) as one YAML document. Returns `undefined` for an empty document.
 * Plain YAML 1.1 boolean words met on the way are appended to `notes`.
 */
export function parseFastDocument(lines: string[], start: number, end: number, notes?: AmbiguousScalar[]): unknown {
  const p = new BlockParser(lines, start, end);
  ambiguous = notes;
  try {
    return p.document();
  } finally {
    ambiguous = undefined;
  }
}

let indentScratch = new Int32Array(4096);

class BlockParser {
  private i: number;
  private readonly start: number;
  constructor(private readonly lines: string[], start: number, private readonly end: number) {
    this.i = start;
    this.start = start;
    // One scratch buffer for every document: parsing is synchronous and one document at a time,
    // and a typed array per document (off-heap storage) is garbage the collector pays for.
    const n = end - start;
    if (indentScratch.length < n) indentScratch = new Int32Array(Math.max(n, indentScratch.length * 2));
    indentScratch.fill(-2, 0, n);
    this.indents = indentScratch;
  }

  document(): unknown {
    const first = this.nextContent();
    if (first < 0) return undefined;
    const indent = this.indentOf(first);
    const value = this.block(indent, true);
    if (this.nextContent() >= 0) fail('content after the top-level node');
    return value;
  }

  /** Indent of each line, computed once: -1 blank or comment, -2 not yet computed. */
  private readonly indents: Int32Array;
  private anchors: Map<string, unknown> | undefined;
  private aliasCount = 0;
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

  private indentOf(idx: number): number {
    const cached = this.indents[idx - this.start]!;
    if (cached !== -2) return cached;
    const line = this.lineAt(idx);
    let k = 0;
    while (k < line.length && line.charCodeAt(k) === 32) k++;
    let indent = -1;
    if (k < line.length) {
      const c = line.charCodeAt(k);
      if (c === 9) fail('tab in indentation');
      if (c !== 35 /* # */ && !(c === 13 && k === line.length - 1)) indent = k;
    }
    this.indents[idx - this.start] = indent;
    return indent;
  }

  private block(indent: number, top = false): unknown {
    const idx = this.i;
    const rest = this.lineAt(idx).slice(indent);
    if (isDash(rest)) return this.seq(indent);
    if (findKeyEnd(rest) >= 0) return this.map(indent);
    if (!top) fail('scalar where a block was expected');
    currentLine = idx;
    const value = inlineValue(rest);
    this.i++;
    return value;
  }

  private seq(indent: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      const idx = this.nextContent();
      if (idx < 0 || this.indentOf(idx) !== indent) break;
      const line = this.lineAt(idx);
      const rest = line.slice(indent);
      if (!isDash(rest)) break;
      let k = 1;
      while (k < rest.length && rest.charCodeAt(k) === 32) k++;
      const item = rest.slice(k);
      if (item === '' || item.startsWith('#') || item === '\r') {
        this.i++;
        const next = this.nextContent();
        if (next >= 0 && this.indentOf(next) > indent) out.push(this.block(this.indentOf(next)));
        else out.push(null);
        continue;
      }
      if (isDash(item)) fail('nested sequence on one line');
      if (findKeyEnd(item) >= 0 && item[0] !== '{' && item[0] !== '[') {
        // `- key: value`: a mapping whose first entry shares the dash's line. The line's indent
        // becomes the entry's column; every reader takes the line from its indent on, so the
        // dash before it is never seen (no re-indented copy of the line is made).
        this.indents[idx - this.start] = indent + k;
        out.push(this.map(indent + k));
        continue;
      }
      if (item[0] === '|' || item[0] === '>') fail('block scalar in a sequence item');
      currentLine = idx;
      out.push(inlineValue(item));
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
      const key = parseKey(line.slice(indent, keyEnd));
      if (key === '__proto__' || key === '<<') fail('special key');
      if (Object.prototype.hasOwnProperty.call(out, key)) fail('duplicate key');
      let valueText = afterSpaces(line, keyEnd + 1);
      // `key: &name value` anchors the value; `key: *name` reuses it (as the same object, like
      // the yaml package's toJS). Anchors elsewhere (keys, sequence items) leave the subset.
      let anchor: string | undefined;
      if (valueText[0] === '&') {
        const m = /^&([^\s,[\]{}]+)(?:\s+|$)/.exec(valueText);
        if (!m) fail('anchor');
        anchor = m![1]!;
        valueText = valueText.slice(m![0].length);
      } else if (valueText[0] === '*') {
        const m = /^\*([^\s,[\]{}]+)\s*(#.*)?$/.exec(valueText);
        if (!m) fail('alias');
        out[key] = this.alias(m![1]!);
        this.i++;
        this.noContinuation(indent);
        continue;
      }
      let value: unknown;
      if (valueText === '' || valueText[0] === '#' || valueText === '\r') {
        this.i++;
        const next = this.nextContent();
        if (next >= 0) {
          const ni = this.indentOf(next);
          if (ni > indent) value = this.block(ni);
          else if (ni === indent && isDashAt(this.lineAt(next), indent)) value = this.seq(indent);
          else value = null;
        } else value = null;
      } else if (valueText[0] === '|') {
        value = this.literal(indent, valueText);
      } else {
        currentLine = idx;
        value = inlineValue(valueText);
        this.i++;
        this.noContinuation(indent);
      }
      out[key] = value;
      if (anchor !== undefined) (this.anchors ??= new Map()).set(anchor, value);
    }
    return out;
  }

  private alias(name: string): unknown {
    // The yaml package refuses alias-heavy documents (resource exhaustion); let it decide.
    if (++this.aliasCount > 100) fail('many aliases');
    if (!this.anchors?.has(name)) fail('unknown alias');
    return this.anchors!.get(name);
  }

  /** A more-indented line after a one-line value would be a multi-line scalar: not in the subset. */
  private noContinuation(indent: number): void {
    const next = this.nextContent();
    if (next >= 0 && this.indentOf(next) > indent) fail('multi-line scalar');
  }

  /** `|`, `|-`, `|+` literal block scalars. */
  private literal(parentIndent: number, header: string): string {
    const m = /^\|([+-]?)\s*(#.*)?\r?$/.exec(header);
    if (!m) fail('block scalar header');
    const chomp = m![1];
    this.i++;
    const body: string[] = [];
    let contentIndent = -1;
    while (this.i < this.end) {
      const raw = this.lineAt(this.i);
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      let k = 0;
      while (k < line.length && line.charCodeAt(k) === 32) k++;
      if (k === line.length) {
        if (contentIndent >= 0 && k > contentIndent) body.push(line.slice(contentIndent));
        else if (contentIndent < 0 && k > 0) fail('leading blank line with spaces in block scalar');
        else body.push('');
        this.i++;
        continue;
      }
      if (contentIndent < 0) {
        if (k <= parentIndent) break;
        if (line.charCodeAt(k) === 9) fail('tab in block scalar indentation');
        contentIndent = k;
      }
      if (k < contentIndent) {
        if (k > parentIndent) fail('under-indented block scalar line');
        break;
      }
      body.push(line.slice(contentIndent));
      this.i++;
    }
    // Trailing blank lines were consumed; chomping decides what they mean.
    let last = body.length;
    while (last > 0 && body[last - 1] === '') last--;
    const text = body.slice(0, last).join('\n');
    if (chomp === '-') return text;
    if (chomp === '+') return last === 0 ? body.map(() => '\n').join('') : `${text}\n${body.slice(last).map(() => '\n').join('')}`;
    return last === 0 ? '' : `${text}\n`;
  }
}

function isDash(rest: string): boolean {
  return isDashAt(rest, 0);
}

/** `isDash(line.slice(at))` without the slice. */
function isDashAt(line: string, at: number): boolean {
  return line.charCodeAt(at) === 45 && (line.length === at + 1 || line.charCodeAt(at + 1) === 32 || (line.length === at + 2 && line.charCodeAt(at + 1) === 13));
}

/** `line.slice(from).trimStart()`, without a copy in the common case (spaces, then plain text). */
function afterSpaces(line: string, from: number): string {
  let k = from;
  while (line.charCodeAt(k) === 32) k++;
  const c = line.charCodeAt(k);
  // Anything but printable ASCII (tabs, CR, Unicode spaces) gets trimStart's exact meaning.
  if (k < line.length && !(c > 32 && c < 127)) return line.slice(k).trimStart();
  return line.slice(k);
}

/** Index of the `:` that ends a mapping key on this line, or -1. */
function findKeyEnd(rest: string): number {
  return findKeyEndAt(rest, 0);
}

/** `findKeyEnd(line.slice(at))`, as an index into `line`. */
function findKeyEndAt(line: string, at: number): number {
  const c = line[at];
  if (c === '"' || c === "'") {
    const close = c === '"' ? endOfDouble(line, at) : endOfSingle(line, at);
    if (close < 0) return -1;
    const k = close + 1;
    if (line[k] === ':' && (k + 1 === line.length || line[k + 1] === ' ' || line[k + 1] === '\r')) return k;
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
    if (k + 1 === line.length || line[k + 1] === ' ' || line[k + 1] === '\r') return k;
    from = k + 1;
  }
}

/** Characters that cannot start a plain key in the subset: & * ! | > % @ ` ? { } [ ] , */
const KEY_INDICATORS: ReadonlySet<number> = new Set([...'&*!|>%@`?{}[],'].map((c) => c.charCodeAt(0)));
/** Characters that cannot start a plain value in the subset: & * ! | > % @ ` ? */
const VALUE_INDICATORS: ReadonlySet<number> = new Set([...'&*!|>%@`?'].map((c) => c.charCodeAt(0)));

function parseKey(text: string): string {
  const t = text.trimEnd();
  if (t[0] === '"' || t[0] === "'") {
    const [value, end] = quoted(t, 0);
    if (end !== t.length) fail('text after quoted key');
    return value;
  }
  if (t === '' || KEY_INDICATORS.has(t.charCodeAt(0)) || t.includes(' #')) fail('key needs the full parser');
  return t;
}

/** A one-line value: quoted scalar, flow collection or plain scalar, with an optional comment. */
function inlineValue(text: string): unknown {
  if (text.endsWith('\r')) text = text.slice(0, -1);
  const c = text[0];
  if (c === '"' || c === "'") {
    const [value, end] = quoted(text, 0);
    expectEnd(text, end);
    return value;
  }
  if (c === '[' || c === '{') {
    const [value, end] = flow(text, 0);
    expectEnd(text, end);
    return value;
  }
  if (c === undefined || VALUE_INDICATORS.has(text.charCodeAt(0)) || (c === '-' && (text[1] === ' ' || text.length === 1)) || c === ',' || c === ']' || c === '}') fail('indicator');
  const hash = text.indexOf(' #');
  const plain = (hash >= 0 ? text.slice(0, hash) : text).trimEnd();
  if ((plain.includes(':') && /:(\s|$)/.test(plain)) || plain.includes('\t#')) fail('mapping in a plain scalar');
  return resolveNoted(plain);
}

function resolveNoted(plain: string): unknown {
  if (ambiguous && YAML11_BOOLEANS.has(plain)) ambiguous.push({ lineIndex: currentLine, value: plain });
  return resolvePlain(plain);
}

function expectEnd(text: string, end: number): void {
  let k = end;
  while (k < text.length && (text[k] === ' ' || text[k] === '\t')) k++;
  if (k < text.length && !(text[k] === '#' && k > end)) fail('text after a value');
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
  // Only strings that start like a number can resolve to one.
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (/^[-+]?[0-9]+$/.test(s)) return Number(s);
    if (/^0o[0-7]+$/.test(s)) return parseInt(s.slice(2), 8);
    if (/^0x[0-9a-fA-F]+$/.test(s)) return parseInt(s.slice(2), 16);
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(s)) return parseFloat(s);
    if (/^[-+]?\.(?:inf|Inf|INF)$/.test(s)) return s[0] === '-' ? -Infinity : Infinity;
    if (/^\.(?:nan|NaN|NAN)$/.test(s)) return NaN;
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

const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\x85', _: '\xa0', L: '\u2028', P: '\u2029',
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
  if (!body.includes('\\')) return [body, end + 1];
  let out = '';
  for (let k = 0; k < body.length; k++) {
    const ch = body[k]!;
    if (ch !== '\\') {
      out += ch;
      continue;
    }
    const e = body[++k]!;
    if (e in ESCAPES) out += ESCAPES[e];
    else if (e === 'x' || e === 'u' || e === 'U') {
      const n = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(k + 1, k + 1 + n);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== n) fail('bad escape');
      out += String.fromCodePoint(parseInt(hex, 16));
      k += n;
    } else fail('unknown escape');
  }
  return [out, end + 1];
}

/** A one-line flow collection (`[a, b]`, `{ k: v }`), nesting allowed. */
function flow(text: string, start: number): [unknown, number] {
  const open = text[start];
  const close = open === '[' ? ']' : '}';
  const isMap = open === '{';
  const out: unknown[] | Record<string, unknown> = isMap ? {} : [];
  let k = skipSpaces(text, start + 1);
  if (text[k] === close) return [out, k + 1];
  for (;;) {
    let key: string | undefined;
    if (isMap) {
      const [kv, kEnd] = flowScalar(text, k, true);
      if (typeof kv !== 'string' && typeof kv !== 'number' && typeof kv !== 'boolean') fail('flow key');
      key = String(kv);
      k = skipSpaces(text, kEnd);
      if (text[k] !== ':') fail('flow mapping entry without value');
      k = skipSpaces(text, k + 1);
      if (key === '__proto__' || key === '<<' || Object.prototype.hasOwnProperty.call(out, key)) fail('flow key');
    }
    let value: unknown;
    if (text[k] === '[' || text[k] === '{') [value, k] = flow(text, k);
    else [value, k] = flowScalar(text, k, false);
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

function flowScalar(text: string, k: number, asKey: boolean): [unknown, number] {
  const c = text[k];
  if (c === '"' || c === "'") return quoted(text, k);
  if (c === undefined || /[&*!|>%@`?#[\]{},]/.test(c)) fail('flow indicator');
  let e = k;
  while (e < text.length) {
    const ch = text[e];
    if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{') break;
    if (ch === ':' && (asKey || text[e + 1] === ' ' || text[e + 1] === ',' || text[e + 1] === undefined)) break;
    if (ch === '#' && text[e - 1] === ' ') fail('comment inside flow');
    e++;
  }
  return [asKey ? resolvePlain(text.slice(k, e).trim()) : resolveNoted(text.slice(k, e).trim()), e];
}

function skipSpaces(text: string, k: number): number {
  while (text[k] === ' ') k++;
  return k;
}
