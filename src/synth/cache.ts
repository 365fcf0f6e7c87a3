/**
 * The incremental synthesis cache: what `agent-canary synth` knows about the agents it wrote, so
 * the next run re-synthesizes only the agents whose inputs changed.
 *
 * Layout: `<cache>/synth/<hash of the output folder>/<namespace>.shard`, one shard per fleet
 * namespace (a one-agent change rewrites one shard of ~100 entries, not the fleet's). A shard is
 * a header line `agent-canary-synth-cache <format> sha256:<hex of the body>` and a JSON body.
 *
 * Never trusted: a shard whose checksum, format, tool or shape is wrong (truncated, edited,
 * written by another version) is reported and ignored, so its namespace is synthesized again and
 * the shard rewritten. An entry is used only when its key (a hash of every input of that agent's
 * output, see incremental.ts) matches, and only for an agent that is still in the fleet.
 */
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import type { AgentSummary } from './synthesize.js';

export const CACHE_FORMAT = 1;
const MAGIC = 'agent-canary-synth-cache';
const SHARD_EXT = '.shard';

/** What the cache keeps of one agent. */
export interface CachedAgent {
  /** The fleet file, relative to the fleet folder. */
  readonly file: string;
  /** sha256 of every input of the agent's output (incremental.ts `agentKey`). */
  readonly key: string;
  /** sha256 of the fleet file's path and bytes, as they were when `checkedAt`. */
  readonly fileHash: string;
  /** The fleet file's `<ino>:<size>:<mtimeNs>` then ('' when it was not a plain file). */
  readonly source: string;
  /** When the fleet file was last read or found unchanged (ms since the epoch). */
  readonly checkedAt: number;
  /** The policy the fleet file names (`rollout.policy`), so its hash can join the key. */
  readonly policy: string;
  readonly summary: AgentSummary;
  /** Warnings of the fleet file, printed again on every run as a full synthesis would. */
  readonly warnings: readonly string[];
  /** The files of the agent's folder, relative to it, sorted. */
  readonly files: readonly string[];
  /** sha256 over every file's name and bytes (`folderDigest`). */
  readonly digest: string;
  /** The agent folder's inode and mtime (ns) after the last write or check. */
  readonly stamp: string;
}

export interface Shard {
  readonly namespace: string;
  /** Fleet file -> entry. */
  readonly agents: Map<string, CachedAgent>;
}

export type ShardRead =
  { readonly shard: Shard } | { readonly missing: true } | { readonly corrupt: string };

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** One hash over a folder's files: `name NUL bytes NUL` for each, in the order given (sorted). */
export function folderDigest(files: ReadonlyArray<readonly [string, string | Buffer]>): string {
  const h = createHash('sha256');
  for (const [name, content] of files) h.update(`${name}\0`).update(content).update('\0');
  return h.digest('hex');
}

/** The cache folder of one output folder. */
export function synthCacheDir(cacheRoot: string, outDir: string): string {
  return join(cacheRoot, 'synth', sha256(outDir).slice(0, 24));
}

const OUTPUT_FILE = 'output';

/**
 * Creates the cache folder of `outDir` (recording which output folder it describes) and removes
 * the cache folders of output folders that no longer exist (temporary dists, deleted clones), so
 * the cache does not grow with every folder ever synthesized into.
 */
