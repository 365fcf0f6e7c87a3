/**
 * Where the schema of an `apiVersion` + `kind` comes from, in kubeconform's order of precedence:
 * 1. `--schemas DIR` (kubeconform layout `{group}/{kind}_{version}.json`, lower-case kind; core
 *    kinds also as `{kind}_{version}.json` at the top of DIR),
 * 2. CRDs: `--crd FILE|DIR` and the project's own `imports/crds/*.yaml`,
 * 3. core Kubernetes kinds from kubernetes-models.
 * Every schema is compiled once, on first use: a run that never sees a kind never pays for it.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { packagePath } from '../../package/root.js';
import { hasNullField, withoutNullFields } from './null-fields.js';
import type { CrdEntry } from './crd-to-json-schema.js';
import { crdEntriesOfText } from './crd-cache.js';
import { coreValidator } from './core.js';
import { SchemaCompiler, DEFAULT_SCHEMA_CACHE } from './compiled-cache.js';
import { hasCoreFields, unknownFields, type UnknownField } from './unknown-fields.js';

/** The project's own CRDs (Agent, Flagger, Argo CD, Istio, Gateway API). */
export const BUILTIN_CRD_DIR = packagePath('imports', 'crds');

export interface SchemaCheck {
  /** Where the schema came from, e.g. `kubernetes-models`, `imports/crds/flagger.yaml`, a file path. */
  readonly source: string;
  readonly validate: (obj: unknown) => { errors: ErrorObject[]; unknown: UnknownField[] };
}

export interface RegistryOptions {
  /** Extra CRD files or directories. */
  readonly crds?: readonly string[];
  /** kubeconform-layout schema directories. */
  readonly schemaDirs?: readonly string[];
  /** Also load imports/crds. @default true */
  readonly builtinCrds?: boolean;
  /**
   * Where compiled schema code is kept between runs (see compiled-cache.ts); `false` compiles in
   * memory on every run. @default the user's cache directory (src/cache-dir.ts)
   */
  readonly cacheDir?: string | false;
}

export class SchemaRegistry {
  private readonly compiler: SchemaCompiler;
  private crdMap: Map<string, CrdEntry> | undefined;
  private readonly compiled = new Map<string, Promise<SchemaCheck | undefined>>();
  /** Problems with the schema sources themselves (unreadable CRD, bad JSON schema). */
  readonly problems: { file: string; message: string }[] = [];

  /** Where compiled schemas and read CRDs are kept between runs; `false`: nowhere. */
  private readonly cacheDir: string | false;

  constructor(private readonly opts: RegistryOptions = {}) {
    this.cacheDir = opts.cacheDir ?? DEFAULT_SCHEMA_CACHE;
    this.compiler = new SchemaCompiler(this.cacheDir);
    // Paths are checked now (a wrong --crd is a usage error); files are read on first lookup.
    for (const p of opts.crds ?? [])
      if (!existsSync(p)) this.problems.push({ file: p, message: `CRD path not found: ${p}` });
  }

  /** Reads the CRD files now (they are otherwise read on the first lookup of a custom kind). */
  loadCrds(): void {
    void this.crds;
  }

  /** CRDs by group/version/kind, read on first use with the fast YAML reader. */
  private get crds(): Map<string, CrdEntry> {
    if (!this.crdMap) {
      this.crdMap = new Map();
      if (this.opts.builtinCrds !== false && existsSync(BUILTIN_CRD_DIR))
        this.addCrdPath(BUILTIN_CRD_DIR, 'imports/crds/');
      for (const p of this.opts.crds ?? []) if (existsSync(p)) this.addCrdPath(p);
    }
    return this.crdMap;
  }

