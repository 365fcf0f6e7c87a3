/**
 * The fast reader must never disagree with the `yaml` package: whatever it accepts resolves to
 * the same value, and anything outside its subset is handed to `yaml` (Unsupported).
 */
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseFastDocument, Unsupported } from '../../src/yaml/fast-yaml.js';

const fast = (text: string) => {
  const lines = text.split('\n');
  return parseFastDocument(lines, 0, lines.length);
};

const SAME = {
  scalars:
    "a: 1\nb: two\nc: \"x: y\"\nd: 'it''s'\ne: ~\nf: true\ng: 0x1F\nh: 1.5e3\ni: .inf\nj: -12\nk: 012\nl: 0o17\nm: +5\nn: 1_000\no: yes\np: 2024-01-01\nq: null\nr: False\ns: -.5\nt: 1.",
  sequences: 'list:\n- a\n- b: 1\n  c: 2\n-\n  - x\nempty:\nafter: 1',
  nested:
    'spec:\n  containers:\n    - name: a # comment\n      image: "nginx:1.2"   # c\n      args: [ "--x", y, 3, {a: b} ]\n      env: {}\n      ports: []',
  literals:
    'text: |\n  line1\n    indented\n\n  line3\n\nstrip: |-\n  x\nclip: | # c\n  y\n\n\nz: 1',
  escapes:
    'k: "esc\\t\\u00e9\\"q"\nu: http://x:80/a#frag\nv: a #c\nw: a#b\n"q k": 1\n\'single\': 2',
  // Escapes at the start, the end, side by side and between runs (the JSON an env var holds).
  escapeRuns:
    'a: "\\"x\\"\\\\\\n"\nb: "[{\\"name\\": \\"k\\", \\"v\\": \\"\\x41\\U0001F600\\\\u\\"}]"\nc: "\\t"\nd: "tail\\\\"',
  flow: 'm:\n  - {name: a, value: "1"}\n  - [1, 2]\n  - {url: "http://h:1/p"}',
  quotesWithHash: 'x: "a # not comment"\ny: \'b # no\'',
  topScalar: 'just text',
  unicode: 'a: "café \\u00e9"\nb: 日本語\nc: \'😀\'',
  kubernetesKeys: 'a.b/c-d_e: 1\n_x: 2\n/path: 3\nTrueish: 4',
  kubernetes:
    'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  labels:\n    app.kubernetes.io/name: web\n  annotations:\n    argocd.argoproj.io/sync-wave: "0"\nspec:\n  template:\n    spec:\n      containers:\n      - name: c\n        image: ghcr.io/a/b:v1@sha256:abc\n        resources:\n          requests: { cpu: 100m, memory: 64Mi }',
};

const FALLBACK = {
  anchorOnKey: '&k a: 1',
  anchors: 'a: &x 1\nb: *x',
  keep: 'keep: |+\n  y\n\nz: 1',
  flowPlainWithColon: 'a: {app:web}',
  dashInFlow: 'args: [- sleep]',
  noBreakSpace: 'a\u00a0: b\u00a0',
  numericKey: '1: a\n01: b',
  nullKey: '~: a',
  boolKey: 'true: a',
  documentEnd: 'a: 1\n...\nb: 2',
  documentStart: '--- a: 1',
  lineSeparator: 'a: b\u2028c',
  longKey: `${'k'.repeat(1100)}: 1`,
  surrogateEscape: 'a: "\\ud800"',
  anchorInSequence: 'l:\n  - &x 1\n  - *x',
  unknownAlias: 'a: *nope',
  folded: 'a: >\n  folded\n  text',
  duplicate: 'a: 1\na: 2',
  multiLinePlain: 'a: plain\n  continued',
  compactNested: 'a: b: c',
  tag: 'a: !!str 1',
  mergeKey: 'base: &b {x: 1}\nd:\n  <<: *b',
  multiLineQuoted: 'a: "one\n  two"',
  nestedDash: '- - a',
  tabs: 'a:\n\tb: 1',
  loneDash: 'a: -',
  tabAfterColon: 'a:\tb',
};

describe('fast YAML reader', () => {
  for (const [name, text] of Object.entries(SAME)) {
    it(`reads ${name} exactly as the yaml package`, () => {
      expect(JSON.stringify(fast(text))).toBe(JSON.stringify(parse(text)));
    });
  }
  for (const [name, text] of Object.entries(FALLBACK)) {
    it(`hands ${name} to the yaml package`, () => {
      expect(() => fast(text)).toThrow(Unsupported);
    });
  }
  it('reads an empty document as undefined', () => {
    expect(fast('# only a comment\n\n')).toBeUndefined();
  });
});

describe("fast YAML reader on the project's own YAML", () => {
  it('agrees with the yaml package on every document it accepts (dist, fleet, policies, CRDs)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { parseAllDocuments } = await import('yaml');
    const root = join(import.meta.dirname, '..', '..');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d, { withFileTypes: true })) {
        const p = join(d, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.ya?ml$/.test(e.name)) files.push(p);
      }
    };
    for (const d of ['dist', 'fleet', 'policies', 'imports/crds']) walk(join(root, d));
    let accepted = 0;
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      const docs = text.split(/^---$/m);
      for (const doc of docs) {
        const lines = doc.split('\n');
        let value: unknown;
        try {
          value = parseFastDocument(lines, 0, lines.length);
        } catch (err) {
          if (err instanceof Unsupported) continue;
          throw err;
        }
        accepted++;
        const full = parseAllDocuments(doc);
        const expected = Array.isArray(full) && full[0] ? full[0].toJS() : undefined;
        expect(JSON.stringify(value), `${f}`).toBe(JSON.stringify(expected ?? undefined));
      }
    }
    expect(accepted).toBeGreaterThan(40);
  });
});
