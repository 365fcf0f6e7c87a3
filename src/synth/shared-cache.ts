/**
 * The cache entry of the shared objects (gate server, Argo CD objects, one dashboard per
 * namespace): an incremental run whose agents' summaries and settings are those of the last run
 * skips rendering them (about half of a one-agent run at 10,000 agents) when the files on disk
 * still hold what that run wrote.
 *
 * `<cache>/synth/<hash of the output folder>/shared.objects`: the checked format of cache.ts
 * (header with checksum, JSON body `{ tool, key, files: [[path, sha256 of the bytes]] }`).
 *
 * Never trusted: a damaged or foreign entry counts as missing; a match of the key is not enough,
 * every file is read and hashed (a few hundred files: cheap next to rendering them), so an edit
 * in place, a deleted file or a checkout is seen and the objects are rendered and written again.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readChecked, sha256, writeChecked } from './cache.js';
import type { AgentSummary, Manifest } from './synthesize.js';

const FILE = 'shared.objects';
const HEX64 = /^[0-9a-f]{64}$/;

export interface SharedEntry {
  /** `sharedKey` of the run that wrote the files. */
  readonly key: string;
  /** Each shared object's path in dist/ and the sha256 of its bytes, sorted by path. */
  readonly files: ReadonlyArray<readonly [string, string]>;
}

/**
 * sha256 of every input of the shared objects: the settings (`settings`: the agents' context key
 * and every option only the shared objects read) and every agent's summary, in id order.
 */
export function sharedKey(settings: string, summaries: readonly AgentSummary[]): string {
  const ordered = [...summaries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return sha256(`${settings}\0${JSON.stringify(ordered)}`);
}

function validFiles(v: unknown): v is Array<[string, string]> {
  return (
    Array.isArray(v) &&
    v.every(
      (f) =>
        Array.isArray(f) &&
        f.length === 2 &&
        typeof f[0] === 'string' &&
        !f[0].startsWith('/') &&
        !f[0].includes('..') &&
        typeof f[1] === 'string' &&
        HEX64.test(f[1]),
    )
  );
}

/** The entry of the last run, or undefined when there is none usable (missing, damaged, foreign). */
export function readShared(cacheDir: string, tool: string): SharedEntry | undefined {
  const read = readChecked(join(cacheDir, FILE));
  if (!('body' in read)) return undefined;
  const b = read.body as { tool?: unknown; key?: unknown; files?: unknown };
  if (b.tool !== tool || typeof b.key !== 'string' || !validFiles(b.files)) return undefined;
  return { key: b.key, files: b.files };
}

export function writeShared(
  cacheDir: string,
  tool: string,
  key: string,
  manifests: readonly Manifest[],
): void {
  const files = manifests
    .map((m) => [m.path, sha256(m.content)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  writeChecked(join(cacheDir, FILE), JSON.stringify({ tool, key, files }));
}

/** Whether every file of the entry is in dist/ with the recorded bytes. */
export function sharedOnDisk(outDir: string, entry: SharedEntry): boolean {
  for (const [path, hash] of entry.files) {
    try {
      if (sha256(readFileSync(join(outDir, ...path.split('/')))) !== hash) return false;
    } catch {
      return false;
    }
  }
  return true;
}
