/**
 * Writes manifests into dist/: one file per object, atomically (temp file + rename in the same
 * directory), never rewriting a file whose bytes are unchanged (so mtimes, `git status` and
 * Argo CD's view stay quiet), deleting files that are no longer produced and the folders they
 * leave empty.
 *
 * Ownership: without `scope` the writer owns every `*.yaml` file under dist/ (a full synthesis).
 * With `scope` (agent ids `<namespace>/<name>`) it owns only those agents' folders; everything
 * else is left untouched, which is how one agent is re-rendered without reading the others.
 */
import { mkdirSync, readFileSync, readdirSync, renameSync, rmdirSync, unlinkSync, writeFileSync, type Dirent } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Manifest } from './synthesize.js';

export interface WriteOptions {
  /** Agent ids whose folders this write owns; undefined = the whole dist/ tree. */
  readonly scope?: readonly string[];
}

export interface WriteResult {
  readonly written: string[];
  readonly unchanged: string[];
  readonly deleted: string[];
}

const OWNED_EXT = /\.ya?ml$/;
const AGENT_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function listYaml(root: string, rel: string, out: string[]): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return;
    throw e;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!e.name.startsWith('.')) listYaml(root, r, out);
    } else if (e.isFile() && OWNED_EXT.test(e.name)) out.push(r);
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

let tmpCounter = 0;

export function writeOutput(distDir: string, manifests: readonly Manifest[], opts: WriteOptions = {}): WriteResult {
  const scope = opts.scope;
  if (scope) {
    for (const id of scope) {
      if (!AGENT_ID.test(id)) throw new Error(`writeOutput: scope entry '${id}' is not an agent id (allowed: <namespace>/<name>, DNS-1123 labels)`);
    }
  }
  const inScope = (path: string) => !scope || scope.some((id) => path.startsWith(`${id}/`));

  const wanted = new Map<string, string>();
  for (const m of manifests) {
    if (m.path.includes('..') || m.path.startsWith('/') || m.path.includes('\\')) throw new Error(`writeOutput: manifest path '${m.path}' escapes dist/`);
    if (!inScope(m.path)) throw new Error(`writeOutput: manifest ${m.path} is outside the scope ${scope!.join(', ')}`);
    if (wanted.has(m.path)) throw new Error(`writeOutput: two objects map to ${m.path} (same kind and name)`);
    wanted.set(m.path, m.content);
  }

  // What this write owns on disk now (read once: probing each path would throw ENOENT per new file).
  const existing: string[] = [];
  if (scope) for (const id of scope) listYaml(distDir, id, existing);
  else listYaml(distDir, '', existing);
  const onDisk = new Set(existing);

  const written: string[] = [];
  const unchanged: string[] = [];
  const deleted: string[] = [];
  const madeDirs = new Set<string>();

  for (const [rel, content] of wanted) {
    const file = join(distDir, ...rel.split('/'));
    if (onDisk.has(rel) && readIfExists(file) === content) {
      unchanged.push(rel);
      continue;
    }
    const dir = dirname(file);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true });
      madeDirs.add(dir);
    }
    const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
    try {
      writeFileSync(tmp, content);
      renameSync(tmp, file);
    } catch (e) {
      // Never leave a half-written temp file behind (the target file is untouched).
      try { unlinkSync(tmp); } catch { /* not created */ }
      throw e;
    }
    written.push(rel);
  }

  // Files this write owns but no longer produces.
  const touchedDirs = new Set<string>();
  for (const rel of existing) {
    if (wanted.has(rel)) continue;
    unlinkSync(join(distDir, ...rel.split('/')));
    deleted.push(rel);
    touchedDirs.add(rel.split('/').slice(0, -1).join('/'));
  }
  // Remove folders left empty, innermost first, never dist/ itself.
  const dirs = [...touchedDirs].flatMap((d) => d.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')));
  for (const d of [...new Set(dirs)].sort((a, b) => b.length - a.length)) {
    if (!d) continue;
    try {
      rmdirSync(join(distDir, ...d.split('/')));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST' && code !== 'ENOENT') throw e;
    }
  }
  return { written: written.sort(), unchanged: unchanged.sort(), deleted: deleted.sort() };
}

/** `written 3, unchanged 32, deleted 0` */
export function summarize(r: WriteResult): string {
  return `written ${r.written.length}, unchanged ${r.unchanged.length}, deleted ${r.deleted.length}`;
}