export function claimCacheDir(cacheRoot: string, outDir: string): string {
  const dir = synthCacheDir(cacheRoot, outDir);
  const parent = join(cacheRoot, 'synth');
  for (const name of safeList(parent)) {
    const other = join(parent, name);
    if (other === dir) continue;
    let out: string;
    try {
      out = readFileSync(join(other, OUTPUT_FILE), 'utf8');
    } catch {
      continue; // not ours, or being created: left alone
    }
    if (!existsSync(out)) rmSync(other, { recursive: true, force: true });
  }
  mkdirSync(dir, { recursive: true });
  if (!existsSync(join(dir, OUTPUT_FILE))) writeFileSync(join(dir, OUTPUT_FILE), outDir);
  return dir;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function shardFile(dir: string, namespace: string): string {
  return join(dir, `${namespace}${SHARD_EXT}`);
}

const HEX64 = /^[0-9a-f]{64}$/;
const isString = (v: unknown): v is string => typeof v === 'string';
const isStringList = (v: unknown): v is string[] => Array.isArray(v) && v.every(isString);

function validEntry(v: unknown, namespace: string): v is CachedAgent {
  if (!v || typeof v !== 'object') return false;
  const e = v as Record<string, unknown>;
  const s = e['summary'] as Record<string, unknown> | undefined;
  const d = s?.['dashboard'] as Record<string, unknown> | undefined;
  return (
    isString(e['file']) &&
    isString(e['key']) &&
    isString(e['fileHash']) &&
    HEX64.test(e['fileHash']) &&
    isString(e['source']) &&
    typeof e['checkedAt'] === 'number' &&
    isString(e['policy']) &&
    isString(e['stamp']) &&
    isString(e['digest']) &&
    HEX64.test(e['digest']) &&
    isStringList(e['files']) &&
    (e['files'] as string[]).every((f) => !f.startsWith('/') && !f.includes('..')) &&
    isStringList(e['warnings']) &&
    !!s &&
    isString(s['id']) &&
    s['namespace'] === namespace &&
    isStringList(s['controllerScaled']) &&
    !!d &&
    isString(d['name']) &&
    (d['source'] === 'istio' || d['source'] === 'app')
  );
}

export type CheckedRead =
  { readonly body: unknown } | { readonly missing: true } | { readonly corrupt: string };

/**
 * Reads a cache file (header line with format and checksum, JSON body): anything but an intact
 * file of this format is `missing` or `corrupt`.
 */
export function readChecked(file: string): CheckedRead {
  let raw: string;
  try {
    raw = readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { missing: true };
    return { corrupt: `cannot be read (${(e as NodeJS.ErrnoException).code ?? String(e)})` };
  }
  const nl = raw.indexOf('\n');
  const header = nl < 0 ? raw : raw.slice(0, nl);
  const m = /^(\S+) (\d+) sha256:([0-9a-f]{64})$/.exec(header);
  if (!m || m[1] !== MAGIC) return { corrupt: 'no cache header' };
  if (Number(m[2]) !== CACHE_FORMAT) return { corrupt: `format ${m[2]}, not ${CACHE_FORMAT}` };
  const body = raw.slice(nl + 1);
  if (sha256(body) !== m[3]) return { corrupt: 'checksum mismatch (truncated or edited)' };
  try {
    return { body: JSON.parse(body) as unknown };
  } catch {
    return { corrupt: 'body is not JSON' };
  }
}

/** Reads one namespace's shard; anything but a valid shard of this tool is `missing` or `corrupt`. */
export function readShard(dir: string, namespace: string, tool: string): ShardRead {
  const read = readChecked(shardFile(dir, namespace));
  if (!('body' in read)) return read;
  const p = read.body as { tool?: unknown; namespace?: unknown; agents?: unknown };
  // Another version of the generator wrote it: its entries describe other output.
  if (p.tool !== tool) return { missing: true };
  if (p.namespace !== namespace || !Array.isArray(p.agents))
    return { corrupt: 'not a shard of this namespace' };
  const agents = new Map<string, CachedAgent>();
  for (const e of p.agents) {
    if (!validEntry(e, namespace)) return { corrupt: 'an entry has the wrong shape' };
    agents.set(e.file, e);
  }
  return { shard: { namespace, agents } };
}

let tmpCounter = 0;

/** Writes a cache file atomically (temp file + rename): a killed run leaves the old file or the new. */
export function writeChecked(file: string, body: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.${tmpCounter++}.tmp`;
  try {
    writeFileSync(tmp, `${MAGIC} ${CACHE_FORMAT} sha256:${sha256(body)}\n${body}`);
    renameSync(tmp, file);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* not created */
    }
    throw e;
  }
}

/** Writes one namespace's shard. */
export function writeShard(dir: string, shard: Shard, tool: string): void {
  const agents = [...shard.agents.values()].sort((a, b) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : 0,
  );
  writeChecked(
    shardFile(dir, shard.namespace),
    JSON.stringify({ tool, namespace: shard.namespace, agents }),
  );
}

/** Removes the shards of namespaces that are no longer in the fleet. */
export function pruneShards(dir: string, keep: ReadonlySet<string>): void {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const n of names) {
    if (!n.endsWith(SHARD_EXT) || keep.has(n.slice(0, -SHARD_EXT.length))) continue;
    try {
      unlinkSync(join(dir, n));
    } catch {
      /* gone already */
    }
  }
}
