/**
 * Pull-request mode reading only what the pull request touched and what that affects
 * (scope.ts): the namespaces in scope are read at head from the working tree; of the base only
 * the changed paths are read, from Git (`git cat-file --batch`, kept in memory): a path
 * `git diff` does not name has the same bytes at base and head, so the base's view of the
 * namespaces in scope is the head's objects with the changed files swapped for their base
 * versions (and the files `git ls-tree` does not list at base left out). The head is parsed once,
 * by the pipeline (`Extra.fromHead`). The checks are the same functions as the whole-tree mode
 * (index.ts) on that subset: the traffic changes, `manual-weight-step`, `dist-drift`
 * (drift-scoped.ts), `gate-check`, the fleet-file checks of safety.ts and exposure.ts, and the
 * schema and canary rules of the pipeline. Policies and cluster settings are the same at base and
 * head here (a change to them reads the whole tree). Returns undefined when the scope is the
 * whole tree (the caller then unpacks the base).
 */
import { isUtf8 } from 'node:buffer';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { checkFleetFile } from '../../fleet/load.js';
import type { FleetAgent } from '../../fleet/types.js';
import { runPipeline } from '../pipeline.js';
import { loadFleetNamespaces } from '../fleet-files.js';
import { loadText } from '../load/documents.js';
import { MANIFEST_EXTENSIONS } from '../load/read.js';
import type { Finding, Report, Resource } from '../types.js';
import { agentStates, trafficChanges } from './state.js';
import { askGate } from './gate.js';
import { policiesAt, pullRequestSafety } from './safety.js';
import { clusterAt, removedExposure } from './exposure.js';
import { driftOrSynthFailure } from './drift-compare.js';
import { changedPaths, isTopLevel, listAt, readAt, type ChangeStatus } from './changed.js';
import { pullRequestScope } from './scope.js';
import type { PullRequestOptions } from './options.js';

const posixRel = (root: string, p: string) =>
  relative(root, isAbsolute(p) ? p : resolve(p))
    .split(sep)
    .join('/');

/** Whether walking dist/ reads `rel` (dist-relative): a manifest extension, no hidden folder (read.ts). */
const walked = (rel: string) => {
  const seg = rel.split('/');
  const name = seg.pop()!.toLowerCase();
  return MANIFEST_EXTENSIONS.some((x) => name.endsWith(x)) && !seg.some((d) => d.startsWith('.'));
};

/** The objects of the files read at base (a file that does not read as UTF-8 YAML has none, as in loadResources). */
function baseResources(files: ReadonlyMap<string, Buffer>): Resource[] {
  const out: Resource[] = [];
  for (const [p, bytes] of files) {
    if (!isUtf8(bytes)) continue;
    try {
      out.push(...loadText(p, bytes.toString('utf8')).resources);
    } catch {
      // unreadable at base: nothing to compare with
    }
  }
  return out;
}

/**
 * The base's agents of the fleet files listed at base in scope: the head's agent for a file that
 * did not change, the base text checked for one that did (the first file of an id wins, as in
 * checkFleet).
 */
function baseFleet(
  fleet: string,
  listed: readonly string[],
  changed: ReadonlyMap<string, ChangeStatus>,
  bytes: ReadonlyMap<string, Buffer>,
  head: readonly FleetAgent[],
): Map<string, FleetAgent> {
  const headByFile = new Map(head.map((a) => [a.file, a]));
  const out = new Map<string, FleetAgent>();
  for (const p of listed) {
    const rel = p.slice(fleet.length + 1);
    let agent: FleetAgent | undefined;
    if (!changed.has(p)) agent = headByFile.get(rel);
    else {
      const b = bytes.get(p);
      if (b && isUtf8(b)) {
        try {
          agent = checkFleetFile(rel, b.toString('utf8')).agent;
        } catch {
          agent = undefined; // unreadable at base: the agent is new to this pull request
        }
      }
    }
    if (agent && !out.has(agent.id)) out.set(agent.id, agent);
  }
  return out;
}

