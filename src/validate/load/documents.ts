/**
 * Text of one file -> Kubernetes objects, each able to say on which line any of its fields sits.
 *
 * Documents are split on `---`/`...` marker lines, read with the fast subset reader, and handed
 * to the `yaml` package when they leave the subset (anchors, folded scalars, errors, ...). Line
 * numbers for findings are computed lazily: only a document that has a finding is re-parsed
 * with positions, so clean input pays nothing for them.
 */
import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, visit, type Node } from 'yaml';
import { parseFastDocument, Unsupported, YAML11_BOOLEANS, type AmbiguousScalar } from '../../yaml/fast-yaml.js';
import { looksLikeJson, parseJsonStrict } from './json.js';
import { objectRef, type Finding, type Resource } from '../types.js';

export interface LoadedText {
  readonly resources: Resource[];
  /** Problems that stop objects from being read: parse errors, documents that are not objects. */
  readonly findings: Finding[];
  /** Documents with nothing in them (skipped, like kubeconform). */
  readonly emptyDocuments: number;
}

interface DocSlice {
  /** 0-based line index of the document's first line (after its `---`). */
  readonly first: number;
  /** Exclusive end line index. */
  readonly end: number;
  /** Text after `--- ` on the marker line (e.g. `--- {a: 1}`), which must go to the full parser. */
  readonly inline: string;
}

/**
 * Splits lines into documents at `---` and `...` marker lines (column 0, as YAML requires);
 * `undefined` when a line starts with `%` (a directive: the file is read whole).
 */
function splitDocuments(lines: string[]): DocSlice[] | undefined {
  const docs: DocSlice[] = [];
  let first = 0;
  let inline = '';
  let open = true;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const c = line.charCodeAt(0);
    // Directives (%YAML, %TAG) apply across documents: the caller reads such files whole.
    if (c === 37) return undefined;
    if (c !== 45 && c !== 46) continue;
    const start = line.startsWith('---') ? '---' : line.startsWith('...') ? '...' : '';
    if (!start || (line.length > 3 && line[3] !== ' ' && line[3] !== '\t')) continue;
    if (open) docs.push({ first, end: i, inline });
    inline = start === '---' ? line.slice(4).trim() : '';
    if (inline.startsWith('#')) inline = '';
    first = i + 1;
    open = start === '---';
  }
  if (open) docs.push({ first, end: lines.length, inline });
  return docs;
}

export function loadText(file: string, raw: string): LoadedText {
  // A byte-order mark is not content (editors on Windows write one); CRLF is one line break.
  const unmarked = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const text = unmarked.includes('\r') ? unmarked.replace(/\r\n?/g, '\n') : unmarked;
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  let emptyDocuments = 0;
  if (text.includes('\0')) {
    findings.push({ ruleId: 'parse', severity: 'error', file, line: 1, message: 'not a text file (contains NUL bytes)', fix: 'pass only YAML or JSON manifests' });
    return { resources, findings, emptyDocuments };
  }
  if (looksLikeJson(text)) {
    try {
      const value = parseJsonStrict(text);
      const startLine = text.slice(0, text.search(/\S/)).split('\n').length;
      let locator: Locator | undefined;
      const locate = (path: readonly (string | number)[]): number => {
        locator ??= new Locator(text, 0);
        return locator.line(0, path, startLine);
      };
      addObject(file, 0, startLine, value, locate, resources, findings);
      return { resources, findings, emptyDocuments };
    } catch (err) {
      if (!(err instanceof Unsupported)) throw err;
      // not strict JSON (or a duplicate key): the YAML path reports it with its line
    }
  }
  const lines = text.split('\n');
  const split = splitDocuments(lines);
  const whole = split === undefined;
  const slices: DocSlice[] = split ?? [{ first: 0, end: lines.length, inline: '' }];
  let docIndex = 0;
  for (const slice of slices) {
    const index = docIndex++;
    const lineOffset = slice.inline ? slice.first - 1 : slice.first;
    let values: unknown[];
    let startLine = slice.first + 1;
    let notes: AmbiguousScalar[] = [];
    try {
      if (whole || slice.inline) throw new Unsupported('marker line content');
      values = [parseFastDocument(lines, slice.first, slice.end, notes)];
    } catch (err) {
      // Unsupported: outside the fast subset. RangeError: nesting deeper than the stack; the full
      // parser gets the document either way and reports what it makes of it.
      if (!(err instanceof Unsupported) && !(err instanceof RangeError)) throw err;
      const parsed = parseFull(file, whole ? text : sliceText(lines, slice), whole ? 0 : lineOffset, findings);
      if (!parsed) continue;
      values = parsed.values;
      notes = parsed.notes;
      if (parsed.startLine) startLine = parsed.startLine;
    }
    if (!whole) {
      // The object starts at its first content line, not at the `---`.
      for (let i = slice.first; i < slice.end; i++) {
        const l = lines[i]!.trim();
        if (l && !l.startsWith('#')) {
          startLine = i + 1;
          break;
        }
      }
    }
    // One position source per document, shared by its objects and parsed only when asked.
    const positions = new DocPositions(whole ? text : undefined, lines, slice, whole ? 0 : lineOffset, startLine);
    const before = resources.length;
    for (let vi = 0; vi < values.length; vi++) {
      const value = values[vi];
      if (value === undefined || value === null) {
        emptyDocuments++;
        continue;
      }
      const locate = locateIn(positions, vi);
      addObject(file, whole ? vi : index, whole ? locate([]) : startLine, value, locate, resources, findings);
    }
    if (notes.length) attachNotes(file, notes, resources.slice(before));
  }
  return { resources, findings, emptyDocuments };
}

