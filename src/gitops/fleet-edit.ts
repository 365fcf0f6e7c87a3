/**
 * Comment- and layout-preserving edits of a fleet file.
 *
 * A fleet file is written by people: comments, blank lines, key order, quoting and the spacing
 * before inline comments all carry meaning or at least review noise. Re-serializing the whole
 * document (even with `yaml`'s Document API) normalizes some of that, so every edit here is a
 * text splice located with the parsed document's source ranges:
 * - setting a scalar that exists replaces only the value's characters (style kept: quotes stay);
 * - adding a key to a block map inserts its lines after the map's last entry, at its indent;
 * - deleting a key of a block map removes the lines of that entry (comments above it stay).
 * Anything else (flow collections gaining keys, a scalar becoming a map, block scalars) falls back
 * to `yaml`'s Document API for that one edit, which still keeps comments and blank lines.
 * The document is re-parsed after each edit: fleet files are small, correctness beats cleverness.
 */
import {
  isMap,
  isScalar,
  parseDocument,
  Scalar,
  stringify,
  type Document,
  type Node,
  type Pair,
  type YAMLMap,
} from 'yaml';
import { GitOpsError } from './errors.js';

export type Path = readonly (string | number)[];

type Range = [number, number, number];

function lineStart(text: string, pos: number): number {
  return text.lastIndexOf('\n', pos - 1) + 1;
}

function lineEnd(text: string, pos: number): number {
  const nl = text.indexOf('\n', pos);
  return nl === -1 ? text.length : nl + 1;
}

const PLAIN_SAFE = /^[A-Za-z0-9_][A-Za-z0-9_./:@+-]*$/;

/** A scalar's source text; `style` is the `type` of the node it replaces, kept when it can be. */
export function formatScalar(value: unknown, style?: string): string | undefined {
  if (value === null) return 'null';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value !== 'string') return undefined;
  if (value.includes('\n')) return JSON.stringify(value);
  if (style === Scalar.QUOTE_SINGLE) return `'${value.replace(/'/g, "''")}'`;
  if (style === Scalar.QUOTE_DOUBLE) return JSON.stringify(value);
  // Plain only when it reads back as the same string (not `true`, `1.0`, `null`, ...).
  if (PLAIN_SAFE.test(value) && parseDocument(value).toJS() === value) return value;
  return JSON.stringify(value);
}

