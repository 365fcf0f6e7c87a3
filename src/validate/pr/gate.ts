/**
 * `--gate URL`: before a manual weight increase is allowed, ask the quality gate whether the
 * canary passed at its current weight, with the Flagger-shaped payload the gate expects
 * (docs/design.md): `{name, namespace, phase: "Progressing", checksum, metadata}` where metadata is
 * the `agent-canary.dev/gate` annotation of Deployment `<slug>-canary`. Flagger's rule applies:
 * 200, 201 and 202 pass, anything else (and no answer) fails.
 */
import { createHash } from 'node:crypto';
import type { Finding, Resource, TrafficChange } from '../types.js';
import { get, groupAgents, kindOf, nameOf } from '../rules/context.js';

export const GATE_PATH = '/api/v1/webhooks/flagger';
// Written by the generator (constructs/_gate-metadata.ts, constructs/stable-workload.ts); copied
// here so the validator does not load cdk8s to read two names.
const GATE_ANNOTATION = 'agent-canary.dev/gate';
const CHECKSUM_ANNOTATION = 'agent-canary.dev/config-checksum';

export function gateEndpoint(url: string): string {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = GATE_PATH;
  return u.toString();
}

export async function askGate(
  url: string,
  headResources: readonly Resource[],
  changes: readonly TrafficChange[],
  timeoutMs = 10_000,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  const increases = changes.filter((c) => c.kind === 'weight' && Number(c.to) > Number(c.from));
  if (!increases.length) return findings;
  const agents = new Map(groupAgents(headResources).map((a) => [a.id, a]));
  for (const change of increases) {
    const agent = agents.get(change.agent);
    const deployment = agent?.resources.find(
      (r) => kindOf(r) === 'Deployment' && nameOf(r) === `${agent.name}-canary`,
    );
    const at = deployment ?? agent?.agent;
    if (!agent || !at) continue;
    const raw = deployment
      ? get(deployment.object, 'metadata', 'annotations', GATE_ANNOTATION)
      : undefined;
    let metadata: Record<string, string> | undefined;
    try {
      metadata = typeof raw === 'string' ? (JSON.parse(raw) as Record<string, string>) : undefined;
    } catch {
      metadata = undefined;
    }
    const where = {
      file: at.file,
      line: deployment ? deployment.locate(['metadata', 'annotations', GATE_ANNOTATION]) : at.line,
      object: { kind: kindOf(at), namespace: agent.namespace, name: nameOf(at) },
    };
    if (!metadata) {
      findings.push({
        ruleId: 'gate-check',
        severity: 'error',
        ...where,
        message: `weight ${String(change.from)} -> ${String(change.to)} needs a gate verdict, but Deployment ${agent.name}-canary has no valid ${GATE_ANNOTATION} annotation`,
        fix: 'regenerate dist/ with agent-canary synth',
      });
      continue;
    }
    const config = agent.resources.find(
      (r) => kindOf(r) === 'ConfigMap' && nameOf(r) === `${agent.name}-canary-config`,
    );
    const fromAnnotation = deployment
      ? get(deployment.object, 'spec', 'template', 'metadata', 'annotations', CHECKSUM_ANNOTATION)
      : undefined;
    const checksum =
      typeof fromAnnotation === 'string'
        ? fromAnnotation
        : createHash('sha256')
            .update(JSON.stringify(config ? (get(config.object, 'data') ?? {}) : metadata))
            .digest('hex');
    const payload = {
      name: agent.name,
      namespace: agent.namespace,
      phase: 'Progressing',
      checksum,
      metadata,
    };
    let verdict: string;
    try {
      const res = await fetch(gateEndpoint(url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = (await res.text()).slice(0, 300).trim();
      if (res.status >= 200 && res.status <= 202) continue;
      verdict = `answered ${res.status}${body ? `: ${body}` : ''}`;
    } catch (err) {
      verdict = `did not answer (${err instanceof Error ? err.message : String(err)})`;
    }
    findings.push({
      ruleId: 'gate-check',
      severity: 'error',
      ...where,
      message: `weight ${String(change.from)} -> ${String(change.to)} refused: the quality gate ${verdict}; the canary has not passed at ${String(change.from)}%`,
      fix: `keep the weight at ${String(change.from)} until the gate approves (more evaluated samples, or a better challenger)`,
    });
  }
  return findings;
}
