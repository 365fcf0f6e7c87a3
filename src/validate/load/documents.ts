/**
 * Text of one file -> Kubernetes objects, each able to say on which line any of its fields sits.
 *
 * Documents are split on `---`/`...` marker lines, read with the fast subset reader, and handed
 * to the `yaml` package when they leave the subset (anchors, folded scalars, errors, ...). Line
 * numbers for findings are computed lazily: only a document that has a finding is re-parsed
 * with positions, so clean input pays nothing for them.
 */
import {
  LineCounter,
  parseAllDocuments,
  isMap,
  isSeq,
  isPair,
  isScalar,
  visit,
  type Node,
} from 'yaml';
import {
  parseFastDocument,
  Unsupported,
  YAML11_BOOLEANS,
  type AmbiguousScalar,
} from '../../yaml/fast-yaml.js';
import { looksLikeJson, parseJsonStrict } from './json.js';
import { indentQuotedContinuations } from './quoted-continuation.js';
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
  /** Offset in the text of the first line's first character. */
  readonly from: number;
  /** Offset in the text where the last line ends (before its line break). */
  readonly to: number;
}

/**
 * Splits lines into documents at `---` marker lines (column 0, as YAML requires); `undefined`
 * when the file is to be read whole by the `yaml` package: a line starting with `%` (directives
 * apply across documents), a `...` document-end line (what follows it is another document, with
 * rules of its own) or content on a `---` line (`--- |`, `--- a: 1`, which YAML refuses).
 */
function splitDocuments(lines: readonly string[]): DocSlice[] | undefined {
  const docs: DocSlice[] = [];
  let first = 0;
  let from = 0;
  // Offset of the line being looked at: line i starts at `at`.
  let at = 0;
  for (let i = 0; i < lines.length; i++, at += lines[i - 1]!.length + 1) {
    const line = lines[i]!;
    const c = line.charCodeAt(0);
    if (c === 37) return undefined;
    if (c !== 45 && c !== 46) continue;
    const start = line.startsWith('---') ? '---' : line.startsWith('...') ? '...' : '';
    if (!start || (line.length > 3 && line[3] !== ' ' && line[3] !== '\t')) continue;
    if (start === '...') return undefined;
    const after = line.slice(4).trim();
    if (after && !after.startsWith('#')) return undefined;
    docs.push({ first, end: i, from, to: Math.max(from, at - 1) });
    first = i + 1;
    from = at + line.length + 1;
  }
  docs.push({ first, end: lines.length, from, to: Math.max(from, at - 1) });
  return docs;
}

/** One document as read: its values (several when a whole file went to the `yaml` package). */
interface ReadDocument {
  readonly index: number;
  readonly values: unknown[];
  readonly notes: AmbiguousScalar[];
  /** Read only after indenting quoted continuation lines (see quoted-continuation.ts). */
  readonly reindented: boolean;
  readonly startLine: number;
  readonly positions: DocPositions;
}

/**
 * Reads every document of a text: the fast subset reader where it is certain, the `yaml`
 * package for the rest (and for the whole file when it cannot be split safely). Problems that
 * stop a document from being read are appended to `findings`.
 */
