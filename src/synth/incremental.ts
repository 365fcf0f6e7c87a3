/**
 * `agent-canary synth` into a folder, incrementally: only the agents whose inputs changed are
 * synthesized again, one namespace at a time, and the shared objects (gate, Argo CD, dashboards)
 * are rebuilt from every agent's summary on each run.
 *
 * The inputs of one agent's output, hashed into its cache key (`agentKey`):
 * - the bytes of its fleet file (and its path: the path names the namespace and the agent);
 * - the spec of the policy it names (so a policy change re-synthesizes exactly its users);
 * - the cluster settings (`agent-canary.yaml`), the gate secret (hashed: it derives the hook
 *   tokens), the workload defaults;
 * - the generator itself (`toolId`: version, code, rendering libraries).
 * An agent is reused when its key matches and its dist/ folder is what the cache says it wrote:
 * the folder's inode and mtime are unchanged, or, when they changed (a checkout, an edit), every
 * file's sha256 still matches. Otherwise it is synthesized again. See docs/generator.md,
 * "Incremental synthesis".
 *
 * Memory: fleet files are parsed only when their agent is synthesized again; agents are built,
 * rendered and written in small batches (`batch`), each agent in a construct tree of its own
 * that is released once rendered, so the output in memory at once is one batch's and the peak
 * grows with neither the fleet nor the largest namespace. What is kept for the whole run is one
 * summary per agent (for the shared objects) and the parsed fleet files of the pending agents.
 */
import { readFileSync, readdirSync, statSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { AgentCanaryError } from '../errors/error.js';
import { LocatedError } from '../errors/located.js';
import { checkFleetFile, duplicateId, readFleetText, scanFleet } from '../fleet/load.js';
import type { FleetAgent } from '../fleet/types.js';
import { resolvePolicy } from '../policy/load.js';
import type { Policy } from '../policy/types.js';
import {
  pruneShards,
  readShard,
  sha256,
  claimCacheDir,
  folderDigest,
  writeShard,
  type CachedAgent,
  type Shard,
} from './cache.js';
import { writeOutput, type OwnedFolder, type WriteResult } from './output.js';
import { readShared, sharedKey, sharedOnDisk, writeShared } from './shared-cache.js';
import {
  ARGOCD_DIR,
  synthesizeAgents,
  synthesizeShared,
  type AgentSummary,
  type Manifest,
  type SynthOptions,
} from './synthesize.js';
import { toolId } from './tool-id.js';

export interface IncrementalOptions extends SynthOptions {
  /** The fleet folder (`<namespace>/<agent>.yaml`). */
  readonly fleetDir: string;
  /** The output folder (dist/). */
  readonly outDir: string;
  /**
   * Where the cache lives: `<cacheRoot>/synth/<hash of outDir>/`. Undefined: no cache at all
   * (every agent is synthesized; nothing is remembered).
   */
  readonly cacheRoot?: string;
  /** Ignore the cache (synthesize every agent) and rewrite it. @default false */
  readonly full?: boolean;
  /** The generator's identity in cache keys. @default toolId() (version + code hash) */
  readonly tool?: string;
  /**
   * Agents synthesized and written together: their manifests are the only output held in
   * memory at once, so the peak grows with neither the fleet nor the namespace. @default 16
   */
  readonly batch?: number;
}

export interface IncrementalResult {
  readonly agents: number;
  readonly objects: number;
  /** Agents synthesized in this run. */
  readonly synthesized: number;
  /** Agents whose output came from the cache (their dist/ folder left as it is). */
  readonly reused: number;
  readonly written: number;
  readonly unchanged: number;
  readonly deleted: number;
  /** Fleet warnings, in file order (also of the reused agents). */
  readonly warnings: readonly string[];
  /** Cache shards that were ignored and rebuilt: `<namespace>: <why>`. */
  readonly rebuilt: readonly string[];
}

/** Bad fleet files: every error, nothing written. */
export class FleetErrors extends AgentCanaryError {
  constructor(readonly errors: readonly LocatedError[]) {
    super('bad-request', errors.map((e) => e.message).join('\n'));
  }
}

interface PendingAgent {
  readonly seen: { fileHash: string; source: string; checkedAt: number };
  readonly file: string;
  readonly agent: FleetAgent;
  readonly key: string;
  readonly warnings: readonly string[];
}

interface NamespacePlan {
  readonly namespace: string;
  /** Entries reused as they are. */
  readonly reused: CachedAgent[];
  /** Agents to synthesize. */
  readonly pending: PendingAgent[];
  /** Whether the shard must be written (anything changed, or it was missing or corrupt). */
  dirty: boolean;
}

/** sha256 of what every agent's output depends on besides its own file and policy. */
function contextKey(opts: IncrementalOptions, tool: string): string {
  const { file: _file, ...cluster } = opts.cluster ?? ({} as Record<string, unknown>);
  return sha256(
    JSON.stringify({
      tool,
      cluster,
      gateSecret: opts.gateSecret === undefined ? null : sha256(opts.gateSecret),
      workload: opts.workload ?? null,
    }),
  );
}

/**
 * sha256 of what the shared objects depend on besides the agents' summaries: the agents' context
 * and the options only the shared objects read (repository, revision, path, gate, Argo CD).
 */
function sharedSettings(opts: IncrementalOptions, context: string): string {
  return sha256(
    JSON.stringify({
      context,
      repoURL: opts.repoURL ?? null,
      targetRevision: opts.targetRevision ?? null,
      distPath: opts.distPath ?? null,
      gate: opts.gate ?? null,
      argocd: opts.argocd ?? null,
    }),
  );
}

function policyKeys(policies: ReadonlyMap<string, Policy>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, p] of policies) out.set(name, sha256(JSON.stringify(p.spec)));
  return out;
}