/**
 * `value: on` is the string "on" in YAML 1.2 (what this loader reads) but the boolean true for
 * the API server and kubectl (go-yaml, YAML 1.1): a manifest that validates here could be
 * rejected there, or mean something else. Each such plain scalar becomes a warning on the object
 * it belongs to (the last object starting at or before its line).
 */
function attachNotes(file: string, notes: readonly AmbiguousScalar[], docResources: Resource[]): void {
  for (const n of notes) {
    const line = n.lineIndex + 1;
    let owner: Resource | undefined;
    for (const r of docResources) if (r.line <= line) owner = r;
    owner ??= docResources[0];
    if (!owner) continue;
    const word = n.value;
    const asBool = ['y', 'yes', 'on'].includes(word.toLowerCase()) ? 'true' : 'false';
    (owner.notes ??= []).push({
      ruleId: 'yaml-1.1-boolean', severity: 'warning', file, line, object: objectRef(owner.object),
      message: `plain ${word} is the string "${word}" in YAML 1.2 but the boolean ${asBool} for kubectl and the API server (YAML 1.1)`,
      fix: `quote it ("${word}") if you mean the string, or write ${asBool}`,
    });
  }
}

function addObject(
  file: string,
  docIndex: number,
  line: number,
  value: unknown,
  locate: (path: readonly (string | number)[]) => number,
  resources: Resource[],
  findings: Finding[],
): void {
  if (typeof value !== 'object' || Array.isArray(value)) {
    const got = Array.isArray(value) ? 'a list' : `${typeof value} ${JSON.stringify(String(value).slice(0, 40))}`;
    findings.push({
      ruleId: 'not-an-object', severity: 'error', file, line,
      message: `document ${docIndex + 1} is not a Kubernetes object (got ${got})`,
      fix: 'each YAML document must be a mapping with apiVersion, kind and metadata',
    });
    return;
  }
  const object = value as Record<string, unknown>;
  const kind = object.kind;
  if (typeof kind === 'string' && kind.endsWith('List') && Array.isArray(object.items)) {
    object.items.forEach((item, i) => {
      const itemLocate = (path: readonly (string | number)[]) => locate(['items', i, ...path]);
      if (!item || typeof item !== 'object' || Array.isArray(item)) {
        findings.push({ ruleId: 'not-an-object', severity: 'error', file, line: itemLocate([]), path: `items[${i}]`, message: `item ${i} of ${kind} is not a Kubernetes object`, fix: 'list items must be mappings with apiVersion, kind and metadata' });
        return;
      }
      resources.push({ file, docIndex, line: itemLocate([]), object: item as Record<string, unknown>, basePath: `items[${i}]`, locate: itemLocate });
    });
    return;
  }
  resources.push({ file, docIndex, line, object, basePath: '', locate });
}