export async function sparsePullRequest(
  paths: readonly string[],
  opts: PullRequestOptions,
  root: string,
  commit: string,
): Promise<Report | undefined> {
  // One directory inside the repository (the usual `validate dist --base ...`); anything else
  // (several paths, stdin, a file, a fleet given as a list) is read whole.
  if (paths.length !== 1 || paths[0] === '-' || Array.isArray(opts.fleet)) return undefined;
  const distPath = paths[0]!;
  if (!existsSync(distPath) || !statSync(distPath).isDirectory()) return undefined;
  // The generator (cdk8s, the constructs) loads while Git walks the working tree.
  const driftModule = opts.checkDrift !== false ? import('./drift-scoped.js') : undefined;
  driftModule?.catch(() => undefined); // awaited (and thrown) where it is used
  const dist = posixRel(root, distPath);
  if (dist === '' || dist.startsWith('..') || isAbsolute(dist)) return undefined;
  const fleet = typeof opts.fleet === 'string' ? posixRel(root, opts.fleet) : 'fleet';
  const policies = typeof opts.policies === 'string' ? posixRel(root, opts.policies) : 'policies';
  if ([fleet, policies].some((d) => d.startsWith('..') || isAbsolute(d))) return undefined;

  const [top, changed] = await Promise.all([isTopLevel(root), changedPaths(root, commit)]);
  if (!top) return undefined;
  const atBase = (p: string) => changed.get(p) !== 'A';
  const argocdChanged = [...changed.keys()].filter((p) => p.startsWith(`${dist}/argocd/`));
  const baseArgocd = await readAt(root, commit, argocdChanged.filter(atBase));
  const scope = pullRequestScope({
    changed: [...changed.keys()],
    dist,
    fleet,
    policies,
    headText: (p) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : undefined),
    baseText: (p) => baseArgocd.get(p)?.toString('utf8'),
  });
  if (scope.full) return undefined;
  const namespaces = scope.namespaces;
  const distDirs = [...namespaces, 'argocd'].sort();
  const headPaths = distDirs.map((ns) => join(distPath, ns)).filter((p) => existsSync(p));
  if (!headPaths.length) return undefined;

  // The base: which files of the folders in scope it has, and the bytes of the changed ones.
  const inScope = (p: string) =>
    distDirs.some((d) => p.startsWith(`${dist}/${d}/`)) ||
    namespaces.some((ns) => p.startsWith(`${fleet}/${ns}/`));
  const [listed, read] = await Promise.all([
    listAt(root, commit, [
      ...distDirs.map((d) => `${dist}/${d}`),
      ...namespaces.map((ns) => `${fleet}/${ns}`),
    ]),
    readAt(
      root,
      commit,
      [...changed.keys()].filter((p) => atBase(p) && inScope(p) && !baseArgocd.has(p)),
    ),
  ]);
  const bytes = new Map([...baseArgocd, ...read]);
  const listedDist = listed.filter(
    (p) => p.startsWith(`${dist}/`) && walked(p.slice(dist.length + 1)),
  );
  const listedAtBase = new Set(listedDist);
  const changedAtBase = new Map(
    listedDist.filter((p) => changed.has(p)).map((p) => [p, bytes.get(p) ?? Buffer.alloc(0)]),
  );

  const headFleet = loadFleetNamespaces(join(root, fleet), namespaces);
  const fleetAt = {
    base: baseFleet(
      fleet,
      listed.filter((p) => p.startsWith(`${fleet}/`)),
      changed,
      bytes,
      headFleet.agents,
    ),
    head: new Map(headFleet.agents.map((a) => [a.id, a])),
  };
  // Not changed by this pull request (else the whole tree is read): the same at base and head.
  const headPolicies = policiesAt(join(root, policies));
  const found: Finding[] = [];
  if (driftModule && !headFleet.findings.length) {
    const { scopedDrift } = await driftModule;
    found.push(
      ...driftOrSynthFailure(() =>
        scopedDrift({
          root,
          dist,
          fleet,
          policies,
          namespaces,
          agents: headFleet.agents,
          changedArgocd: argocdChanged.map((p) => p.slice(dist.length + 1)),
          repoURL: opts.repoURL,
          targetRevision: opts.targetRevision,
        }),
      ),
    );
  }
  const safety = [
    ...(await pullRequestSafety({
      root,
      baseCommit: commit,
      fleet,
      basePolicies: headPolicies,
      headPolicies,
      now: (opts.now ?? Date.now)(),
      ...fleetAt,
    })),
    ...removedExposure({ root, baseCluster: clusterAt(root), fleet, ...fleetAt }),
  ];
  const inRoot = (name: string) => (existsSync(join(root, name)) ? join(root, name) : undefined);
  const { report } = await runPipeline(
    headPaths,
    { ...opts, policies: opts.policies ?? inRoot('policies') },
    {
      fleet: headFleet,
      fromHead: async (head) => {
        // The base's objects: the unchanged files' objects as read at head, the changed files'
        // from their base bytes.
        const unchanged = head.filter((r) => {
          const p = posixRel(root, r.file);
          return listedAtBase.has(p) && !changed.has(p);
        });
        const baseStates = agentStates([...unchanged, ...baseResources(changedAtBase)]);
        const changes = trafficChanges(baseStates, agentStates(head));
        const baseWeights = new Map<string, number>();
        for (const [id, s] of baseStates)
          if (s.mode === 'manual') baseWeights.set(id, s.canaryEnabled ? (s.weight ?? 0) : 0);
        const gate = opts.gate ? await askGate(opts.gate, head, changes) : [];
        return { findings: [...found, ...gate, ...safety], changes, baseWeights };
      },
    },
  );
  return report;
}
