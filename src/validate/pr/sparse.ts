/**
 * Pull-request mode reading only what the pull request touched and what that affects
 * (scope.ts): the namespaces in scope are read at head from the working tree and at base from
 * Git (`git ls-tree` + one `git cat-file --batch`, written to a small temp tree), never the whole
 * tree twice. The checks are the same functions as the whole-tree mode (index.ts) on that subset:
 * the traffic changes, `manual-weight-step`, `dist-drift` (drift-scoped.ts), `gate-check`, the
 * fleet-file checks of safety.ts and exposure.ts, and the schema and canary rules of the pipeline.
 * Returns undefined when the scope is the whole tree (the caller then unpacks the base).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { CONFIG_FILE } from '../../config/defaults.js';
import type { FleetAgent } from '../../fleet/types.js';
import { runPipeline } from '../pipeline.js';
import { loadFleetNamespaces } from '../fleet-files.js';
import type { Finding, Report } from '../types.js';
import { agentStates, trafficChanges } from './state.js';
import { askGate } from './gate.js';
import { pullRequestSafety } from './safety.js';
import { removedExposure } from './exposure.js';
import { scopedDrift } from './drift-scoped.js';
import { driftOrSynthFailure } from './drift.js';
import { changedPaths, isTopLevel, listAt, readAt, writeTree } from './changed.js';
import { pullRequestScope } from './scope.js';
import { loadResources } from './resources.js';
import type { PullRequestOptions } from './options.js';

const posixRel = (root: string, p: string) =>
  relative(root, isAbsolute(p) ? p : resolve(p))
    .split(sep)
    .join('/');

const byId = (agents: readonly FleetAgent[]) => new Map(agents.map((a) => [a.id, a]));

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
  const dist = posixRel(root, distPath);
  if (dist === '' || dist.startsWith('..') || isAbsolute(dist)) return undefined;
  if (!(await isTopLevel(root))) return undefined;
  const fleet = typeof opts.fleet === 'string' ? posixRel(root, opts.fleet) : 'fleet';
  const policies = typeof opts.policies === 'string' ? posixRel(root, opts.policies) : 'policies';
  if ([fleet, policies].some((d) => d.startsWith('..') || isAbsolute(d))) return undefined;

  const changed = await changedPaths(root, commit);
  const argocdChanged = changed.filter((p) => p.startsWith(`${dist}/argocd/`));
  const baseArgocd = await readAt(root, commit, argocdChanged);
  const scope = pullRequestScope({
    changed,
    dist,
    fleet,
    policies,
    headText: (p) => (existsSync(join(root, p)) ? readFileSync(join(root, p), 'utf8') : undefined),
    baseText: (p) => baseArgocd.get(p)?.toString('utf8'),
  });
  if (scope.full) return undefined;
  const namespaces = scope.namespaces;

  // The base's files of the namespaces in scope, its Argo CD folder, policies and settings.
  const baseDir = mkdtempSync(join(tmpdir(), 'agent-canary-base-'));
  try {
    const listed = await listAt(root, commit, [
      ...namespaces.flatMap((ns) => [`${dist}/${ns}`, `${fleet}/${ns}`]),
      `${dist}/argocd`,
      policies,
    ]);
    writeTree(baseDir, await readAt(root, commit, [...listed, CONFIG_FILE]));

    const scoped = (dir: string) =>
      [...namespaces, 'argocd']
        .sort()
        .map((ns) => join(dir, ns))
        .filter((p) => existsSync(p));
    const headPaths = scoped(distPath);
    if (!headPaths.length) return undefined;
    const [baseResources, headResources] = await Promise.all([
      loadResources(scoped(join(baseDir, dist))),
      loadResources(headPaths),
    ]);
    const baseStates = agentStates(baseResources);
    const headStates = agentStates(headResources);
    const changes = trafficChanges(baseStates, headStates);
    const baseWeights = new Map<string, number>();
    for (const [id, s] of baseStates)
      if (s.mode === 'manual') baseWeights.set(id, s.canaryEnabled ? (s.weight ?? 0) : 0);

    const fleetRoot = typeof opts.fleet === 'string' ? opts.fleet : join(root, 'fleet');
    const headFleet = loadFleetNamespaces(fleetRoot, namespaces);
    const baseFleet = loadFleetNamespaces(join(baseDir, fleet), namespaces);
    const extra: Finding[] = [];
    if (opts.checkDrift !== false && !headFleet.findings.length) {
      extra.push(
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
    if (opts.gate) extra.push(...(await askGate(opts.gate, headResources, changes)));
    const fleetAt = { base: byId(baseFleet.agents), head: byId(headFleet.agents) };
    extra.push(
      ...(await pullRequestSafety({
        root,
        baseDir,
        baseCommit: commit,
        fleet,
        policies,
        now: (opts.now ?? Date.now)(),
        ...fleetAt,
      })),
      ...removedExposure({ root, baseDir, fleet, ...fleetAt }),
    );
    const inRoot = (name: string) => (existsSync(join(root, name)) ? join(root, name) : undefined);
    const { report } = await runPipeline(
      headPaths,
      { ...opts, policies: opts.policies ?? inRoot('policies'), baseWeights },
      { findings: extra, changes, fleet: headFleet },
    );
    return report;
  } finally {
    rmSync(baseDir, { recursive: true, force: true });
  }
}