export class FleetFileEditor {
  private text: string;
  private doc: Document.Parsed;
  readonly file: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    this.doc = this.parse(text);
  }

  private parse(text: string): Document.Parsed {
    const doc = parseDocument(text);
    if (doc.errors.length > 0) {
      const e = doc.errors[0]!;
      const line = e.linePos?.[0]?.line ?? 0;
      throw new GitOpsError(
        'bad-request',
        `${this.file}:${line}: not valid YAML: ${e.message}. Fix: repair the fleet file before running canary operations.`,
      );
    }
    return doc;
  }

  /** The current value at `path` as plain data (`undefined` when absent). */
  get(path: Path): unknown {
    const node = this.doc.getIn(path, true) as Node | undefined | null;
    if (node === undefined) return undefined;
    if (node === null) return null;
    return (node as { toJSON?: () => unknown }).toJSON
      ? (node as unknown as { toJSON(): unknown }).toJSON()
      : this.doc.getIn(path);
  }

  has(path: Path): boolean {
    return this.doc.hasIn(path);
  }

  private splice(start: number, end: number, insert: string): void {
    this.text = this.text.slice(0, start) + insert + this.text.slice(end);
    this.doc = this.parse(this.text);
  }

  private viaDocument(edit: (doc: Document.Parsed) => void): void {
    edit(this.doc);
    this.text = this.doc.toString({ lineWidth: 0 });
    this.doc = this.parse(this.text);
  }

  private pairOf(path: Path): { map: YAMLMap; pair: Pair } | undefined {
    const parent = this.doc.getIn(path.slice(0, -1), true);
    if (!isMap(parent)) return undefined;
    const key = path[path.length - 1];
    const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === key);
    return pair ? { map: parent, pair } : undefined;
  }

  /** End offset (exclusive) of the lines holding a block-map entry. */
  private entryEnd(pair: Pair): number | undefined {
    const value = pair.value as Node | null;
    const keyRange = (pair.key as Node).range as Range | undefined;
    const range = (value?.range ?? keyRange) as Range | undefined;
    if (!range) return undefined;
    const afterValue = lineEnd(this.text, Math.max(range[1] - 1, 0));
    const afterNode =
      this.text[range[2] - 1] === '\n' ? range[2] : lineEnd(this.text, Math.max(range[2] - 1, 0));
    return Math.max(afterValue, afterNode);
  }

  /**
   * A literal block scalar (`|-` or `|`) for `value`, indented like the block it replaces, or
   * `undefined` when a block cannot carry it (leading spaces would need an indentation indicator).
   */
  private blockScalar(range: Range, value: string): string | undefined {
    if (/^[ \t]/.test(value) || value === '') return undefined;
    const firstContent = lineEnd(this.text, range[0]);
    const m = /^( +)\S/.exec(this.text.slice(firstContent, range[1]));
    if (!m) return undefined;
    const indent = m[1]!;
    const keep = value.endsWith('\n');
    const body = (keep ? value.slice(0, -1) : value)
      .split('\n')
      .map((l) => (l === '' ? '' : indent + l))
      .join('\n');
    const end = this.text[range[1] - 1] === '\n' ? '\n' : '';
    return `${keep ? '|' : '|-'}\n${body}${end}`;
  }

  /** Sets `path` to `value`, creating the last key (its parent must exist or be creatable). */
  set(path: Path, value: unknown): void {
    const node = this.doc.getIn(path, true) as Node | undefined;
    if (
      isScalar(node) &&
      node.range &&
      (node.type === Scalar.BLOCK_FOLDED || node.type === Scalar.BLOCK_LITERAL)
    ) {
      const block =
        typeof value === 'string' ? this.blockScalar(node.range as Range, value) : undefined;
      if (block !== undefined) {
        if (node.value !== value) this.splice(node.range[0], node.range[1], block);
        return;
      }
    } else if (isScalar(node) && node.range) {
      const text = formatScalar(value, node.type);
      if (text !== undefined && this.text.slice(node.range[0], node.range[1]) !== text) {
        this.splice(node.range[0], node.range[1], text);
        return;
      }
      if (text !== undefined) return; // unchanged
    }
    const parent = this.doc.getIn(path.slice(0, -1), true);
    if (node === undefined && isMap(parent) && !parent.flow && parent.items.length > 0) {
      const first = parent.items[0]!.key as Node;
      const last = parent.items[parent.items.length - 1]!;
      const end = this.entryEnd(last);
      if (first.range && end !== undefined) {
        const indent = ' '.repeat(first.range[0] - lineStart(this.text, first.range[0]));
        const key = String(path[path.length - 1]);
        const lines = stringify({ [key]: value }, { lineWidth: 0 })
          .replace(/\n$/, '')
          .split('\n')
          .map((l) => indent + l)
          .join('\n');
        const prefix = end === this.text.length && !this.text.endsWith('\n') ? '\n' : '';
        this.splice(end, end, `${prefix}${lines}\n`);
        return;
      }
    }
    this.viaDocument((doc) => {
      if (node !== undefined && isScalar(node) && (typeof value !== 'object' || value === null)) {
        node.value = value;
      } else {
        doc.setIn(path, doc.createNode(value));
      }
    });
  }

  /** Removes `path` (no-op when absent). */
  delete(path: Path): void {
    const found = this.pairOf(path);
    if (!found) return;
    const { map, pair } = found;
    const keyRange = (pair.key as Node).range as Range | undefined;
    const end = this.entryEnd(pair);
    if (!map.flow && keyRange && end !== undefined) {
      this.splice(lineStart(this.text, keyRange[0]), end, '');
      return;
    }
    this.viaDocument((doc) => {
      doc.deleteIn(path);
    });
  }

  toString(): string {
    return this.text;
  }
}
