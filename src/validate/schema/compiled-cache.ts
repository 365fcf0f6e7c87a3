/**
 * Compiled JSON schemas kept on disk between runs.
 *
 * Why: compiling the CRD schemas a run needs (Flagger Canary, Istio VirtualService, ...) is ajv's
 * code generation, about 0.1 s per CI run for the project's own CRDs, more with big user CRDs.
 * The generated code (ajv's standalone output: the same validation function ajv builds in
 * memory, with the same error objects, `verbose` schema references included) is written to
 * `schema-<hash>.cjs` in the user's cache directory (src/cache-dir.ts), where the hash covers the schema, the ajv
 * options, the format names and the ajv version. So a changed CRD, option or ajv upgrade is a new
 * file, never a stale validator; a missing, unreadable or broken file means compiling as before,
 * and a read-only install just compiles every run.
 */
import { threadId } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Ajv, ValidateFunction } from 'ajv';
import { DEFAULT_CACHE_DIR } from '../../package/cache-dir.js';

// ajv and ajv-formats (about 70 modules) are loaded on the first cache miss only: a run whose
// schemas are all cached (`canary weight` checking one agent's output) never loads them.
const requireHere = createRequire(import.meta.url);

/** The user's cache directory, beside the fleet loader's cache. */
export const DEFAULT_SCHEMA_CACHE = DEFAULT_CACHE_DIR;

const AJV_OPTIONS = {
  allErrors: true,
  strict: false,
  allowUnionTypes: true,
  verbose: true,
  logger: false,
  validateSchema: false,
} as const;
/** Kubernetes OpenAPI formats ajv-formats does not know; the type check covers them. */
const TYPE_ONLY_FORMATS = [
  'int32',
  'int64',
  'float',
  'double',
  'byte',
  'int-or-string',
  'quantity',
  'url',
  'binary',
  'password',
] as const;

let ajvVersion: string | undefined;

/**
 * Compiles schemas with the validator's ajv settings, through the disk cache when `cacheDir` is
 * set. The ajv instance is created on the first cache miss: a run whose schemas are all cached
 * never builds one.
 */
export class SchemaCompiler {
  private ajvInstance: Ajv | undefined;

  /** @param cacheDir where compiled code is kept; `false` compiles in memory every time. */
  constructor(private readonly cacheDir: string | false = DEFAULT_SCHEMA_CACHE) {}

  private get ajv(): Ajv {
    if (!this.ajvInstance) {
      // Standalone code refers to ajv-formats' functions by this expression (loaded by `require`).
      const { Ajv: AjvClass, _ } = requireHere('ajv') as typeof import('ajv');
      const formatsModule = requireHere('ajv-formats') as { default?: unknown };
      const addFormats = (formatsModule.default ?? formatsModule) as (ajv: Ajv) => Ajv;
      const formats = _`require("ajv-formats/dist/formats").fullFormats`;
      this.ajvInstance = new AjvClass({
        ...AJV_OPTIONS,
        code: { source: this.cacheDir !== false, formats },
      });
      addFormats(this.ajvInstance);
      for (const f of TYPE_ONLY_FORMATS) this.ajvInstance.addFormat(f, true);
    }
    return this.ajvInstance;
  }

  /** The validation function of `schema`; throws what ajv throws for a schema it cannot compile. */
  compile(schema: object): ValidateFunction {
    if (this.cacheDir === false) return this.ajv.compile(schema);
    ajvVersion ??= (requireHere('ajv/package.json') as { version: string }).version;
    const key = createHash('sha256')
      .update(JSON.stringify([ajvVersion, AJV_OPTIONS, TYPE_ONLY_FORMATS, schema]))
      .digest('hex')
      .slice(0, 20);
    const file = join(this.cacheDir, `schema-${key}.cjs`);
    const cached = load(file);
    if (cached) return cached;
    const validate = this.ajv.compile(schema);
    try {
      mkdirSync(this.cacheDir, { recursive: true });
      const tmp = `${file}.${process.pid}.${threadId}.tmp`;
      // Loaded only on a cache miss.
      const standaloneCode = requireHere('ajv/dist/standalone') as (
        ajv: Ajv,
        fn: ValidateFunction,
      ) => string;
      writeFileSync(tmp, standaloneCode(this.ajv, validate));
      renameSync(tmp, file);
    } catch {
      // read-only install or a schema standalone code cannot express: compile on every run
    }
    return validate;
  }
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