function readDocuments(
  file: string,
  text: string,
  findings: Finding[],
): { docs: ReadDocument[]; whole: boolean } {
  const lines = text.split('\n');
  const split = splitDocuments(lines);
  const whole = split === undefined;
  const slices: DocSlice[] = split ?? [{ first: 0, end: lines.length, from: 0, to: text.length }];
  const docs: ReadDocument[] = [];
  let docIndex = 0;
  for (const slice of slices) {
    const index = docIndex++;
    const lineOffset = slice.first;
    let values: unknown[];
    let startLine = slice.first + 1;
    let notes: AmbiguousScalar[] = [];
    let reindented = false;
    try {
      if (whole) throw new Unsupported('read whole');
      values = [parseFastDocument(lines, slice.first, slice.end, notes)];
    } catch (err) {
      // Unsupported: outside the fast subset. RangeError: nesting deeper than the stack; the full
      // parser gets the document either way and reports what it makes of it.
      if (!(err instanceof Unsupported) && !(err instanceof RangeError)) throw err;
      const parsed = parseFull(file, whole ? text : sliceText(text, slice), lineOffset, findings);
      if (!parsed) continue;
      values = parsed.values;
      notes = parsed.notes;
      reindented = parsed.reindented;
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
    const positions = new DocPositions(text, slice, lineOffset, startLine);
    docs.push({ index, values, notes, reindented, startLine, positions });
  }
  return { docs, whole };
}

/**
 * The values of every document of a YAML text as this loader reads them (empty documents left
 * out), and the findings that stopped a document from being read. For the tests that hold the
 * loader to the `yaml` package.
 */
export function readYamlValues(text: string): {
  values: unknown[];
  findings: Finding[];
  reindented: boolean;
} {
  const findings: Finding[] = [];
  const { docs } = readDocuments('<text>', text, findings);
  const values = docs.flatMap((d) => d.values).filter((v) => v !== undefined && v !== null);
  return { values, findings, reindented: docs.some((d) => d.reindented) };
}

export function loadText(file: string, raw: string): LoadedText {
  // A byte-order mark is not content (editors on Windows write one); CRLF is one line break.
  const unmarked = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const text = unmarked.includes('\r') ? unmarked.replace(/\r\n?/g, '\n') : unmarked;
  const resources: Resource[] = [];
  const findings: Finding[] = [];
  let emptyDocuments = 0;
  if (text.includes('\0')) {
    findings.push({
      ruleId: 'parse',
      severity: 'error',
      file,
      line: 1,
      message: 'not a text file (contains NUL bytes)',
      fix: 'pass only YAML or JSON manifests',
    });
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
  const { docs, whole } = readDocuments(file, text, findings);
  for (const doc of docs) {
    const before = resources.length;
    for (let vi = 0; vi < doc.values.length; vi++) {
      const value = doc.values[vi];
      if (value === undefined || value === null) {
        emptyDocuments++;
        continue;
      }
      const locate = locateIn(doc.positions, vi);
      addObject(
        file,
        whole ? vi : doc.index,
        whole ? locate([]) : doc.startLine,
        value,
        locate,
        resources,
        findings,
      );
    }
    if (doc.notes.length) attachNotes(file, doc.notes, resources.slice(before));
    if (doc.reindented) noteReindented(file, resources.slice(before));
  }
  return { resources, findings, emptyDocuments };
}

/**
 * `value: on` is the string "on" in YAML 1.2 (what this loader reads) but the boolean true for
 * the API server and kubectl (go-yaml, YAML 1.1): a manifest that validates here could be
 * rejected there, or mean something else. Each such plain scalar becomes a warning on the object
 * it belongs to (the last object starting at or before its line).
 */
function attachNotes(
  file: string,
  notes: readonly AmbiguousScalar[],
  docResources: Resource[],
): void {
  for (const n of notes) {
    const line = n.lineIndex + 1;
    let owner: Resource | undefined;
    for (const r of docResources) if (r.line <= line) owner = r;
    owner ??= docResources[0];
    if (!owner) continue;
    const word = n.value;
    const asBool = ['y', 'yes', 'on'].includes(word.toLowerCase()) ? 'true' : 'false';
    (owner.notes ??= []).push({
      ruleId: 'yaml-1.1-boolean',
      severity: 'warning',
      file,
      line,
      object: objectRef(owner.object),
      message: `plain ${word} is the string "${word}" in YAML 1.2 but the boolean ${asBool} for kubectl and the API server (YAML 1.1)`,
      fix: `quote it ("${word}") if you mean the string, or write ${asBool}`,
    });
  }
}

/** A warning on each object read only the way kubectl reads quoted continuation lines. */
function noteReindented(file: string, docResources: Resource[]): void {
  for (const r of docResources) {
    (r.notes ??= []).push({
      ruleId: 'yaml-indentation',
      severity: 'warning',
      file,
      line: r.line,
      object: objectRef(r.object),
      message:
        'a quoted value continues on a line indented no more than its key: kubectl reads it, YAML 1.2 tools (editors, linters, this validator without help) refuse it',
      fix: 'indent the continuation lines of the quoted value past its key',
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
    const got = Array.isArray(value)
      ? 'a list'
      : `${typeof value} ${JSON.stringify(String(value).slice(0, 40))}`;
    findings.push({
      ruleId: 'not-an-object',
      severity: 'error',
      file,
      line,
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
        findings.push({
          ruleId: 'not-an-object',
          severity: 'error',
          file,
          line: itemLocate([]),
          path: `items[${i}]`,
          message: `item ${i} of ${kind} is not a Kubernetes object`,
          fix: 'list items must be mappings with apiVersion, kind and metadata',
        });
        return;
      }
      resources.push({
        file,
        docIndex,
        line: itemLocate([]),
        object: item as Record<string, unknown>,
        basePath: `items[${i}]`,
        locate: itemLocate,
      });
    });
    return;
  }
  resources.push({ file, docIndex, line, object, basePath: '', locate });
}

/** The `yaml` package's reading, with the options this loader holds every document to. */
function parseWithYaml(
  text: string,
  lineCounter: LineCounter,
): ReturnType<typeof parseAllDocuments> {
  return parseAllDocuments(text, {
    lineCounter,
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    logLevel: 'error',
  });
}

/** Full `yaml` parse of one document (or a whole file); errors become findings. */
function parseFull(
  file: string,
  text: string,
  lineOffset: number,
  findings: Finding[],
): { values: unknown[]; notes: AmbiguousScalar[]; reindented: boolean } | undefined {
  let lineCounter = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseWithYaml(text, lineCounter);
  } catch (err) {
    findings.push({
      ruleId: 'parse',
      severity: 'error',
      file,
      line: lineOffset + 1,
      message: `YAML could not be read: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      fix: 'flatten the document: it nests deeper than any Kubernetes object needs',
    });
    return undefined;
  }
  let list = Array.isArray(docs) ? docs : [];
  let errors = list.flatMap((d) => d.errors);
  let reindented = false;
  if (errors.length) {
    // Quoted scalars continued at their key's indentation: kubectl reads them (see
    // quoted-continuation.ts); taken only when the `yaml` package then finds no error at all.
    const fixed = indentQuotedContinuations(text);
    if (fixed !== undefined) {
      const retryCounter = new LineCounter();
      const retry = parseWithYaml(fixed, retryCounter);
      if (Array.isArray(retry) && retry.every((d) => d.errors.length === 0)) {
        list = retry;
        lineCounter = retryCounter;
        errors = [];
        reindented = true;
      }
    }
  }
  if (errors.length) {
    // One finding per problem: how often the `yaml` package repeats an error it met while out of
    // stack (deep nesting) depends on how deep the caller's stack already was.
    const said = new Set<string>();
    for (const e of errors) {
      const pos = lineCounter.linePos(e.pos[0]);
      const key = `${pos.line}:${e.code}:${e.message}`;
      if (said.has(key)) continue;
      said.add(key);
      const duplicate = e.code === 'DUPLICATE_KEY';
      findings.push({
        ruleId: duplicate ? 'duplicate-key' : 'parse',
        severity: 'error',
        file,
        line: pos.line + lineOffset,
        message: duplicate
          ? `${firstLine(e.message)}: the API server would keep only one of them`
          : `YAML syntax: ${firstLine(e.message)}`,
        fix: duplicate
          ? 'remove or rename one of the duplicate keys'
          : 'fix the YAML syntax at this line',
      });
    }
    return undefined;
  }
  let values: unknown[];
  try {
    values = list.length ? list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown) : [undefined];
  } catch (err) {
    findings.push({
      ruleId: 'parse',
      severity: 'error',
      file,
      line: lineOffset + 1,
      message: `YAML could not be resolved: ${firstLine(err instanceof Error ? err.message : String(err))}`,
      fix: 'avoid alias chains that expand exponentially; write the values out',
    });
    return undefined;
  }
  const done = new Set<object>();
  if (text.includes('*') && values.some((v) => containsItself(v, new Set(), done))) {
    // An alias inside the node it names (`a: &x [*x]`) makes a value that contains itself: no
    // Kubernetes object can be that, and walking it would never end.
    findings.push({
      ruleId: 'parse',
      severity: 'error',
      file,
      line: lineOffset + 1,
      message: 'YAML alias refers to a node that contains it (a value that contains itself)',
      fix: 'write the value out instead of the alias',
    });
    return undefined;
  }
  const notes: AmbiguousScalar[] = [];
  for (const d of list) {
    visit(d, {
      Scalar(key, node) {
        if (
          key === 'key' ||
          node.type !== 'PLAIN' ||
          typeof node.value !== 'string' ||
          !YAML11_BOOLEANS.has(node.value) ||
          !node.range
        )
          return;
        notes.push({
          lineIndex: lineCounter.linePos(node.range[0]).line - 1 + lineOffset,
          value: node.value,
        });
      },
    });
  }
  return { values, notes, reindented };
}

/** Whether a value reaches itself (aliases are shared objects after `toJS`). */
function containsItself(value: unknown, path: Set<object>, done: Set<object>): boolean {
  if (!value || typeof value !== 'object' || done.has(value)) return false;
  if (path.has(value)) return true;
  path.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const c of children) if (containsItself(c, path, done)) return true;
  path.delete(value);
  done.add(value);
  return false;
}

const firstLine = (s: string) => s.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');

/** A document's text: its lines, without the line break after the last one. */
function sliceText(text: string, slice: DocSlice): string {
  return text.slice(slice.from, slice.to);
}

/**
 * Where a document's fields sit: built for every document, but the text is only re-parsed with
 * positions the first time a finding asks (clean input never pays for it). It keeps the file's
 * text and two offsets, not the split lines: the loaded objects keep this until the rules have
 * run, and an array of line strings per file is about 2 KB more per file on the heap.
 */
class DocPositions {
  private locator: Locator | undefined;
  constructor(
    private readonly text: string,
    private readonly slice: DocSlice,
    private readonly lineOffset: number,
    private readonly startLine: number,
  ) {}

  line(docNo: number, path: readonly (string | number)[]): number {
    this.locator ??= new Locator(sliceText(this.text, this.slice), this.lineOffset);
    return this.locator.line(docNo, path, this.startLine);
  }
}

// A returned arrow, not a named one: no per-object function naming under tsx, one small closure.
function locateIn(
  positions: DocPositions,
  docNo: number,
): (path: readonly (string | number)[]) => number {
  return (path) => positions.line(docNo, path);
}

/** Maps a JSON path to a line by re-parsing one document with positions (only when needed). */
class Locator {
  private readonly lineCounter = new LineCounter();
  private readonly roots: (Node | null)[];
  constructor(
    text: string,
    private readonly lineOffset: number,
  ) {
    const docs = parseAllDocuments(text, {
      lineCounter: this.lineCounter,
      uniqueKeys: false,
      strict: false,
    });
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
        const pair = node.items.find(
          (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
        );
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
