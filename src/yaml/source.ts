/** A parsed YAML document that can say on which line any field sits. */
import { isMap, isPair, isScalar, isSeq, type Document, type LineCounter, type Node } from 'yaml';
import type { LocatedError, Location, ProblemDetails } from '../errors/located.js';
import { fieldPath, type PathSegment } from './path.js';

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

export function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

export function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}
