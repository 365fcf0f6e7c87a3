/**
 * `pr-removed-exposure`: a pull request that stops serving a host or unbinds a gateway of an
 * agent that stays: its users (or a whole ingress) lose the route the moment Argo CD syncs. The
 * exposure of an agent is `rollout.hosts`, and its gateways: `rollout.gateways` (else the cluster
 * settings' `istio.gateways`, agent-canary.yaml) with Istio routing, `rollout.gatewayRefs` with
 * Gateway API routing. Each removal is located where it was made: the fleet file, or the cluster
 * settings file when the agent follows the cluster's gateways.
 */
import { join } from 'node:path';
import { loadClusterConfig } from '../../config/load.js';
import type { ClusterConfig } from '../../config/types.js';
import type { FleetAgent } from '../../fleet/types.js';
import { shownPath } from '../fleet-files.js';
import type { Finding } from '../types.js';
import { lineOf } from './locate.js';

export interface ExposureInput {
  readonly root: string;
  /** The cluster settings at the base revision (`clusterAt`; undefined: unreadable). */
  readonly baseCluster: ClusterConfig | undefined;
  /** Fleet folder, relative to the root. */
  readonly fleet: string;
  readonly base: ReadonlyMap<string, FleetAgent>;
  readonly head: ReadonlyMap<string, FleetAgent>;
}

interface Exposure {
  readonly hosts: readonly string[];
  readonly gateways: readonly string[];
  /** Where the gateways come from. */
  readonly gatewaysFrom: 'fleet' | 'cluster';
  readonly gatewayKey: 'gateways' | 'gatewayRefs';
}

/** The cluster settings of the repository in `dir`; undefined when they cannot be read. */
export function clusterAt(dir: string): ClusterConfig | undefined {
  try {
    return loadClusterConfig(dir);
  } catch {
    return undefined; // a broken file is reported by synth and the drift check
  }
}

function exposureOf(a: FleetAgent, cluster: ClusterConfig | undefined): Exposure {
  const r = a.rollout;
  if (r.routing === 'gateway-api') {
    return {
      hosts: r.hosts ?? [],
      gateways: (r.gatewayRefs ?? []).map(
        (g) =>
          `${g.namespace ?? a.agent.metadata.namespace}/${g.name}${g.sectionName ? `#${g.sectionName}` : ''}`,
      ),
      gatewaysFrom: 'fleet',
      gatewayKey: 'gatewayRefs',
    };
  }
  return {
    hosts: r.hosts ?? [],
    gateways: r.gateways ?? cluster?.istio.gateways ?? [],
    gatewaysFrom: r.gateways !== undefined ? 'fleet' : 'cluster',
    gatewayKey: 'gateways',
  };
}

export function removedExposure(input: ExposureInput): Finding[] {
  const findings: Finding[] = [];
  const { baseCluster } = input;
  const headCluster = clusterAt(input.root);
  for (const [id, h] of input.head) {
    const b = input.base.get(id);
    if (!b) continue;
    const was = exposureOf(b, baseCluster);
    const now = exposureOf(h, headCluster);
    const file = join(input.root, input.fleet, h.file);
    const object = {
      kind: 'Agent',
      namespace: h.agent.metadata.namespace,
      name: h.agent.metadata.name,
    };
    const hosts = was.hosts.filter((x) => !now.hosts.includes(x));
    if (hosts.length > 0)
      findings.push({
        ruleId: 'pr-removed-exposure',
        severity: 'error',
        file: shownPath(file),
        line: lineOf(file, ['rollout', 'hosts']),
        path: 'rollout.hosts',
        object,
        message: `host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')} removed from ${id}: requests for ${hosts.length > 1 ? 'them' : 'it'} stop reaching the agent when Argo CD syncs`,
        fix: `keep ${hosts.join(', ')} in rollout.hosts; to retire a host, move its traffic elsewhere first (DNS, another agent) and merge the removal as a reviewed exception`,
      });
    const gateways = was.gateways.filter((x) => !now.gateways.includes(x));
    if (gateways.length === 0) continue;
    // Removed by the cluster settings when the agent followed them at both revisions.
    const byCluster =
      was.gatewaysFrom === 'cluster' && now.gatewaysFrom === 'cluster' && headCluster?.file;
    const where = byCluster
      ? {
          file: shownPath(join(input.root, headCluster.file!)),
          line: lineOf(join(input.root, headCluster.file!), ['spec', 'istio', 'gateways']),
          path: 'spec.istio.gateways',
        }
      : {
          file: shownPath(file),
          line: lineOf(file, ['rollout', now.gatewayKey]),
          path: `rollout.${now.gatewayKey}`,
        };
    findings.push({
      ruleId: 'pr-removed-exposure',
      severity: 'error',
      ...where,
      object,
      message: `gateway${gateways.length > 1 ? 's' : ''} ${gateways.join(', ')} no longer route${gateways.length > 1 ? '' : 's'} to ${id}${byCluster ? ' (the cluster settings changed)' : ''}: traffic entering there stops reaching the agent when Argo CD syncs`,
      fix: `keep ${gateways.join(', ')} bound; to retire a gateway, move its traffic to another one first and merge the removal as a reviewed exception`,
    });
  }
  return findings;
}
