/**
 * A deterministic YAML emitter for Kubernetes objects (JSON data: maps, lists, strings, numbers,
 * booleans, null).
 *
 * Why not `yaml.stringify`: it is correct but slow for thousands of documents (see
 * docs/generator.md for the figures), and its output depends on options we would pin anyway. This
 * emitter writes one fixed style: block maps and lists, keys in insertion order (the constructs
 * build objects in a fixed order), two-space indent, list items not indented under their key
 * (kubectl's style), plain scalars where YAML 1.1 and 1.2 both read them as the same string,
 * double-quoted JSON strings otherwise, literal blocks (`|`, `|-`) for multi-line text, LF line
 * endings and a trailing newline. `yaml.parse(emit(x))` deep-equals `x` (tested).
 */

/** Words YAML 1.1 or 1.2 resolve to booleans or null. */
const RESERVED = new Set(['y', 'n', 'yes', 'no', 'on', 'off', 'true', 'false', 'null', '~']);
/**
 * Safe plain scalar: starts with a letter, `/` or `_`; no `: ` or ` #`, no flow or indicator
 * characters; never ends with `:` or a space. Anything numeric-looking starts with a digit, sign
 * or dot and so is quoted.
 */
const PLAIN = /^[A-Za-z_/][A-Za-z0-9_./@+=$%()*^~?<>;:-]*(?: [A-Za-z0-9_./@+=$%()*^~?<>;:-]+)*$/;
const PLAIN_BAD = /: |:$|<<|\$\{/;

function scalarString(s: string): string {
  if (
    s.length > 0 &&
    s.length < 200 &&
    PLAIN.test(s) &&
    !PLAIN_BAD.test(s) &&
    !RESERVED.has(s.toLowerCase())
  )
    return s;
  // JSON escapes are YAML escapes; also escape what YAML reads as line breaks or BOM.
  return JSON.stringify(s).replace(
    /[\u007f-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** Text fit for a literal block: printable lines, no tabs or CR, first line not indented. */
const BLOCK_SAFE =
  // eslint-disable-next-line no-control-regex -- the control characters are what it rules out
  /^[^\s][^\t\r\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u0085\u2028\u2029\ufeff]*$/s;

function literalBlock(s: string, indent: string): string | undefined {
  if (!s.includes('\n') || !BLOCK_SAFE.test(s)) return undefined;
  let chomp: string;
  let body: string;
  if (s.endsWith('\n')) {
    if (s.endsWith('\n\n')) return undefined; // keep-chomping is rare; quote instead
    chomp = '|';
    body = s.slice(0, -1);
  } else {
    chomp = '|-';
    body = s;
  }
  const lines = body.split('\n');
  // A line with trailing spaces survives a literal block, but an all-space line would be
  // ambiguous with the indentation; quote those.
  if (lines.some((l) => l.length > 0 && l.trim() === '')) return undefined;
  return chomp + '\n' + lines.map((l) => (l.length ? indent + l : '')).join('\n');
}

// Short strings repeat across objects (ports, label values, policy settings): decide their form once.
const scalarCache = new Map<string, string>();
function cachedScalarString(v: string): string {
  if (v.length > 64) return scalarString(v);
  let s = scalarCache.get(v);
  if (s === undefined) {
    s = scalarString(v);
    if (scalarCache.size < 50_000) scalarCache.set(v, s);
  }
  return s;
}

function scalar(v: unknown, indent: string): string {
  if (v === null || v === undefined) return 'null';
  switch (typeof v) {
    case 'string':
      return v.includes('\n')
        ? (literalBlock(v, indent) ?? scalarString(v))
        : cachedScalarString(v);
    case 'number':
      if (!Number.isFinite(v)) throw new Error(`YAML emitter: ${v} is not a finite number`);
      return String(v);
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      throw new Error(`YAML emitter: cannot emit a ${typeof v}`);
  }
}

function emptyCollection(v: unknown): string | undefined {
  if (Array.isArray(v)) return v.length === 0 ? '[]' : undefined;
  if (v !== null && typeof v === 'object') {
    for (const _ in v) return undefined;
    return '{}';
  }
  return undefined;
}

// Keys repeat across thousands of objects (labels, container fields): emit each once.
const keyCache = new Map<string, string>();
function key(k: string): string {
  let s = keyCache.get(k);
  if (s === undefined) {
    s = scalarString(k);
    if (keyCache.size < 10_000) keyCache.set(k, s);
  }
  return s;
}

function emitMap(obj: Record<string, unknown>, indent: string): string {
  let out = '';
  for (const k in obj) {
    const v = obj[k];
    if (v === undefined) continue;
    if (v !== null && typeof v === 'object') {
      const empty = emptyCollection(v);
      if (empty) out += `${indent}${key(k)}: ${empty}\n`;
      else if (Array.isArray(v)) out += `${indent}${key(k)}:\n` + emitList(v, indent);
      else {
        const inner = emitMap(v as Record<string, unknown>, indent + '  ');
        out += inner ? `${indent}${key(k)}:\n${inner}` : `${indent}${key(k)}: {}\n`; // only undefined values
      }
    } else out += `${indent}${key(k)}: ${scalar(v, indent + '  ')}\n`;
  }
  return out;
}

function emitList(list: readonly unknown[], indent: string): string {
  let out = '';
  for (const item of list) {
    if (item !== null && typeof item === 'object') {
      const empty = emptyCollection(item);
      if (empty) out += `${indent}- ${empty}\n`;
      else if (Array.isArray(item)) out += `${indent}-\n` + emitList(item, indent + '  ');
      // First key on the dash line, the rest aligned under it.
      else {
        const inner = emitMap(item as Record<string, unknown>, indent + '  ');
        out += inner ? `${indent}- ${inner.slice(indent.length + 2)}` : `${indent}- {}\n`;
      }
    } else out += `${indent}- ${scalar(item, indent + '  ')}\n`;
  }
  return out;
}

/** One YAML document (no `---`), LF endings, trailing newline. */
export function emitYaml(doc: Record<string, unknown>): string {
  return emitMap(doc, '');
}
