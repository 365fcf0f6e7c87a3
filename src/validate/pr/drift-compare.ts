/**
 * What both drift checks (whole tree: drift.ts, some namespaces: drift-scoped.ts) share, without
 * the generator: comparing the files of dist/ with what the fleet synthesizes, the Argo CD
 * settings dist/ was synthesized with, and a synthesis failure as one finding. Kept apart from
 * the synthesis so that loading it does not load cdk8s and the constructs.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Finding } from '../types.js';

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
