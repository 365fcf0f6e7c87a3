/**
 * Loads a kubernetes-models kind from a one-file bundle of its CommonJS module graph, with V8's
 * code cache beside it.
 *
 * Why: one kind's validator is a graph of about 170 small modules (its schema and every schema it
 * references, the format checkers, ajv-i18n). Loading them through `require` costs resolution,
 * a stat and a read per file, the ESM loader's CommonJS hook and V8 compiling each file: about
 * 0.1 s for a Deployment, a tenth of a 10,000-resource CI run. The first run records the files
 * `require` loaded and how each directory resolved its requests, and writes them as one file of
 * module functions (`kmodels-<hash>.js` in the user's cache directory); later runs read that
 * file and V8's code cache for it and run the same module code in the same order (about 10 ms).
 * Each bundled file's `require('...')` requests are resolved at build time with Node's public
 * `createRequire(file).resolve`, the same resolution `require` does from that file.
 *
 * Safety: the manifest lists every bundled file with its size and mtime; any difference (an
 * upgrade, a patched package) means loading with `require` and writing a fresh bundle. A request
 * the bundle did not record is answered by Node's own `require` from that module's location. Any
 * failure falls back to plain `require`.
 */
import { threadId } from 'node:worker_threads';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import vm from 'node:vm';

const requireHere = createRequire(import.meta.url);

interface ModuleRecord {
  exports: unknown;
}
type Loader = (file: string) => unknown;
type BundleFactory = (
  instances: Map<string, ModuleRecord>,
  requireFor: (file: string) => NodeRequire,
) => Loader;

/** Bundled module instances by file, shared by every bundle of this process (one instance each). */
const instances = new Map<string, ModuleRecord>();
const requireFor = (file: string): NodeRequire => createRequire(file);

interface Manifest {
  readonly entry: string;
  /** [file, size, mtimeMs] of every bundled file. */
  readonly files: [string, number, number][];
}

/**
 * `require(spec)` for a kubernetes-models module, through the bundle cache in `cacheDir`
 * (`false`: plain `require`).
 */
export function requireBundled(spec: string, cacheDir: string | false): Record<string, unknown> {
  if (cacheDir === false) return requireHere(spec) as Record<string, unknown>;
  const base = join(
    cacheDir,
    `kmodels-${createHash('sha256')
      .update(`${process.version}\0${import.meta.url}\0${spec}`)
      .digest('hex')
      .slice(0, 20)}`,
  );
  try {
    const hit = loadBundle(base);
    if (hit) return hit;
  } catch {
    // unusable bundle: load with require below (and write a new one)
  }
  return buildBundle(spec, base);
}

function loadBundle(base: string): Record<string, unknown> | undefined {
  let manifest: Manifest;
  let source: string;
  try {
    manifest = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as Manifest;
    source = readFileSync(`${base}.js`, 'utf8');
  } catch {
    return undefined;
  }
  for (const [file, size, mtime] of manifest.files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (!st || st.size !== size || st.mtimeMs !== mtime) return undefined;
  }
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(`${base}.v8`);
  } catch {
    // no code cache yet: V8 compiles (lazily) and one is written below
  }
  const script = new vm.Script(source, { filename: `${base}.js`, cachedData });
  const factory = script.runInThisContext() as BundleFactory;
  const exports = factory(instances, requireFor)(manifest.entry) as Record<string, unknown>;
  if (!cachedData || script.cachedDataRejected)
    writeAtomic(`${base}.v8`, script.createCachedData());
  return exports;
}

function buildBundle(spec: string, base: string): Record<string, unknown> {
  const entry = requireHere.resolve(spec);
  // Already loaded by plain require in this process: the graph cannot be observed; just use it.
  if (requireHere.cache[entry]) return requireHere(spec) as Record<string, unknown>;
  const exports = requireHere(spec) as Record<string, unknown>;
  try {
    const files = graph(entry);
    // How each directory's requests resolve (a request means the same from every file of one
    // directory): the bundle answers them itself, without Node's resolution.
    const resolutions: Record<string, Record<string, string>> = {};
    const parts: string[] = [];
    const manifest: Manifest = { entry, files: [] };
    for (const file of files) {
      const st = statSync(file);
      const text = readFileSync(file, 'utf8');
      manifest.files.push([file, st.size, st.mtimeMs]);
      if (!file.endsWith('.json')) recordRequests(file, text, (resolutions[dirname(file)] ??= {}));
      const body = file.endsWith('.json') ? `module.exports = ${text};` : text.replace(/^#!.*/, '');
      parts.push(
        `${JSON.stringify(file)}: [${JSON.stringify(dirname(file))}, function (exports, require, module, __filename, __dirname) {${body}\n}]`,
      );
    }
    const source = `(function (instances, requireFor) {
const M = {
${parts.join(',\n')}
};
const R = ${JSON.stringify(resolutions)};
function load(file) {
  let m = instances.get(file);
  if (m) return m.exports;
  const [dir, fn] = M[file];
  m = { exports: {} };
  instances.set(file, m);
  const own = R[dir] || {};
  const req = (request) => {
    const target = own[request];
    return target !== undefined && M[target] !== undefined ? load(target) : requireFor(file)(request);
  };
  fn.call(m.exports, m.exports, req, m, file, dir);
  return m.exports;
}
return load;
})`;
    mkdirSync(dirname(base), { recursive: true });
    writeAtomic(`${base}.js`, source);
    writeAtomic(`${base}.json`, JSON.stringify(manifest));
  } catch {
    // read-only install: plain require on every run
  }
  return exports;
}

/**
 * Records where each literal `require('x')` of `file` resolves. A request found in a comment or a
 * string, or one that does not resolve, is left out: at run time the bundle hands any request it
 * has no file for to Node's own `require`.
 */
function recordRequests(file: string, text: string, into: Record<string, string>): void {
  const resolve = createRequire(file).resolve;
  for (const m of text.matchAll(/\brequire\(\s*(['"])([^'"\n]+)\1\s*\)/g)) {
    const request = m[2]!;
    if (request in into) continue;
    try {
      into[request] = resolve(request);
    } catch {
      // not resolvable from here (e.g. inside a comment): left to require at run time
    }
  }
}

/** Every file of a loaded module's graph (Node lists a module under each parent that requires it). */
function graph(entry: string): string[] {
  const seen = new Set<string>();
  const visit = (mod: NodeJS.Module | undefined) => {
    if (!mod || seen.has(mod.filename)) return;
    seen.add(mod.filename);
    for (const child of mod.children) visit(child);
  };
  visit(requireHere.cache[entry]);
  return [...seen].filter((f) => /\.(c?js|json)$/.test(f));
}

function writeAtomic(file: string, data: string | Buffer): void {
  try {
    const tmp = `${file}.${process.pid}.${threadId}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch {
    // a cache that cannot be written only costs speed
  }
}