function agentKey(context: string, fileHash: string, policy: string, policyKey: string): string {
  return sha256(`${context}\0${fileHash}\0${policy}\0${policyKey}`);
}

/** `<ino>:<mtimeNs>` of a folder, or undefined when it is not one. */
function stampOf(dir: string): string | undefined {
  try {
    const st = statSync(dir, { bigint: true });
    return st.isDirectory() ? `${st.ino}:${st.mtimeNs}` : undefined;
  } catch {
    return undefined;
  }
}

const OWNED_EXT = /\.ya?ml$/;

/**
 * Every YAML file below `rel` (relative to `root`; hidden folders skipped, as the writer does),
 * or false when a folder cannot be read.
 */
function listFiles(root: string, rel: string, out: string[]): boolean {
  let entries: Dirent[];
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const r = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      if (!e.name.startsWith('.') && !listFiles(root, r, out)) return false;
    } else if (OWNED_EXT.test(e.name)) out.push(r);
  }
  return true;
}

/**
 * Whether the agent's dist/ folder holds exactly the files the cache recorded. The stamp says
 * so cheaply; when it changed, every file is read and hashed.
 */
function distMatches(outDir: string, entry: CachedAgent): string | undefined {
  const id = entry.summary.id;
  const stamp = stampOf(join(outDir, id));
  if (stamp === undefined) return undefined;
  if (stamp === entry.stamp) return stamp;
  const files: string[] = [];
  if (!listFiles(outDir, id, files)) return undefined;
  const names = files.map((f) => f.slice(id.length + 1)).sort();
  if (names.join('\0') !== entry.files.join('\0')) return undefined;
  try {
    const digest = folderDigest(names.map((n) => [n, readFileSync(join(outDir, id, n))] as const));
    return digest === entry.digest ? stamp : undefined;
  } catch {
    return undefined;
  }
}

/**
 * How far apart a file's mtime and the moment it was read must be before its stat alone is
 * trusted: the coarsest mtime granularity of common file systems (FAT: 2 s).
 */
const RACY_MS = 2000;

