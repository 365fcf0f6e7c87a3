/**
 * Lines in the files the author edits (fleet files, agent-canary.yaml), so a pull-request finding
 * points at `fleet/<ns>/<agent>.yaml:<line>` and its field rather than at generated dist/.
 */
import { readFileSync } from 'node:fs';
import { LineCounter, parseDocument } from 'yaml';
import { YamlSource } from '../../yaml/source.js';

/** Line of `path` in the YAML file (its nearest existing parent when absent); 1 when unreadable. */
export function lineOf(file: string, path: readonly (string | number)[]): number {
  try {
    const lineCounter = new LineCounter();
    const doc = parseDocument(readFileSync(file, 'utf8'), { lineCounter });
    return new YamlSource(file, doc, lineCounter).locate(path).line;
  } catch {
    return 1;
  }
}
