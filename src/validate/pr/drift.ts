/**
 * Hand-edited output: `dist/` must be byte-for-byte what the fleet at head synthesizes. The
 * Argo CD repo URL, revision and dist path are read from the Applications already in dist/ (or
 * given), so a tree synthesized with `--repo-url` compares equal.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { checkFleet } from '../../fleet/load.js';
import { loadPolicies } from '../../policy/load.js';
import { synthesize } from '../../synth/synthesize.js';
import { gateSecretFromEnv } from '../../synth/gate-token.js';
import { loadClusterConfig } from '../../config/load.js';
import type { Finding } from '../types.js';
import { argoSettings, compareTree, listYaml } from './drift-compare.js';

export interface DriftOptions {
  readonly root: string;
  readonly fleet?: string;
  readonly policies?: string;
  readonly dist?: string;
  readonly repoURL?: string;
  readonly targetRevision?: string;
}

export function distDrift(opts: DriftOptions): Finding[] {
  const fleetDir = join(opts.root, opts.fleet ?? 'fleet');
  const policiesDir = join(opts.root, opts.policies ?? 'policies');
  const distName = opts.dist ?? 'dist';
  const distDir = join(opts.root, distName);
  const findings: Finding[] = [];
  if (!existsSync(fleetDir) || !existsSync(distDir)) return findings;
  const fleet = checkFleet(fleetDir);
  // A broken fleet file is reported by the pipeline (rule fleet-file, src/validate/fleet-files.ts);
  // without a fleet that synthesizes there is nothing to compare dist/ with.
  if (fleet.errors.length) return findings;
  const argo = argoSettings(distDir);
  const manifests = synthesize(fleet.agents, {
    policies: loadPolicies(policiesDir),
    // The cluster settings the head's own synth used (agent-canary.yaml beside fleet/).
    cluster: loadClusterConfig(opts.root),
    repoURL: opts.repoURL ?? argo.repoURL,
    targetRevision: opts.targetRevision ?? argo.targetRevision,
    distPath: argo.distPath,
    // The same secret synth used, or the derived webhook tokens would read as drift.
    gateSecret: gateSecretFromEnv(),
  });
  const expected = new Map(manifests.map((m) => [m.path, m.content]));
  findings.push(...compareTree(distDir, distName, listYaml(distDir), expected));
  return findings;
}