/** A fleet file's `<ino>:<size>:<mtimeNs>` and its mtime in ms. */
function sourceStamp(path: string): { stamp: string; mtimeMs: number } | undefined {
  try {
    const st = statSync(path, { bigint: true });
    return st.isFile()
      ? { stamp: `${st.ino}:${st.size}:${st.mtimeNs}`, mtimeMs: Number(st.mtimeMs) }
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a fleet file is, by its stat, the file the cache hashed: same inode, size and mtime,
 * and that mtime well before the moment it was read. Git's racy-clean rule: a file changed again
 * within the file system's mtime granularity after it was read could keep the same stat, so a
 * file whose mtime is that close to its reading is read and hashed again.
 */
function unchangedSince(cached: CachedAgent, source: { stamp: string; mtimeMs: number }): boolean {
  return cached.source === source.stamp && source.mtimeMs + RACY_MS < cached.checkedAt;
}

const DEFAULT_BATCH = 16;

function namespaceOf(file: string): string {
  return file.slice(0, file.indexOf('/'));
}

/** Synthesizes the fleet into `opts.outDir`, reusing what the cache proves unchanged. */
export function synthesizeIncremental(
  opts: IncrementalOptions,
  policies: ReadonlyMap<string, Policy>,
): IncrementalResult {
  const { fleetDir, outDir } = opts;
  const tool = opts.tool ?? toolId();
  const cacheDir = opts.cacheRoot === undefined ? undefined : claimCacheDir(opts.cacheRoot, outDir);
  const context = contextKey(opts, tool);
  const pKeys = policyKeys(policies);

  // Pass 1: which agents changed. Only their files are parsed; every error is collected before
  // anything is written.
  const scan = scanFleet(fleetDir);
  const errors: LocatedError[] = [...scan.errors];
  const warnings: string[] = [];
  const rebuilt: string[] = [];
  const plans = new Map<string, NamespacePlan>();
  const shards = new Map<string, Shard>();
  const ids = new Map<string, string>();
  for (const file of scan.files) {
    const namespace = namespaceOf(file);
    let plan = plans.get(namespace);
    if (!plan) {
      let shard: Shard = { namespace, agents: new Map() };
      let dirty = true;
      if (cacheDir && !opts.full) {
        const read = readShard(cacheDir, namespace, tool);
        if ('shard' in read) {
          shard = read.shard;
          dirty = false;
        } else if ('corrupt' in read) rebuilt.push(`${namespace}: ${read.corrupt}`);
      }
      shards.set(namespace, shard);
      plans.set(namespace, (plan = { namespace, reused: [], pending: [], dirty }));
    }
    const cached = shards.get(namespace)!.agents.get(file);
    const plain = !scan.linked.has(file);
    // Taken before the stat and the read: see `unchangedSince`.
    const checkedAt = Date.now();
    const source = plain ? sourceStamp(join(fleetDir, file)) : undefined;
    let text: string | undefined;
    let fileHash: string;
    if (cached && source !== undefined && unchangedSince(cached, source)) {
      fileHash = cached.fileHash;
    } else {
      try {
        text = readFleetText(fleetDir, file, plain);
      } catch (e) {
        if (e instanceof LocatedError) {
          errors.push(e);
          continue;
        }
        throw e;
      }
      fileHash = sha256(`${file}\0${text}`);
    }
    const seen = { fileHash, source: source?.stamp ?? '', checkedAt };
    if (cached) {
      const pk = pKeys.get(cached.policy);
      const stamp =
        pk !== undefined && cached.key === agentKey(context, fileHash, cached.policy, pk)
          ? distMatches(outDir, cached)
          : undefined;
      if (stamp !== undefined) {
        const other = ids.get(cached.summary.id);
        if (other !== undefined)
          errors.push(duplicateId({ id: cached.summary.id, file }, { file: other }));
        ids.set(cached.summary.id, file);
        warnings.push(...cached.warnings);
        // A new stamp of the dist folder or a newly read file is remembered; a stat shortcut is not.
        const same = stamp === cached.stamp && text === undefined;
        if (!same) plan.dirty = true;
        plan.reused.push(same ? cached : { ...cached, ...seen, stamp });
        continue;
      }
    }
    if (text === undefined) {
      try {
        text = readFleetText(fleetDir, file, plain);
      } catch (e) {
        if (e instanceof LocatedError) {
          errors.push(e);
          continue;
        }
        throw e;
      }
      fileHash = sha256(`${file}\0${text}`);
      seen.fileHash = fileHash;
    }
    const check = checkFleetFile(file, text);
    errors.push(...check.errors);
    const fileWarnings = check.warnings.map((w) => w.message);
    warnings.push(...fileWarnings);
    const agent = check.agent;
    if (!agent) continue;
    const other = ids.get(agent.id);
    if (other !== undefined) {
      errors.push(duplicateId(agent, { file: other }));
      continue;
    }
    ids.set(agent.id, file);
    // The policy and its overrides are checked now, so a bad one stops the run before writing.
    try {
      resolvePolicy(policies, agent);
    } catch (e) {
      if (e instanceof LocatedError) {
        errors.push(e);
        continue;
      }
      throw e;
    }
    const policy = agent.rollout.policy;
    plan.dirty = true;
    plan.pending.push({
      file,
      agent,
      key: agentKey(context, fileHash, policy, pKeys.get(policy)!),
      warnings: fileWarnings,
      seen,
    });
  }
  if (errors.length) throw new FleetErrors(errors);

  // Pass 2: one namespace at a time, synthesize and write the changed agents.
  const summaries: AgentSummary[] = [];
  let objects = 0;
  let written = 0;
  let unchanged = 0;
  let deleted = 0;
  let synthesized = 0;
  let reused = 0;
  const fleetIds = new Set(ids.keys());
  const batchSize = Math.max(1, opts.batch ?? DEFAULT_BATCH);
  const namespaces = new Set(plans.keys());
  for (const namespace of [...namespaces].sort()) {
    const plan = plans.get(namespace)!;
    const shard: Shard = { namespace, agents: new Map() };
    for (const e of plan.reused) {
      shard.agents.set(e.file, e);
      summaries.push(e.summary);
      // A reused agent's files are unchanged: counted so, as a full synthesis would count them.
      objects += e.files.length;
      unchanged += e.files.length;
      reused++;
    }
    // A cache entry of an agent that is gone (or moved to another file) is dropped.
    for (const f of shards.get(namespace)!.agents.keys())
      if (!shard.agents.has(f) && !plan.pending.some((p) => p.file === f)) plan.dirty = true;
    for (let i = 0; i < plan.pending.length; i += batchSize) {
      const batch = plan.pending.slice(i, i + batchSize);
      const out = synthesizeAgents(
        batch.map((p) => p.agent),
        opts,
      );
      const w = writeOutput(outDir, out.manifests, {
        owns: batch.map((p) => ({ dir: p.agent.id, files: 'all' as const })),
      });
      written += w.written.length;
      unchanged += w.unchanged.length;
      deleted += w.deleted.length;
      objects += out.manifests.length;
      synthesized += batch.length;
      const byAgent = groupByAgent(out.manifests);
      const summaryOf = new Map(out.summaries.map((x) => [x.id, x]));
      for (const p of batch) {
        const summary = summaryOf.get(p.agent.id)!;
        const prefix = p.agent.id.length + 1;
        const own = (byAgent.get(p.agent.id) ?? [])
          .map((m) => [m.path.slice(prefix), m.content] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
        summaries.push(summary);
        shard.agents.set(p.file, {
          ...p.seen,
          file: p.file,
          key: p.key,
          policy: p.agent.rollout.policy,
          summary,
          warnings: p.warnings,
          files: own.map(([n]) => n),
          digest: folderDigest(own),
          stamp: stampOf(join(outDir, p.agent.id)) ?? '',
        });
      }
    }
    if (cacheDir && plan.dirty) writeShard(cacheDir, shard, tool);
    // The parsed fleet files of this namespace are not needed any more.
    plans.delete(namespace);
    shards.delete(namespace);
  }

  // The shared objects, from every agent's summary (rendered again only when their inputs or
  // files changed), and the sweep of what no agent owns now.
  const sKey = sharedKey(sharedSettings(opts, context), summaries);
  const last = cacheDir && !opts.full ? readShared(cacheDir, tool) : undefined;
  let w: WriteResult;
  if (last && last.key === sKey && sharedOnDisk(outDir, last)) {
    const paths = last.files.map(([p]) => p);
    objects += paths.length;
    w = writeOutput(outDir, [], {
      owns: sharedOwnership(outDir, paths, namespaces, fleetIds),
      keep: new Set(paths),
    });
  } else {
    const shared = synthesizeShared(summaries, opts);
    objects += shared.length;
    w = writeOutput(outDir, shared, {
      owns: sharedOwnership(
        outDir,
        shared.map((m) => m.path),
        namespaces,
        fleetIds,
      ),
    });
    if (cacheDir) writeShared(cacheDir, tool, sKey, shared);
  }
  written += w.written.length;
  unchanged += w.unchanged.length;
  deleted += w.deleted.length;
  if (cacheDir) pruneShards(cacheDir, namespaces);
  return {
    agents: fleetIds.size,
    objects,
    synthesized,
    reused,
    written,
    unchanged,
    deleted,
    warnings,
    rebuilt,
  };
}

function groupByAgent(manifests: readonly Manifest[]): Map<string, Manifest[]> {
  const out = new Map<string, Manifest[]>();
  for (const m of manifests) {
    const parts = m.path.split('/');
    const id = `${parts[0]}/${parts[1]}`;
    let list = out.get(id);
    if (!list) out.set(id, (list = []));
    list.push(m);
  }
  return out;
}

function subfolders(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
      .map((e) => e.name);
  } catch {
    return [];
  }
}

/**
 * What the shared write owns, so that dist/ ends as a full synthesis would leave it: the shared
 * objects' folders, the files directly in dist/ and in each top folder (dashboards), and every
 * folder no agent and no shared object claims (a removed agent or namespace: its files go).
 */
function sharedOwnership(
  outDir: string,
  shared: readonly string[],
  namespaces: ReadonlySet<string>,
  agentIds: ReadonlySet<string>,
): OwnedFolder[] {
  const sharedDirs = new Set<string>();
  const sharedTops = new Set<string>();
  for (const path of shared) {
    const parts = path.split('/');
    if (parts.length > 2) sharedDirs.add(parts.slice(0, -1).join('/'));
    else if (parts.length === 2 && parts[0] === ARGOCD_DIR) sharedDirs.add(ARGOCD_DIR);
    sharedTops.add(parts[0]!);
  }
  const owns: OwnedFolder[] = [{ dir: '', files: 'direct' }];
  for (const d of sharedDirs) owns.push({ dir: d, files: 'all' });
  for (const top of subfolders(outDir)) {
    if (sharedDirs.has(top)) continue;
    if (!namespaces.has(top) && !sharedTops.has(top)) {
      owns.push({ dir: top, files: 'all' });
      continue;
    }
    owns.push({ dir: top, files: 'direct' });
    for (const sub of subfolders(join(outDir, top))) {
      const rel = `${top}/${sub}`;
      if (!agentIds.has(rel) && !sharedDirs.has(rel)) owns.push({ dir: rel, files: 'all' });
    }
  }
  // A shared folder's parent that does not exist yet (a first synthesis) still owns its files.
  for (const top of sharedTops)
    if (!sharedDirs.has(top) && !owns.some((o) => o.dir === top))
      owns.push({ dir: top, files: 'direct' });
  return owns;
}