/** Full `yaml` parse of one document (or a whole file with directives); errors become findings. */
function parseFull(file: string, text: string, lineOffset: number, findings: Finding[]): { values: unknown[]; notes: AmbiguousScalar[]; startLine?: number } | undefined {
  const lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, strict: true });
  } catch (err) {
    findings.push({
      ruleId: 'parse', severity: 'error', file, line: lineOffset + 1,
      message: `YAML could not be read: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      fix: 'flatten the document: it nests deeper than any Kubernetes object needs',
    });
    return undefined;
  }
  const list = Array.isArray(docs) ? docs : [];
  const errors = list.flatMap((d) => d.errors);
  if (errors.length) {
    for (const e of errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      const duplicate = e.code === 'DUPLICATE_KEY';
      findings.push({
        ruleId: duplicate ? 'duplicate-key' : 'parse',
        severity: 'error', file, line: pos.line + lineOffset,
        message: duplicate ? `${firstLine(e.message)}: the API server would keep only one of them` : `YAML syntax: ${firstLine(e.message)}`,
        fix: duplicate ? 'remove or rename one of the duplicate keys' : 'fix the YAML syntax at this line',
      });
    }
    return undefined;
  }
  try {
    const values = list.length ? list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown) : [undefined];
    const notes: AmbiguousScalar[] = [];
    for (const d of list) {
      visit(d, {
        Scalar(key, node) {
          if (key === 'key' || node.type !== 'PLAIN' || typeof node.value !== 'string' || !YAML11_BOOLEANS.has(node.value) || !node.range) return;
          notes.push({ lineIndex: lineCounter.linePos(node.range[0]).line - 1 + lineOffset, value: node.value });
        },
      });
    }
    return { values, notes };
  } catch (err) {
    findings.push({
      ruleId: 'parse', severity: 'error', file, line: lineOffset + 1,
      message: `YAML could not be resolved: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      fix: 'avoid alias chains that expand exponentially; write the values out',
    });
    return undefined;
  }
}

const firstLine = (s: string) => s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');

/** A document's text, from its lines (and the content of its `---` line). */
function sliceText(lines: readonly string[], slice: DocSlice): string {
  const body = lines.slice(slice.first, slice.end).join('\n');
  return slice.inline ? `${slice.inline}\n${body}` : body;
}

/**
 * Where a document's fields sit: built for every document, but the text is only re-parsed with
 * positions the first time a finding asks (clean input never pays for it).
 */
class DocPositions {
  private locator: Locator | undefined;
  constructor(
    private readonly wholeText: string | undefined,
    private readonly lines: readonly string[],
    private readonly slice: DocSlice,
    private readonly lineOffset: number,
    private readonly startLine: number,
  ) {}

  line(docNo: number, path: readonly (string | number)[]): number {
    this.locator ??= new Locator(this.wholeText ?? sliceText(this.lines, this.slice), this.lineOffset);
    return this.locator.line(docNo, path, this.startLine);
  }
}

// A returned arrow, not a named one: no per-object function naming under tsx, one small closure.
function locateIn(positions: DocPositions, docNo: number): (path: readonly (string | number)[]) => number {
  return (path) => positions.line(docNo, path);
}

/** Maps a JSON path to a line by re-parsing one document with positions (only when needed). */
class Locator {
  private readonly lineCounter = new LineCounter();
  private readonly roots: (Node | null)[];
  constructor(text: string, private readonly lineOffset: number) {
    const docs = parseAllDocuments(text, { lineCounter: this.lineCounter, uniqueKeys: false, strict: false });
    this.roots = Array.isArray(docs) ? docs.map((d) => d.contents as Node | null) : [];
  }

  line(docNo: number, path: readonly (string | number)[], fallback: number): number {
    let node: unknown = this.roots[docNo] ?? null;
    let best: number | undefined;
    const at = (n: unknown) => {
      const range = (n as { range?: [number, number, number] } | null)?.range;
      return range ? this.lineCounter.linePos(range[0]).line + this.lineOffset : undefined;
    };
    best = at(node);
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg));
        if (!pair) break;
        best = at(pair.key) ?? best;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) break;
        best = at(item) ?? best;
        node = item;
      } else break;
    }
    return best ?? fallback;
  }
}
