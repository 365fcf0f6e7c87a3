/**
 * Compiled schemas kept on disk between runs: a cached validator must judge exactly like a fresh
 * compile (same findings, same lines, formats included), a changed schema must never reuse an old
 * file, and a broken cache file must fall back to compiling.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, validatePaths } from '../../src/validate/index.js';
import { SchemaCompiler } from '../../src/validate/schema/compiled-cache.js';
import { crdEntriesOfText } from '../../src/validate/schema/crd-cache.js';
import { REPO_ROOT } from '../cli-entry.js';

const fixtures = join(import.meta.dirname, '..', 'fixtures', 'validate');
const cacheDir = mkdtempSync(join(tmpdir(), 'validate-schema-cache-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

const run = (registry: SchemaRegistry) =>
  validatePaths([join(fixtures, 'widgets.yaml')], { policies: new Map(), fleet: [], registry });
const shape = (r: Awaited<ReturnType<typeof run>>) =>
  r.findings.map((f) => `${f.ruleId}@${f.line} ${f.path}: ${f.message}`);

describe('compiled schema cache', () => {
  it('a run from the cache reports what a fresh compile reports', async () => {
    const crds = [join(fixtures, 'crds')];
    const fresh = await run(new SchemaRegistry({ crds, cacheDir: false }));
    const first = await run(new SchemaRegistry({ crds, cacheDir }));
    const files = readdirSync(cacheDir).filter((f) => f.endsWith('.cjs'));
    expect(files.length).toBeGreaterThan(0);
    const cached = await run(new SchemaRegistry({ crds, cacheDir }));
    expect(fresh.findings.length).toBeGreaterThan(0);
    expect(shape(first)).toEqual(shape(fresh));
    expect(shape(cached)).toEqual(shape(fresh));
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.cjs'))).toEqual(files);
  });

  it('keys files by schema: a changed schema is compiled anew, formats work from the cache', () => {
    const dir = mkdtempSync(join(cacheDir, 'formats-'));
    const schema = {
      type: 'object',
      properties: {
        at: { type: 'string', format: 'date-time' },
        n: { type: 'integer', format: 'int32' },
      },
    };
    const a = new SchemaCompiler(dir).compile(schema);
    const fromCache = new SchemaCompiler(dir).compile(schema);
    expect(readdirSync(dir)).toHaveLength(1);
    for (const fn of [a, fromCache]) {
      expect(fn({ at: '2026-01-01T00:00:00Z', n: 3 })).toBe(true);
      expect(fn({ at: 'yesterday', n: 3 })).toBe(false);
      expect(fn.errors?.[0]?.instancePath).toBe('/at');
    }
    const changed = new SchemaCompiler(dir).compile({ ...schema, required: ['at'] });
    expect(readdirSync(dir)).toHaveLength(2);
    expect(changed({ n: 1 })).toBe(false);
  });

  it('a broken cache file means compiling again, not a crash', () => {
    const dir = mkdtempSync(join(cacheDir, 'broken-'));
    const schema = { type: 'object', required: ['x'] };
    new SchemaCompiler(dir).compile(schema);
    const [file] = readdirSync(dir);
    writeFileSync(join(dir, file!), 'this is not javascript {');
    const fn = new SchemaCompiler(dir).compile(schema);
    expect(fn({})).toBe(false);
    expect(fn({ x: 1 })).toBe(true);
  });
});

describe('read CRDs kept on disk between runs', () => {
  const flagger = readFileSync(join(REPO_ROOT, 'imports', 'crds', 'flagger.yaml'), 'utf8');

  it('the entries read from the cache equal those read from the YAML; an edited file is read again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'validate-crd-cache-'));
    try {
      const fresh = crdEntriesOfText('flagger.yaml', flagger, false);
      expect(fresh.map((e) => `${e.group}/${e.version} ${e.kind}`)).toContain(
        'flagger.app/v1beta1 Canary',
      );
      expect(crdEntriesOfText('flagger.yaml', flagger, dir)).toEqual(fresh);
      const files = readdirSync(dir).filter((f) => /^crd-[0-9a-f]+\.json$/.test(f));
      expect(files).toHaveLength(1);
      // The second read comes from the file: what it holds is what is returned.
      const cachedFile = join(dir, files[0]!);
      const held = JSON.parse(readFileSync(cachedFile, 'utf8')) as { kind: string }[];
      expect(held.length).toBe(fresh.length);
      writeFileSync(cachedFile, JSON.stringify(held.slice(0, 1)));
      expect(crdEntriesOfText('other-name.yaml', flagger, dir)).toEqual([
        { ...fresh[0], source: 'other-name.yaml' },
      ]);
      // Another text is another entry; a broken cache file is read past.
      const edited = flagger.replace('kind: Canary', 'kind: Canary # edited');
      expect(crdEntriesOfText('flagger.yaml', edited, dir)).toEqual(fresh);
      expect(readdirSync(dir).filter((f) => f.startsWith('crd-'))).toHaveLength(2);
      writeFileSync(cachedFile, '{broken');
      expect(crdEntriesOfText('flagger.yaml', flagger, dir)).toEqual(fresh);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
