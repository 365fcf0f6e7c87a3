/**
 * The drift check of a pull request that touches some namespaces only (scope.ts): `dist/<ns>/`
 * of each must be byte-for-byte what the fleet synthesizes for that namespace's agents, and so
 * must the Argo CD Applications of those namespaces. The other namespaces' files did not change
 * and none of their inputs did, so they stay what the base (checked when it was merged) had.
 * The shared objects are synthesized with the real summaries of the namespaces in scope and a
 * name-only stand-in for every other namespace (the AppProject lists namespaces; nothing else of
 * theirs is compared).
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FleetAgent } from '../../fleet/types.js';
import { loadPolicies } from '../../policy/load.js';
import { synthesizeAgents, synthesizeShared, type AgentSummary } from '../../synth/synthesize.js';
import { gateSecretFromEnv } from '../../synth/gate-token.js';
import { loadClusterConfig } from '../../config/load.js';
import type { Finding } from '../types.js';
import { argoSettings, compareTree, listYaml } from './drift-compare.js';
import { get } from '../rules/context.js';

export interface ScopedDriftOptions {
  readonly root: string;
  /** Repository-relative folders. */
  readonly dist: string;
  readonly fleet: string;
  readonly policies: string;
  /** The namespaces in scope, and the head's agents of exactly those namespaces. */
  readonly namespaces: readonly string[];
  readonly agents: readonly FleetAgent[];
  /** Argo CD files (dist-relative) the pull request touched. */
  readonly changedArgocd: readonly string[];
  readonly repoURL?: string;
  readonly targetRevision?: string;
}

/** Namespace folders of the fleet (each holds at least one agent file). */
function fleetNamespaces(fleetDir: string): string[] {
  return readdirSync(fleetDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
    .filter((e) => readdirSync(join(fleetDir, e.name)).some((n) => /\.ya?ml$/i.test(n)))
    .map((e) => e.name);
}

export function scopedDrift(opts: ScopedDriftOptions): Finding[] {
  const fleetDir = join(opts.root, opts.fleet);
  const distDir = join(opts.root, opts.dist);
  if (!existsSync(fleetDir) || !existsSync(distDir)) return [];
  const argo = argoSettings(distDir);
  const synthOpts = {
    policies: loadPolicies(join(opts.root, opts.policies)),
    cluster: loadClusterConfig(opts.root),
    repoURL: opts.repoURL ?? argo.repoURL,
    targetRevision: opts.targetRevision ?? argo.targetRevision,
    distPath: argo.distPath,
    gateSecret: gateSecretFromEnv(),
  };
  const inScope = new Set(opts.namespaces);
  const { manifests, summaries } = synthesizeAgents(opts.agents, synthOpts);
  const stubs: AgentSummary[] = fleetNamespaces(fleetDir)
    .filter((ns) => !inScope.has(ns))
    .map((ns) => ({
      id: `${ns}/stand-in`,
      namespace: ns,
      controllerScaled: [],
      dashboard: { name: 'stand-in', source: 'istio' },
    }));
  const shared = synthesizeShared([...summaries, ...stubs], synthOpts);
  const expected = new Map<string, string>();
  const present: string[] = [];
  for (const m of [...manifests, ...shared]) {
    const top = m.path.split('/')[0]!;
    if (inScope.has(top)) expected.set(m.path, m.content);
    else if (top === 'argocd') {
      const ns = get(m.object, 'spec', 'destination', 'namespace');
      if (m.object.kind === 'Application' && typeof ns === 'string' && inScope.has(ns)) {
        expected.set(m.path, m.content);
        if (existsSync(join(distDir, m.path))) present.push(join(distDir, m.path));
      }
    }
  }
  for (const rel of opts.changedArgocd) {
    const file = join(distDir, rel);
    if (existsSync(file) && !present.includes(file)) present.push(file);
  }
  for (const ns of opts.namespaces)
    if (existsSync(join(distDir, ns))) present.push(...listYaml(join(distDir, ns)));
  return compareTree(distDir, opts.dist, present.sort(), expected);
}
