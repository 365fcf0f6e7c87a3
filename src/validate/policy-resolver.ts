/**
 * Which rollout policy applies to an agent found in the manifests: its fleet file's policy with
 * its overrides (`resolvePolicy`), else the Agent annotation `agent-canary.dev/policy`, else
 * `default`. Problems with policies or fleet files become `policy-source` findings.
 */
import { existsSync } from 'node:fs';
import { LocatedError } from '../errors/located.js';
import { checkFleet } from '../fleet/load.js';
import type { FleetAgent } from '../fleet/types.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import type { Policy, PolicySpec } from '../policy/types.js';
import type { ValidateOptions } from './pipeline.js';
import { get, type AgentView } from './rules/context.js';
import type { Finding } from './types.js';
import type { LoadedFleet } from './fleet-files.js';

/** Each agent's policy: from its fleet file (policy + overrides), an annotation, or `default`. */
export function policyResolver(
  opts: ValidateOptions,
  setup: Finding[],
  /** The fleet as the pipeline already read it (fleet-files.ts), instead of reading it again. */
  loaded?: LoadedFleet,
): (agent: AgentView) => PolicySpec | undefined {
  let policies: ReadonlyMap<string, Policy> = new Map();
  if (typeof opts.policies === 'string' || opts.policies === undefined) {
    const dir = opts.policies ?? 'policies';
    if (opts.policies !== undefined || existsSync(dir)) {
      try {
        policies = loadPolicies(dir);
      } catch (err) {
        setup.push(located('policy-source', err, dir));
      }
    }
  } else policies = opts.policies;
  let fleet: readonly FleetAgent[] = [];
  if (Array.isArray(opts.fleet)) fleet = opts.fleet as readonly FleetAgent[];
  else if (loaded) fleet = loaded.agents;
  else {
    const root = (opts.fleet as string | undefined) ?? 'fleet';
    if (existsSync(root)) fleet = checkFleet(root).agents;
  }
  const byId = new Map(fleet.map((a) => [a.id, a]));
  const cache = new Map<string, PolicySpec | undefined>();
  return (agent) => {
    if (cache.has(agent.id)) return cache.get(agent.id);
    let spec: PolicySpec | undefined;
    const fa = byId.get(agent.id);
    if (fa) {
      try {
        spec = resolvePolicy(policies, fa);
      } catch (err) {
        setup.push(located('policy-source', err, fa.file));
      }
    } else {
      // Not in the fleet: an explicit annotation, else `default`, unless the caller listed the
      // fleet agents itself (then an agent outside that list has an unknown policy: no guess).
      const named = agent.agent
        ? get(agent.agent.object, 'metadata', 'annotations', 'agent-canary.dev/policy')
        : undefined;
      if (typeof named === 'string') spec = policies.get(named)?.spec;
      else if (!Array.isArray(opts.fleet)) spec = policies.get('default')?.spec;
    }
    cache.set(agent.id, spec);
    return spec;
  };
}

function located(ruleId: string, err: unknown, file: string): Finding {
  if (err instanceof LocatedError)
    return {
      ruleId,
      severity: 'error',
      file: err.file,
      line: err.line,
      path: err.field,
      message: err.problem,
      fix: err.fix,
    };
  return {
    ruleId,
    severity: 'error',
    file,
    line: 0,
    message: err instanceof Error ? err.message : String(err),
    fix: 'fix the policy or fleet file',
  };
}
