/**
 * Hand-edited output: `dist/` must be byte-for-byte what the fleet at head synthesizes. The
 * Argo CD repo URL, revision and dist path are read from the Applications already in dist/ (or
 * given), so a tree synthesized with `--repo-url` compares equal.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { checkFleet } from '../../fleet/load.js';
import { loadPolicies } from '../../policy/load.js';
import { synthesize } from '../../synth/synthesize.js';
import { gateSecretFromEnv } from '../../synth/gate-token.js';
import { loadClusterConfig } from '../../config/load.js';
import type { Finding } from '../types.js';

export interface DriftOptions {
  readonly root: string;
  readonly fleet?: string;
  readonly policies?: string;
  readonly dist?: string;
  readonly repoURL?: string;
  readonly targetRevision?: string;
}

export function listYaml(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) listYaml(p, out);
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out;
}

/**
 * Runs a drift check (whole tree or scoped): a fleet that cannot be synthesized at head is one
 * finding on the fleet, not an exception, so the rest of the review still reports.
 */
export function driftOrSynthFailure(check: () => Finding[]): Finding[] {
  try {
    return check();
  } catch (err) {
    return [
      {
        ruleId: 'policy-source',
        severity: 'error',
        file: 'fleet',
        line: 0,
        message: `cannot synthesize the fleet at head: ${err instanceof Error ? err.message : String(err)}`,
        fix: 'run agent-canary synth locally and fix the reported problem',
      },
    ];
  }
}

/** Argo CD settings as the existing dist/ was synthesized with. */
export function argoSettings(distDir: string): {
  repoURL?: string;
  targetRevision?: string;
  distPath?: string;
} {
  const dir = join(distDir, 'argocd');
  if (!existsSync(dir)) return {};
  for (const f of readdirSync(dir)
    .filter((n) => n.startsWith('Application.'))
    .sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const repoURL = /^\s+repoURL: (.+)$/m.exec(text)?.[1]?.trim();
    const targetRevision = /^\s+targetRevision: (.+)$/m.exec(text)?.[1]?.trim();
    const path = /^\s+path: (.+)$/m.exec(text)?.[1]?.trim();
    if (repoURL)
      return {
        repoURL: unquote(repoURL),
        targetRevision: targetRevision && unquote(targetRevision),
        distPath: path ? unquote(path).replace(/\/[^/]+$/, '') : undefined,
      };
  }
  return {};
}

const unquote = (s: string) => s.replace(/^(['"])(.*)\1$/, '$2');

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

/**
 * Compares the files `present` (absolute, under `distDir`) with what the fleet synthesizes
 * (`expected`, dist-relative path -> content): hand-edited, not produced, and (for every expected
 * path left) missing files.
 */
export function compareTree(
  distDir: string,
  distName: string,
  present: readonly string[],
  expected: Map<string, string>,
): Finding[] {
  const findings: Finding[] = [];
  const shown = (rel: string) => `${distName}/${rel}`;
  for (const file of present) {
    const rel = relative(distDir, file).split(sep).join('/');
    const want = expected.get(rel);
    if (want === undefined) {
      findings.push({
        ruleId: 'dist-drift',
        severity: 'error',
        file: shown(rel),
        line: 1,
        message: `${shown(rel)} is not produced by the fleet (hand-written or left over)`,
        fix: 'delete it, or add the agent to fleet/ and run agent-canary synth',
      });
      continue;
    }
    const got = readFileSync(file, 'utf8');
    expected.delete(rel);
    if (got === want) continue;
    const a = got.split('\n');
    const b = want.split('\n');
    let line = 0;
    while (line < a.length && a[line] === b[line]) line++;
    findings.push({
      ruleId: 'dist-drift',
      severity: 'error',
      file: shown(rel),
      line: line + 1,
      message: `hand-edited: line ${line + 1} is ${JSON.stringify((a[line] ?? '(end of file)').trim())}, the fleet synthesizes ${JSON.stringify((b[line] ?? '(end of file)').trim())}`,
      fix: 'change fleet/ or policies/ instead and run agent-canary synth; dist/ is generated',
    });
  }
  for (const rel of expected.keys()) {
    findings.push({
      ruleId: 'dist-drift',
      severity: 'error',
      file: shown(rel),
      line: 0,
      message: `${shown(rel)} is missing: the fleet synthesizes it`,
      fix: 'run agent-canary synth and commit dist/',
    });
  }
  return findings;
}
