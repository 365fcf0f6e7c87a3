/**
 * Capacity of an agent's tracks: HorizontalPodAutoscalers (autoscaling/v2) and one
 * PodDisruptionBudget (policy/v1, `maxUnavailable: 1`: a drain evicts one pod of a track at a
 * time and is never blocked, even at one replica) per track.
 *
 * Manual mode: HPA `<slug>` for stable with the fleet's bounds; the canary gets HPA
 * `<slug>-canary` whose bounds are the stable bounds scaled by its weight (`canaryBounds`), or,
 * without autoscaling, a replica count scaled the same way from stable's (`canaryReplicas`).
 * PDBs select `{app, version: stable|canary}`.
 *
 * Progressive mode: HPA `<slug>` on the Flagger target (the Canary's `autoscalerRef`; Flagger
 * derives `<slug>-primary` from it). A fixed `spec.replicas` becomes an HPA with
 * `minReplicas = maxReplicas = replicas`, because the target itself must not carry replicas.
 * PDBs select the primary's pods (`app: <slug>-primary`, the label Flagger rewrites) and the
 * canary target's (`app: <slug>`).
 */
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import type { AgentResource, Autoscaling, RolloutMode } from '../src/fleet/types.js';
import { APP_LABEL, SyncWave, VERSION_LABEL, agentLabels, names, syncWave } from './_labels.js';
import { ConstructInputError } from './_errors.js';

export const DEFAULT_CPU_UTILIZATION = 80;

/** Canary HPA bounds at `weight` %: the stable bounds scaled by the weight, at least 1. */
export function canaryBounds(a: Autoscaling, weight: number): Autoscaling {
  const min = Math.max(1, Math.ceil((a.minReplicas * weight) / 100));
  const max = Math.max(min, Math.ceil((a.maxReplicas * weight) / 100));
  return { ...a, minReplicas: min, maxReplicas: max };
}

/** Canary replicas at `weight` % when stable runs `stable` replicas for the whole traffic: at least 1. */
export function canaryReplicas(stable: number, weight: number): number {
  return Math.max(1, Math.ceil((stable * weight) / 100));
}

export interface CapacityProps {
  readonly agent: AgentResource;
  readonly mode: RolloutMode;
  /** The stable track's HPA bounds. @default none (fixed replicas) */
  readonly autoscaling?: Autoscaling;
  /** Manual mode: the canary's weight when a canary is enabled (its HPA bounds follow it). */
  readonly canaryWeight?: number;
}

export class AgentCapacity extends Construct {
  /** Progressive mode: the HPA the Canary's autoscalerRef names. */
  readonly targetAutoscaler?: k8s.KubeHorizontalPodAutoscalerV2;
  /** Deployments whose replica count a controller (Flagger or an HPA) owns: Argo CD ignores it. */
  readonly controllerScaled: readonly string[];

  constructor(scope: Construct, id: string, props: CapacityProps) {
    super(scope, id);
    const { agent, mode } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    const n = names(slug);
    const a = props.autoscaling;
    if (
      a &&
      (!Number.isInteger(a.minReplicas) || a.minReplicas < 1 || a.maxReplicas < a.minReplicas)
    ) {
      throw new ConstructInputError(
        `AgentCapacity ${namespace}/${slug}: props.autoscaling ${JSON.stringify(a)} is not allowed (allowed: integers 1 <= minReplicas <= maxReplicas). Fix: correct rollout.autoscaling.`,
      );
    }
    const hpa = (name: string, target: string, bounds: Autoscaling) =>
      new k8s.KubeHorizontalPodAutoscalerV2(this, `Hpa-${name}`, {
        metadata: {
          name,
          namespace,
          labels: agentLabels(agent),
          annotations: syncWave(SyncWave.WORKLOAD),
        },
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: target },
          minReplicas: bounds.minReplicas,
          maxReplicas: bounds.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: {
                name: 'cpu',
                target: {
                  type: 'Utilization',
                  averageUtilization: bounds.cpuUtilization ?? DEFAULT_CPU_UTILIZATION,
                },
              },
            },
          ],
        },
      });
    const pdb = (name: string, selector: Record<string, string>) =>
      new k8s.KubePodDisruptionBudget(this, `Pdb-${name}`, {
        metadata: {
          name,
          namespace,
          labels: agentLabels(agent),
          annotations: syncWave(SyncWave.WORKLOAD),
        },
        spec: {
          maxUnavailable: k8s.IntOrString.fromNumber(1),
          selector: { matchLabels: selector },
        },
      });

    const scaled: string[] = [];
    if (mode === 'manual') {
      if (a) {
        hpa(n.deployment, n.deployment, a);
        scaled.push(n.deployment);
      }
      pdb(n.deployment, { [APP_LABEL]: slug, [VERSION_LABEL]: 'stable' });
      if (props.canaryWeight !== undefined) {
        if (a) {
          hpa(n.canaryDeployment, n.canaryDeployment, canaryBounds(a, props.canaryWeight));
          scaled.push(n.canaryDeployment);
        }
        pdb(n.canaryDeployment, { [APP_LABEL]: slug, [VERSION_LABEL]: 'canary' });
      }
    } else {
      const fixed = agent.spec.replicas;
      if (!a && fixed !== undefined && fixed < 1) {
        throw new ConstructInputError(
          `AgentCapacity ${namespace}/${slug}: spec.replicas ${fixed} in progressive mode (allowed: 1..10; the size becomes an HPA, which cannot hold 0). Fix: set replicas >= 1.`,
        );
      }
      const bounds =
        a ?? (fixed !== undefined ? { minReplicas: fixed, maxReplicas: fixed } : undefined);
      if (bounds) this.targetAutoscaler = hpa(n.deployment, n.deployment, bounds);
      // Flagger scales its target to 0 between runs whether or not an HPA exists.
      scaled.push(n.deployment);
      pdb(`${slug}-primary`, { [APP_LABEL]: `${slug}-primary` });
      pdb(n.deployment, { [APP_LABEL]: slug });
    }
    this.controllerScaled = scaled;
  }
}
