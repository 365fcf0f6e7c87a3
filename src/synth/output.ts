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
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  unlinkSync,
  writeFileSync,
  type Dirent,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Manifest } from './synthesize.js';

export interface WriteOptions {
  /** Agent ids whose folders this write owns; undefined = the whole dist/ tree. */
  readonly scope?: readonly string[];
  /**
   * Folders this write owns (instead of `scope`): `all` owns every `*.yaml` below the folder,
   * `direct` only the files directly in it (a namespace folder's dashboard, not its agents'
   * folders). `''` is dist/ itself. What an incremental synthesis writes besides agents.
   */
  readonly owns?: readonly OwnedFolder[];
  /**
   * Owned files the caller has proved to hold what it would write (an incremental run's shared
   * objects, read and hashed): left as they are and counted unchanged, not deleted.
   */
  readonly keep?: ReadonlySet<string>;
}

export interface OwnedFolder {
  /** Relative to dist/, `/`-separated, no trailing slash; `''` for dist/ itself. */
  readonly dir: string;
  readonly files: 'all' | 'direct';
}

export interface WriteResult {
  readonly written: string[];
  readonly unchanged: string[];
  readonly deleted: string[];
}

const OWNED_EXT = /\.ya?ml$/;
/** Hidden staging folders of `writeNewFolder`; one left by a killed run is removed on the next listing. */
const STAGING_SUFFIX = '.synth-staging';
const AGENT_ID = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?\/[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

function listYaml(root: string, rel: string, out: string[], recursive = true): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch (e) {
    if (
      (e as NodeJS.ErrnoException).code === 'ENOENT' ||
      (e as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return;
    throw e;
  }
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) {
      if (!e.name.startsWith('.')) {
        if (recursive) listYaml(root, r, out);
      } else if (e.name.endsWith(STAGING_SUFFIX))
        rmSync(join(root, r), { recursive: true, force: true });
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

/** Temp file + rename in the same folder: readers see the old bytes or the new, never a part. */
function writeFileAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (e) {
    // Never leave a half-written temp file behind (the target file is untouched).
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/**
 * A folder that does not exist yet (a new agent, or every agent of a first synthesis) is written
 * as a whole: its files go into a hidden staging folder beside it, which is then renamed into
 * place. Readers see no folder or the complete one, and it costs one rename per folder instead
 * of one per file (per-file renames were most of the write time for 6,766 new files on ext4,
 * measured: docs/generator.md).
 */
function writeNewFolder(dir: string, files: ReadonlyArray<readonly [string, string]>): void {
  const parent = dirname(dir);
  mkdirSync(parent, { recursive: true });
  const stage = join(parent, `.${basename(dir)}.${process.pid}.${tmpCounter++}${STAGING_SUFFIX}`);
  try {
    mkdirSync(stage);
    for (const [file, content] of files) writeFileSync(join(stage, basename(file)), content);
    renameSync(stage, dir);
  } catch (e) {
    rmSync(stage, { recursive: true, force: true });
    const code = (e as NodeJS.ErrnoException).code;
    // The folder appeared meanwhile (another writer): fall back to file-by-file writes.
    if (code !== 'EEXIST' && code !== 'ENOTEMPTY') throw e;
    for (const [file, content] of files) writeFileAtomically(file, content);
  }
}

export function writeOutput(
  distDir: string,
  manifests: readonly Manifest[],
  opts: WriteOptions = {},
): WriteResult {
  const scope = opts.scope;
  if (scope) {
    for (const id of scope) {
      if (!AGENT_ID.test(id))
        throw new Error(
          `writeOutput: scope entry '${id}' is not an agent id (allowed: <namespace>/<name>, DNS-1123 labels)`,
        );
    }
  }
  const owns: readonly OwnedFolder[] | undefined =
    opts.owns ?? scope?.map((dir) => ({ dir, files: 'all' as const }));
  for (const o of owns ?? []) {
    if (o.dir.includes('..') || o.dir.startsWith('/') || o.dir.endsWith('/'))
      throw new Error(`writeOutput: owned folder '${o.dir}' is not a folder inside dist/`);
  }
  const inScope = (path: string) =>
    !owns ||
    owns.some((o) =>
      o.files === 'all' ? o.dir === '' || path.startsWith(`${o.dir}/`) : dirOf(path) === o.dir,
    );
  const scopeText = () => (owns ?? []).map((o) => o.dir || '.').join(', ');

  const wanted = new Map<string, string>();
  for (const m of manifests) {
    if (m.path.includes('..') || m.path.startsWith('/') || m.path.includes('\\'))
      throw new Error(`writeOutput: manifest path '${m.path}' escapes dist/`);
    if (!inScope(m.path))
      throw new Error(`writeOutput: manifest ${m.path} is outside the scope ${scopeText()}`);
    if (wanted.has(m.path))
      throw new Error(`writeOutput: two objects map to ${m.path} (same kind and name)`);
    wanted.set(m.path, m.content);
  }

  // What this write owns on disk now (read once: probing each path would throw ENOENT per new file).
  const existing: string[] = [];
  if (owns) for (const o of owns) listYaml(distDir, o.dir, existing, o.files === 'all');
  else listYaml(distDir, '', existing);
  const onDisk = new Set(existing);

  const written: string[] = [];
  const unchanged: string[] = [];
  const deleted: string[] = [];

  // Changed or new files, by folder.
  const byDir = new Map<string, Array<[string, string]>>();
  for (const [rel, content] of wanted) {
    const file = join(distDir, ...rel.split('/'));
    if (onDisk.has(rel) && readIfExists(file) === content) {
      unchanged.push(rel);
      continue;
    }
    const dir = dirname(file);
    let list = byDir.get(dir);
    if (!list) byDir.set(dir, (list = []));
    list.push([file, content]);
    written.push(rel);
  }
  for (const [dir, files] of byDir) {
    if (files.length > 1 && dir !== distDir && !existsSync(dir)) writeNewFolder(dir, files);
    else {
      mkdirSync(dir, { recursive: true });
      for (const [file, content] of files) writeFileAtomically(file, content);
    }
  }

  // Files this write owns but no longer produces.
  const touchedDirs = new Set<string>();
  for (const rel of onDisk) {
    if (wanted.has(rel)) continue;
    if (opts.keep?.has(rel)) {
      unchanged.push(rel);
      continue;
    }
    unlinkSync(join(distDir, ...rel.split('/')));
    deleted.push(rel);
    touchedDirs.add(rel.split('/').slice(0, -1).join('/'));
  }
  // Remove folders left empty, innermost first, never dist/ itself.
  const dirs = [...touchedDirs].flatMap((d) =>
    d.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/')),
  );
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

function dirOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** `written 3, unchanged 32, deleted 0` */
export function summarize(
  r: WriteResult | { written: number; unchanged: number; deleted: number },
): string {
  const n = (x: number | readonly string[]) => (typeof x === 'number' ? x : x.length);
  return `written ${n(r.written)}, unchanged ${n(r.unchanged)}, deleted ${n(r.deleted)}`;
}
