/**
 * The manual-mode challenger (the Recif way, with its defects fixed): ConfigMap
 * `<slug>-canary-config` holding the stable configuration with the canary block's overrides,
 * Deployment `<slug>-canary` running the challenger image (Recif pinned it to the stable image),
 * with the same probes, resources and securityContext as stable, and Service `<slug>-canary`
 * with both ports. Git owns the weight; the route constructs split the traffic.
 *
 * The Deployment carries the quality-gate settings as JSON in annotation `agent-canary.dev/gate`
 * (string values, the same keys as the Flagger webhook metadata) so `validate --gate` and the
 * GitOps operations can ask the gate about this revision.
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import type { AgentResource } from '../src/fleet/types.js';
import type { PolicySpec } from '../src/policy/types.js';
import {
  APP_LABEL,
  SyncWave,
  VERSION_LABEL,
  agentLabels,
  names,
  syncWave,
  workloadLabels,
} from './_labels.js';
import {
  challengerProfile,
  configChecksum,
  runtimeEnv,
  type RuntimeProfile,
} from './_runtime-config.js';
import { agentPodTemplate, type AgentResources } from './_pod.js';
import { GATE_ANNOTATION, qualityGateMetadata } from './_gate-metadata.js';
import { CONFIG_CHECKSUM_ANNOTATION, servicePorts } from './stable-workload.js';
import { claimRolloutMode } from './_rollout-mode.js';

export interface CanaryWorkloadProps {
  /** The agent; `spec.canary.enabled` must be true. */
  readonly agent: AgentResource;
  /** The resolved policy: its gate settings go into the `agent-canary.dev/gate` annotation. */
  readonly policy: PolicySpec;
  /** Challenger replicas (AgentRelease passes `canaryReplicas(stable, weight)`). @default 1 */
  readonly replicas?: number;
  /** An HPA owns the replica count, so the Deployment carries none. @default false */
  readonly autoscaled?: boolean;
  /** @default the AgentResources defaults */
  readonly resources?: AgentResources;
  /** @default undefined (TCP probe) */
  readonly probePath?: string;
  /** @default 10001 */
  readonly runAsUser?: number;
}

export class CanaryWorkload extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly profile: RuntimeProfile;
  /** sha256 of the challenger ConfigMap data: the revision id the gate is asked about. */
  readonly checksum: string;

  constructor(scope: Construct, id: string, props: CanaryWorkloadProps) {
    super(scope, id);
    const { agent } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    const canary = agent.spec.canary;
    if (!canary || !canary.enabled) {
      throw new ConstructInputError(
        `CanaryWorkload ${namespace}/${slug}: props.agent.spec.canary.enabled must be true (got ${canary ? 'false' : 'no canary block'}). Fix: render the canary workload only for an enabled canary.`,
      );
    }
    const replicas = props.replicas ?? 1;
    if (!Number.isInteger(replicas) || replicas < 1)
      throw new ConstructInputError(
        `CanaryWorkload ${namespace}/${slug}: props.replicas must be an integer >= 1 (got ${replicas})`,
      );
    claimRolloutMode(this, namespace, slug, 'manual');

    const n = names(slug);
    this.profile = challengerProfile(agent.spec, canary);
    const data = runtimeEnv(slug, agent.spec, this.profile);
    this.checksum = configChecksum(data);

    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: {
        name: n.canaryConfig,
        namespace,
        labels: { ...agentLabels(agent, n.canaryDeployment), [VERSION_LABEL]: 'canary' },
        annotations: syncWave(SyncWave.CONFIG),
      },
      data,
    });

    const labels = workloadLabels(agent, 'canary', this.profile.version, n.canaryDeployment);
    const gate = qualityGateMetadata(agent, props.policy, this.profile.version);
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: {
        name: n.canaryDeployment,
        namespace,
        labels,
        annotations: { ...syncWave(SyncWave.WORKLOAD), [GATE_ANNOTATION]: JSON.stringify(gate) },
      },
      spec: {
        ...(props.autoscaled ? {} : { replicas }),
        revisionHistoryLimit: 3,
        selector: { matchLabels: { [APP_LABEL]: slug, [VERSION_LABEL]: 'canary' } },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailable: k8s.IntOrString.fromNumber(0),
            maxSurge: k8s.IntOrString.fromNumber(1),
          },
        },
        template: agentPodTemplate({
          containerName: slug,
          image: this.profile.image,
          labels,
          annotations: { [CONFIG_CHECKSUM_ANNOTATION]: this.checksum },
          configMapName: n.canaryConfig,
          envSecrets: agent.spec.envSecrets ?? [],
          resources: props.resources,
          probePath: props.probePath,
          runAsUser: props.runAsUser,
        }),
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        name: n.canaryService,
        namespace,
        labels: { ...agentLabels(agent, n.canaryDeployment), [VERSION_LABEL]: 'canary' },
        annotations: syncWave(SyncWave.WORKLOAD),
      },
      spec: {
        type: 'ClusterIP',
        selector: { [APP_LABEL]: slug, [VERSION_LABEL]: 'canary' },
        ports: servicePorts(),
      },
    });
  }
}
