/**
 * The acceptance corpus: every edge-case input under test/fixtures/validate/corpus with its
 * expected exit code, result statuses and findings (expected.json), like kubeconform's suite.
 */
import { readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaRegistry, validatePaths } from '../../src/validate/index.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'validate', 'corpus');
const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
  cases: Record<string, { exit: number; statuses: string[]; findings: string[] }>;
};
const registry = new SchemaRegistry();
const opts = { policies: new Map(), fleet: [], registry } as const;

describe('fixture corpus', () => {
  it('has an expectation for every fixture file', () => {
    const files = readdirSync(dir)
      .filter((f) => f !== 'expected.json')
      .sort();
    expect(files).toEqual(Object.keys(expected.cases).sort());
  });

  for (const [file, want] of Object.entries(expected.cases)) {
    it(`${file}: exit ${want.exit}`, async () => {
      const report = await validatePaths([join(dir, file)], opts);
      expect(report.findings.map((f) => `${f.ruleId}@${f.line}:${f.path ?? ''}`)).toEqual(
        want.findings,
      );
      expect(report.results.map((r) => r.status)).toEqual(want.statuses);
      expect(report.exitCode).toBe(want.exit);
      for (const f of report.findings) {
        expect(f.message.length).toBeGreaterThan(10);
        expect(f.fix).toBeTruthy();
      }
    });
  }

  it('reads a whole directory, skipping non-manifest extensions', async () => {
    const report = await validatePaths([dir], opts);
    const files = new Set(report.results.map((r) => r.file.split('/').pop()));
    expect(files.has('not-yaml.txt')).toBe(false);
    expect(files.has('binary.bin')).toBe(false);
    expect(files.has('valid-deployment.yaml')).toBe(true);
    expect(report.exitCode).toBe(2);
  });

  it('reads stdin for -', async () => {
    const text = readFileSync(join(dir, 'unknown-field.yaml'), 'utf8');
    const report = await validatePaths(['-'], { ...opts, stdin: text });
    expect(report.findings).toMatchObject([
      {
        file: '<stdin>',
        line: 7,
        ruleId: 'schema',
        object: { kind: 'Deployment', namespace: 'demo', name: 'typo' },
      },
    ]);
  });

  it('skips kinds without a schema with skipMissingSchemas', async () => {
    const report = await validatePaths([join(dir, 'unknown-kind.yaml')], {
      ...opts,
      skipMissingSchemas: true,
    });
    expect(report.results.map((r) => r.status)).toEqual(['skipped']);
    expect(report.exitCode).toBe(0);
  });

  it('refuses files over the size limit with a clear finding', async () => {
    const report = await validatePaths([join(dir, 'valid-deployment.yaml')], {
      ...opts,
      maxFileBytes: 100,
    });
    expect(report.findings[0]).toMatchObject({ ruleId: 'input' });
    expect(report.findings[0]!.message).toMatch(/over the .* limit/);
    expect(report.exitCode).toBe(2);
  });

  it('reports a missing path', async () => {
    const report = await validatePaths([join(dir, 'nope.yaml')], opts);
    expect(report.findings[0]!.message).toMatch(/no such file/);
    expect(report.exitCode).toBe(2);
  });

  it('handles a large multi-document file', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'validate-big-'));
    try {
      const doc = readFileSync(join(dir, 'valid-deployment.yaml'), 'utf8');
      const docs = Array.from({ length: 2000 }, (_, i) =>
        doc.replace('name: web\n', `name: web-${i}\n`),
      );
      docs[1500] = docs[1500]!.replace('replicas: 2', 'replicas: two');
      writeFileSync(join(tmp, 'big.yaml'), docs.join('---\n'));
      const report = await validatePaths([join(tmp, 'big.yaml')], opts);
      expect(report.summary.resources).toBe(2000);
      expect(report.findings).toHaveLength(1);
      expect(report.findings[0]).toMatchObject({
        ruleId: 'schema',
        line: 1500 * 25 + 7 /* 24 lines + the --- line per document */,
        object: { name: 'web-1500' },
      });
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('pathological input', () => {
  // Far past any parser's recursion limit, in both styles, without a huge text: a compact block
  // sequence (`- - - x`) nests one level per two characters, as flow brackets do.
  it.each([
    ['flow', `data:\n  k: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`],
    ['block', `data:\n  k:\n    ${'- '.repeat(20_000)}x\n`],
  ])('reports a document nested far too deeply (%s style) instead of crashing', async (_, body) => {
    const text =
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: deep, namespace: demo}\n' + body;
    const report = await validatePaths(['-'], { ...opts, stdin: text });
    expect(report.exitCode).toBe(2);
    expect(report.findings.map((f) => f.ruleId)).toEqual(['parse']);
  });
});
