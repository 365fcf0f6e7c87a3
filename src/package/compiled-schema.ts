/**
 * A JSON schema's validator through the user's cache directory (src/package/cache-dir.ts): the
 * fleet, policy and cluster-config loaders each validate against one fixed schema at every CLI
 * start, and ajv's code generation (plus loading ajv itself, about 60 modules) cost 0.3-0.6 s of
 * a `canary weight`. ajv's standalone output (the same function ajv builds in memory, `verbose`
 * schema references and the annotation keywords' values included) is written to
 * `<name>-<hash>.cjs`, where the hash covers the schema, the ajv options, the annotation keywords
 * and the ajv version: a changed schema, option or ajv upgrade is a new file, never a stale
 * validator. A missing, unreadable or broken file means compiling as before; a cache that cannot
 * be written (read-only home) only costs the compile on every run. ajv is loaded only on a miss.
 */
import type { Ajv, Options, ValidateFunction } from 'ajv';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { threadId } from 'node:worker_threads';
import { DEFAULT_CACHE_DIR } from './cache-dir.js';

const requireHere = createRequire(import.meta.url);

export interface CachedSchema {
  /** The cache file's prefix (`fleet-schema` -> `fleet-schema-<hash>.cjs`). */
  readonly name: string;
  readonly schema: object;
  /** ajv's options (JSON data: they are part of the key); `code.source` is always on. */
  readonly options: Readonly<Options>;
  /** Annotation keywords the schema uses (`x-fix`, ...): string values, no validation code. */
  readonly keywords?: readonly string[];
}

let ajvVersion: string | undefined;

/** The cache file of `spec` in `cacheDir`. */
export function cachedSchemaFile(spec: CachedSchema, cacheDir: string = DEFAULT_CACHE_DIR): string {
  ajvVersion ??= (requireHere('ajv/package.json') as { version: string }).version;
  const key = createHash('sha256')
    .update(JSON.stringify([ajvVersion, spec.options, spec.keywords ?? [], spec.schema]))
    .digest('hex')
    .slice(0, 16);
  return join(cacheDir, `${spec.name}-${key}.cjs`);
}

/** The validator of `spec.schema`: the cached code when usable, else compiled (and cached). */
export function cachedValidator(
  spec: CachedSchema,
  cacheDir: string | false = DEFAULT_CACHE_DIR,
): ValidateFunction {
  if (cacheDir === false) return compile(spec).validate;
  const file = cachedSchemaFile(spec, cacheDir);
  const cached = load(file);
  if (cached) return cached;
  const { ajv, validate } = compile(spec);
  try {
    mkdirSync(cacheDir, { recursive: true });
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    const standaloneCode = requireHere('ajv/dist/standalone') as (
      ajv: Ajv,
      fn: ValidateFunction,
    ) => string;
    writeFileSync(tmp, standaloneCode(ajv, validate));
    // Atomic: a concurrent run reads the old state or the whole file, never half of it.
    renameSync(tmp, file);
  } catch {
    // read-only cache directory: compile on every run
  }
  return validate;
}

function compile(spec: CachedSchema): { ajv: Ajv; validate: ValidateFunction } {
  const { Ajv: AjvClass } = requireHere('ajv') as typeof import('ajv');
  const ajv = new AjvClass({ ...spec.options, code: { ...spec.options.code, source: true } });
  for (const keyword of spec.keywords ?? []) ajv.addKeyword({ keyword, schemaType: 'string' });
  return { ajv, validate: ajv.compile(spec.schema) };
}

function load(file: string): ValidateFunction | undefined {
  try {
    const mod: { exports: unknown } = { exports: {} };
    new Function('require', 'module', 'exports', readFileSync(file, 'utf8'))(
      requireHere,
      mod,
      mod.exports,
    );
    const validate = (mod.exports as { default?: unknown }).default ?? mod.exports;
    return typeof validate === 'function' ? (validate as ValidateFunction) : undefined;
  } catch {
    return undefined;
  }
}
