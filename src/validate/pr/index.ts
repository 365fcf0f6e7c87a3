/**
 * Pull-request mode (`validate --base REF`): the head (working tree) is validated as usual, plus
 * - per agent, what the change does to live traffic (base vs head),
 * - manual weights may only move to the next policy step or back down (rule manual-weight-step),
 * - dist/ must equal what the fleet at head synthesizes (rule dist-drift),
 * - with `--gate URL`, a weight increase needs the quality gate's approval (rule gate-check),
 * - from the fleet files at base and head (safety.ts, exposure.ts): a promotion only from the last
 *   step, a weight increase or promotion only after the step's hold, no stable change without a
 *   canary, no removed host or gateway. A broken fleet file is a finding of the pipeline.
 * A pull request whose changes stay inside some namespaces is checked on those only (sparse.ts);
 * this file's whole-tree path unpacks the base with `git archive` otherwise.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { runPipeline } from '../pipeline.js';
import type { Finding, Report } from '../types.js';
import { extractRef, resolveCommit } from './git.js';
import { loadResources } from './resources.js';
import type { PullRequestOptions } from './options.js';
import { sparsePullRequest } from './sparse.js';
import { agentStates, trafficChanges } from './state.js';
import { driftOrSynthFailure } from './drift-compare.js';
import { askGate } from './gate.js';
import { fleetAgents, policiesAt, pullRequestSafety } from './safety.js';
import { clusterAt, removedExposure } from './exposure.js';

export type { PullRequestOptions } from './options.js';

export async function validatePullRequest(
  paths: readonly string[],
  opts: PullRequestOptions,
): Promise<Report> {
  const root = resolve(opts.root ?? process.cwd());
  // Only the namespaces the pull request touched, when its changes stay inside some (sparse.ts).
  if (!opts.wholeTree) {
    const sparse = await sparsePullRequest(paths, opts, root, await resolveCommit(root, opts.base));
    if (sparse) return sparse;
  }
  const base = await extractRef(root, opts.base);
  try {
    const rel = (p: string) => (isAbsolute(p) ? relative(root, p) : relative(root, resolve(p)));
    const basePaths = paths
      .filter((p) => p !== '-')
      .map((p) => join(base.dir, rel(p)))
      .filter((p) => existsSync(p));
    const [baseResources, headResources] = await Promise.all([
      loadResources(basePaths),
      loadResources(paths),
    ]);
    const baseStates = agentStates(baseResources);
    const headStates = agentStates(headResources);
    const changes = trafficChanges(baseStates, headStates);
    const baseWeights = new Map<string, number>();
    for (const [id, s] of baseStates)
      if (s.mode === 'manual') baseWeights.set(id, s.canaryEnabled ? (s.weight ?? 0) : 0);
    const extra: Finding[] = [];
    if (opts.checkDrift !== false) {
      // The generator (cdk8s, the constructs) is loaded only for a drift check.
      const { distDrift } = await import('./drift.js');
      extra.push(
        ...driftOrSynthFailure(() =>
          distDrift({
            root,
            fleet: typeof opts.fleet === 'string' ? relative(root, resolve(opts.fleet)) : undefined,
            policies:
              typeof opts.policies === 'string'
                ? relative(root, resolve(opts.policies))
                : undefined,
            repoURL: opts.repoURL,
            targetRevision: opts.targetRevision,
          }),
        ),
      );
    }
    if (opts.gate) extra.push(...(await askGate(opts.gate, headResources, changes)));
    const fleetRel = typeof opts.fleet === 'string' ? relative(root, resolve(opts.fleet)) : 'fleet';
    const policiesRel =
      typeof opts.policies === 'string' ? relative(root, resolve(opts.policies)) : 'policies';
    const fleetAt = {
      base: fleetAgents(join(base.dir, fleetRel)),
      head: fleetAgents(join(root, fleetRel)),
    };
    extra.push(
      ...(await pullRequestSafety({
        root,
        baseCommit: base.commit,
        fleet: fleetRel,
        basePolicies: policiesAt(join(base.dir, policiesRel)),
        headPolicies: policiesAt(join(root, policiesRel)),
        now: (opts.now ?? Date.now)(),
        ...fleetAt,
      })),
      ...removedExposure({
        root,
        baseCluster: clusterAt(base.dir),
        fleet: fleetRel,
        ...fleetAt,
      }),
    );
    const inRoot = (name: string) => (existsSync(join(root, name)) ? join(root, name) : undefined);
    const { report } = await runPipeline(
      paths,
      {
        ...opts,
        policies: opts.policies ?? inRoot('policies'),
        fleet: opts.fleet ?? join(root, 'fleet'),
        baseWeights,
      },
      { findings: extra, changes },
    );
    return report;
  } finally {
    await base.cleanup();
  }
}
