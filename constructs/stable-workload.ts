/**
 * The stable workload of an agent: ConfigMap `<slug>-config` with the runtime configuration,
 * Deployment `<slug>` and (manual mode only) Service `<slug>`.
 *
 * Manual mode: pods carry `version: stable` and the Deployment selects `{app, version: stable}`
 * so the canary Deployment's pods are never adopted. The Service selects `{app}` for Istio (the
 * DestinationRule subsets split the endpoints of host `<slug>` by `version`) and
 * `{app, version: stable}` for Gateway API (the HTTPRoute weights two Services, so `<slug>` must
 * hold only stable pods).
 *
 * Progressive mode: the Deployment is Flagger's target. It selects `{app}` only (Flagger rewrites
 * that one label to `<slug>-primary`), has no `replicas` (Flagger scales it; Argo CD must not),
 * and renders the challenger configuration when a canary is enabled, because a new pod template
 * or ConfigMap content is what Flagger sees as a new revision. No Service: Flagger generates
 * `<slug>`, `<slug>-primary` and `<slug>-canary` itself.
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { k8s } from './_k8s.js';
import type { AgentResource, RolloutMode, Routing } from '../src/fleet/types.js';
import {
  APP_LABEL,
  SyncWave,
  VERSION_LABEL,
  agentLabels,
  labelValue,
  names,
  syncWave,
  workloadLabels,
} from './_labels.js';
import {
  AGENT_DEFAULTS,
  challengerProfile,
  configChecksum,
  runtimeEnv,
  stableProfile,
  type RuntimeProfile,
} from './_runtime-config.js';
import {
  CONTROL_PORT,
  CONTROL_PORT_NAME,
  HTTP_PORT,
  HTTP_PORT_NAME,
  agentPodTemplate,
  type AgentResources,
} from './_pod.js';
import type { FlaggerTarget } from './flagger-canary.js';

/** Pod annotation holding the sha256 of the pod's ConfigMap data. */
export const CONFIG_CHECKSUM_ANNOTATION = 'agent-canary.dev/config-checksum';

export interface StableWorkloadProps {
  readonly agent: AgentResource;
  /** @default 'manual' */
  readonly mode?: RolloutMode;
  /** Decides what Service `<slug>` selects in manual mode. @default 'istio' */
  readonly routing?: Routing;
  /** @default the AgentResources defaults (100m / 256Mi requests, 1Gi memory limit) */
  readonly resources?: AgentResources;
  /** HTTP probe path; a TCP probe on port `http` when unset. @default undefined */
  readonly probePath?: string;
  /** Pod UID/GID. @default 10001 */
  readonly runAsUser?: number;
  /** Manual mode: an HPA owns the replica count, so the Deployment carries none. @default false */
  readonly autoscaled?: boolean;
}

export class StableWorkload extends Construct {
  readonly configMap: k8s.KubeConfigMap;
  readonly deployment: k8s.KubeDeployment;
  /** Only in manual mode. */
  readonly service?: k8s.KubeService;
  /** What the pods run (the challenger profile in progressive mode with an enabled canary). */
  readonly profile: RuntimeProfile;
  /** sha256 of the ConfigMap data: this track's revision id (e.g. the session pin cookie's value). */
  readonly checksum: string;
  /** The Deployment as a Flagger target (progressive mode's cross-object check). */
  readonly flaggerTarget: FlaggerTarget;

  constructor(scope: Construct, id: string, props: StableWorkloadProps) {
    super(scope, id);
    const { agent } = props;
    const mode = props.mode ?? 'manual';
    const routing = props.routing ?? 'istio';
    if (mode !== 'manual' && mode !== 'progressive')
      throw new ConstructInputError(
        `StableWorkload ${agent.metadata.namespace}/${agent.metadata.name}: props.mode '${mode}' is not allowed (allowed: manual, progressive)`,
      );
    if (routing !== 'istio' && routing !== 'gateway-api')
      throw new ConstructInputError(
        `StableWorkload ${agent.metadata.namespace}/${agent.metadata.name}: props.routing '${routing}' is not allowed (allowed: istio, gateway-api)`,
      );
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    const n = names(slug);
    const spec = agent.spec;
    const canary = spec.canary && spec.canary.enabled ? spec.canary : undefined;

    this.profile =
      mode === 'progressive' && canary ? challengerProfile(spec, canary) : stableProfile(spec);
    const data = runtimeEnv(slug, spec, this.profile);
    this.checksum = configChecksum(data);

    this.configMap = new k8s.KubeConfigMap(this, 'Config', {
      metadata: {
        name: n.config,
        namespace,
        labels: agentLabels(agent),
        annotations: syncWave(SyncWave.CONFIG),
      },
      data,
    });

    const track = mode === 'manual' ? 'stable' : labelValue(this.profile.version ?? '') || 'stable';
    const labels = workloadLabels(agent, track, this.profile.version, slug);
    const selector: Record<string, string> =
      mode === 'manual' ? { [APP_LABEL]: slug, [VERSION_LABEL]: 'stable' } : { [APP_LABEL]: slug };

    // Progressive: no replicas, Flagger owns the target's scale (and Argo CD ignores it).
    // Manual with an HPA: no replicas either (the HPA owns them; Argo CD ignores the field).
    const replicas =
      mode === 'manual' && !props.autoscaled
        ? (spec.replicas ?? AGENT_DEFAULTS.replicas)
        : undefined;
    this.deployment = new k8s.KubeDeployment(this, 'Deployment', {
      metadata: { name: n.deployment, namespace, labels, annotations: syncWave(SyncWave.WORKLOAD) },
      spec: {
        ...(replicas !== undefined ? { replicas } : {}),
        revisionHistoryLimit: 3,
        selector: { matchLabels: selector },
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
          configMapName: n.config,
          envSecrets: spec.envSecrets ?? [],
          resources: props.resources,
          probePath: props.probePath,
          runAsUser: props.runAsUser,
        }),
      },
    });

    this.flaggerTarget = { apiObject: this.deployment, replicas, selector };

    if (mode === 'manual') {
      this.service = new k8s.KubeService(this, 'Service', {
        metadata: {
          name: n.service,
          namespace,
          labels: agentLabels(agent),
          annotations: syncWave(SyncWave.WORKLOAD),
        },
        spec: {
          type: 'ClusterIP',
          selector:
            routing === 'istio'
              ? { [APP_LABEL]: slug }
              : { [APP_LABEL]: slug, [VERSION_LABEL]: 'stable' },
          ports: servicePorts(),
        },
      });
    }
  }
}

/** Both agent ports; Istio needs the `http` name prefix to treat them as HTTP. */
export function servicePorts(): k8s.ServicePort[] {
  return [
    {
      name: HTTP_PORT_NAME,
      port: HTTP_PORT,
      targetPort: k8s.IntOrString.fromString(HTTP_PORT_NAME),
      protocol: 'TCP',
    },
    {
      name: CONTROL_PORT_NAME,
      port: CONTROL_PORT,
      targetPort: k8s.IntOrString.fromString(CONTROL_PORT_NAME),
      protocol: 'TCP',
    },
  ];
}