  private addCrdPath(path: string, display?: string): void {
    let files: string[];
    let isDir: boolean;
    try {
      isDir = statSync(path).isDirectory();
      files = isDir
        ? readdirSync(path)
            .filter((n) => /\.(ya?ml|json)$/.test(n))
            .sort()
            .map((n) => join(path, n))
        : [path];
    } catch {
      this.problems.push({ file: path, message: `CRD path not found: ${path}` });
      return;
    }
    let found = 0;
    for (const file of files) {
      const shown = display ? display + file.slice(path.length).replace(/^\//, '') : file;
      try {
        let inFile = 0;
        for (const e of crdEntriesOfText(shown, readFileSync(file, 'utf8'), this.cacheDir)) {
          this.crdMap!.set(key(e.group, e.version, e.kind), e);
          inFile++;
        }
        // A file named on its own must hold a CRD; a directory may hold other files too.
        if (!inFile && !isDir)
          throw new Error(
            'no CustomResourceDefinition (apiextensions.k8s.io) with a served version in it',
          );
        found += inFile;
      } catch (err) {
        this.problems.push({
          file: shown,
          message: `cannot read CRD: ${err instanceof Error ? err.message : String(err)}`,
        });
      }
    }
    if (!found && isDir)
      this.problems.push({
        file: path,
        message: `no CustomResourceDefinition in ${files.length ? `the ${files.length} YAML/JSON files of ` : ''}${path}`,
      });
  }

  private readonly resolved = new Map<string, SchemaCheck | undefined>();

  /** The check for one kind, or undefined when no source has a schema for it. */
  lookup(apiVersion: string, kind: string): Promise<SchemaCheck | undefined> {
    const k = `${apiVersion}|${kind}`;
    let hit = this.compiled.get(k);
    if (!hit) {
      hit = this.resolve(apiVersion, kind).then((check) => {
        this.resolved.set(k, check);
        return check;
      });
      this.compiled.set(k, hit);
    }
    return hit;
  }

  /** The check if this kind was looked up before (no promise per object), else `null`. */
  peek(apiVersion: string, kind: string): SchemaCheck | undefined | null {
    const k = `${apiVersion}|${kind}`;
    return this.resolved.has(k) ? this.resolved.get(k) : null;
  }

  private async resolve(apiVersion: string, kind: string): Promise<SchemaCheck | undefined> {
    const [group, version] = apiVersion.includes('/')
      ? (apiVersion.split('/', 2) as [string, string])
      : ['', apiVersion];
    for (const dir of this.opts.schemaDirs ?? []) {
      const candidates = [join(dir, group || 'core', `${kind.toLowerCase()}_${version}.json`)];
      if (!group)
        candidates.push(
          join(dir, `${kind.toLowerCase()}_${version}.json`),
          join(dir, `${kind.toLowerCase()}-${version}.json`),
        );
      for (const file of candidates) {
        if (!existsSync(file)) continue;
        try {
          const fn = this.compiler.compile(JSON.parse(readFileSync(file, 'utf8')) as object);
          return fromAjv(fn, file);
        } catch (err) {
          this.problems.push({
            file,
            message: `cannot use schema: ${err instanceof Error ? err.message : String(err)}`,
          });
          return undefined;
        }
      }
    }
    const crd = this.crds.get(key(group, version, kind));
    if (crd) return fromAjv(this.compiler.compile(crd.schema), crd.source);
    const core = await coreValidator(apiVersion, kind, this.opts.cacheDir ?? DEFAULT_SCHEMA_CACHE);
    if (core) {
      const strict = hasCoreFields(apiVersion, kind);
      return {
        source: 'kubernetes-models',
        validate: (obj) => {
          let errors = core(obj) ?? [];
          // Only when something failed: null fields are what the API server takes as zero values.
          if (errors.length && hasNullField(obj)) errors = core(withoutNullFields(obj)) ?? [];
          return { errors, unknown: strict ? unknownFields(apiVersion, kind, obj) : [] };
        },
      };
    }
    return undefined;
  }
}

function fromAjv(fn: ValidateFunction, source: string): SchemaCheck {
  return {
    source,
    validate: (obj) =>
      fn(obj) ? { errors: [], unknown: [] } : { errors: [...(fn.errors ?? [])], unknown: [] },
  };
}

const key = (group: string, version: string, kind: string) => `${group}/${version}/${kind}`;
