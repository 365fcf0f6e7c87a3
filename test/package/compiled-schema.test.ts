/**
 * The compiled-schema cache (src/package/compiled-schema.ts) behind the fleet, policy and
 * cluster-config loaders: a cached validator answers exactly what the compiled schema answers
 * (errors and the annotation keywords the error messages read included), a changed schema or
 * option is a new cache file (never a stale validator), and a broken or unwritable cache only
 * means compiling.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import {
  cachedSchemaFile,
  cachedValidator,
  type CachedSchema,
} from '../../src/package/compiled-schema.js';
import { policyFileSchema } from '../../src/policy/schema.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'agent-canary-compiled-schema-'));
  dirs.push(d);
  return d;
};

const POLICY: CachedSchema = {
  name: 'policy-schema',
  schema: policyFileSchema,
  options: { allErrors: true, verbose: true, strict: true, code: { optimize: false } },
  keywords: ['x-allowed', 'x-fix', 'x-problem'],
};

const SAMPLES: unknown[] = [
  {
    apiVersion: 'agent-canary.dev/v1alpha1',
    kind: 'RolloutPolicy',
    metadata: { name: 'p' },
    spec: {},
  },
  { apiVersion: 'v1', kind: 'RolloutPolicy', metadata: {}, spec: { steps: 'five', bogus: 1 } },
  { kind: 'RolloutPolicy', metadata: { name: 'p' }, spec: { analysis: { interval: '1h' } } },
];

/** What a caller reads: the answer and each error's place, keyword, schema annotations. */
const outcome = (validate: ValidateFunction) =>
  SAMPLES.map((s) => ({
    ok: validate(s),
    errors: (validate.errors ?? []).map((e) => ({
      path: e.instancePath,
      keyword: e.keyword,
      params: e.params,
      fix: (e.parentSchema as Record<string, unknown> | undefined)?.['x-fix'],
      allowed: (e.parentSchema as Record<string, unknown> | undefined)?.['x-allowed'],
    })),
  }));

describe('compiled schemas kept in the cache directory', () => {
  it('a second load reads the cached code and answers exactly like the compiled schema', () => {
    const dir = tempDir();
    const compiled = cachedValidator(POLICY, dir);
    expect(readdirSync(dir)).toEqual([cachedSchemaFile(POLICY, dir).split('/').pop()]);
    const cached = cachedValidator(POLICY, dir);
    expect(cached).not.toBe(compiled);
    expect(outcome(cached)).toEqual(outcome(compiled));
    expect(outcome(cached).some((o) => o.errors.some((e) => typeof e.fix === 'string'))).toBe(true);
    expect(outcome(cached)[0]!.ok).toBe(true);
    expect(outcome(cached)[1]!.ok).toBe(false);
  });

  it('a changed schema or option is a new file, so an old validator is never reused', () => {
    const dir = tempDir();
    const narrow: CachedSchema = {
      name: 'n',
      schema: { type: 'object', properties: { w: { type: 'integer', maximum: 10 } } },
      options: { allErrors: true },
    };
    expect(cachedValidator(narrow, dir)({ w: 50 })).toBe(false);
    const wide: CachedSchema = {
      ...narrow,
      schema: { type: 'object', properties: { w: { type: 'integer', maximum: 100 } } },
    };
    expect(cachedSchemaFile(wide, dir)).not.toBe(cachedSchemaFile(narrow, dir));
    expect(cachedValidator(wide, dir)({ w: 50 })).toBe(true);
    expect(cachedValidator(narrow, dir)({ w: 50 })).toBe(false);
    const otherOptions: CachedSchema = { ...narrow, options: { allErrors: false } };
    expect(cachedSchemaFile(otherOptions, dir)).not.toBe(cachedSchemaFile(narrow, dir));
    expect(readdirSync(dir)).toHaveLength(2);
  });

  it('a broken cache file means compiling (and the file is rewritten)', () => {
    const dir = tempDir();
    const file = cachedSchemaFile(POLICY, dir);
    writeFileSync(file, 'module.exports = ;');
    const validate = cachedValidator(POLICY, dir);
    expect(outcome(validate)).toEqual(outcome(cachedValidator(POLICY, false)));
    expect(outcome(cachedValidator(POLICY, dir))).toEqual(outcome(validate));
  });

  it.skipIf(process.getuid?.() === 0)(
    'an unwritable cache directory only costs the compile',
    () => {
      const dir = tempDir();
      chmodSync(dir, 0o500);
      try {
        expect(outcome(cachedValidator(POLICY, dir))).toEqual(
          outcome(cachedValidator(POLICY, false)),
        );
        expect(readdirSync(dir)).toEqual([]);
      } finally {
        chmodSync(dir, 0o700);
      }
    },
  );

  it('a cache path that is a file (not a folder) only costs the compile', () => {
    const parent = tempDir();
    const notADir = join(parent, 'file');
    writeFileSync(notADir, '');
    expect(outcome(cachedValidator(POLICY, notADir))).toEqual(
      outcome(cachedValidator(POLICY, false)),
    );
  });
});
