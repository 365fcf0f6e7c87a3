/** Reading a file that must hold exactly one YAML mapping (a fleet file, a policy file). */
import { isMap, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import type { LocatedError, Location, ProblemDetails } from '../errors/located.js';
import { fieldPath, type PathSegment } from './path.js';
import { keyText, rangeStart, YamlSource } from './source.js';

/** The path of the mapping key that starts at `offset` (to name a duplicate key). */
function pathAtOffset(
  node: unknown,
  offset: number,
  prefix: PathSegment[] = [],
): PathSegment[] | undefined {
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
        fix: duplicate
          ? 'keep one of the two entries and delete the other'
          : 'correct the YAML at this line',
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
