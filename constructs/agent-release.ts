/**
 * Everything one fleet agent needs, in the mode its fleet file names:
 *
 * | mode        | objects                                                                          |
 * |-------------|----------------------------------------------------------------------------------|
 * | both        | Agent, ConfigMap `<slug>-config`, Deployment `<slug>`                            |
 * | manual      | + Service `<slug>`; canary enabled: `<slug>-canary` Deployment/Service/ConfigMap; |
 * |             | + VirtualService/DestinationRule `<slug>` (istio) or HTTPRoute `<slug>`          |
 * | progressive | + Flagger Canary `<slug>`, MetricTemplates where the provider has no built-ins   |
 */
import { ConstructInputError } from './_errors.js';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import type { FleetAgent } from '../src/fleet/types.js';
import type { PolicySpec } from '../src/policy/types.js';
import { RecifAgent } from './agent.js';
import { StableWorkload } from './stable-workload.js';
import { CanaryWorkload } from './canary-workload.js';
import { IstioRoute } from './istio-route.js';
import { GatewayRoute } from './gateway-route.js';
import { FlaggerCanary } from './flagger-canary.js';
import type { AgentResources } from './_pod.js';
import { AgentCapacity, canaryReplicas } from './capacity.js';
import { trafficSplit } from './_weights.js';
import { AGENT_DEFAULTS } from './_runtime-config.js';

export interface AgentReleaseProps {
  readonly fleetAgent: FleetAgent;
  /** The agent's resolved policy. */
  readonly policy: PolicySpec;
  /** @default the AgentResources defaults */
  readonly resources?: AgentResources;
  /** @default undefined (TCP probes) */
  readonly probePath?: string;
  /** Istio gateways the agent's routes bind to (the cluster configuration's). @default [] (the mesh) */
  readonly istioGateways?: readonly string[];
  /** flagger-loadtester address (progressive mode with loadTest). @default FlaggerCanary's */
  readonly loadTesterUrl?: string;
  /** Load-test command template of policies without `loadTest.command` (agent-canary.yaml's). @default FlaggerCanary's */
  readonly loadTestCommand?: string;
}

export class AgentRelease extends Construct {
  /** Every Kubernetes object of this agent, in emission order. */
  readonly apiObjects: readonly ApiObject[];
  /** Deployments whose replica count Flagger or an HPA owns (Argo CD ignores their replicas). */
  readonly controllerScaled: readonly string[];

  constructor(scope: Construct, id: string, props: AgentReleaseProps) {
    super(scope, id);
    const { fleetAgent: fa, policy } = props;
    const { agent, rollout } = fa;
    const mode = rollout.mode;
    if (mode !== 'manual' && mode !== 'progressive') {
      throw new ConstructInputError(
        `${fa.file}: rollout.mode '${String(mode)}' is not allowed (allowed: manual, progressive)`,
      );
    }
    new RecifAgent(this, 'Agent', { agent });
    const stable = new StableWorkload(this, 'Stable', {
      agent,
      mode,
      routing: rollout.routing,
      resources: props.resources,
      probePath: props.probePath,
      autoscaled: rollout.autoscaling !== undefined,
    });
    const split = trafficSplit(agent);
    const capacity = new AgentCapacity(this, 'Capacity', {
      agent,
      mode,
      autoscaling: rollout.autoscaling,
      ...(mode === 'manual' && split.canary !== undefined ? { canaryWeight: split.canary } : {}),
    });
    this.controllerScaled = capacity.controllerScaled;
    // The agent's own gateways win over the cluster's default (agent-canary.yaml istio.gateways).
    const istioGateways = rollout.gateways ?? props.istioGateways;
    const traffic = {
      strategy: rollout.strategy,
      cohorts: rollout.cohorts,
      sessionAffinity: rollout.sessionAffinity,
    };
    if (mode === 'manual') {
      const canary = agent.spec.canary?.enabled
        ? new CanaryWorkload(this, 'Canary', {
            agent,
            policy,
            resources: props.resources,
            probePath: props.probePath,
            // The canary's size follows its weight (its HPA bounds do, see AgentCapacity).
            replicas: canaryReplicas(
              agent.spec.replicas ?? AGENT_DEFAULTS.replicas,
              split.canary ?? 0,
            ),
            autoscaled: rollout.autoscaling !== undefined,
          })
        : undefined;
      if (rollout.routing === 'gateway-api') {
        new GatewayRoute(this, 'Route', {
          agent,
          gatewayRefs: rollout.gatewayRefs ?? [],
          hosts: rollout.hosts,
          ...traffic,
        });
      } else {
        new IstioRoute(this, 'Route', {
          agent,
          hosts: rollout.hosts,
          gateways: istioGateways,
          ...traffic,
          revisions: { stable: stable.checksum, canary: canary?.checksum },
        });
      }
    } else {
      new FlaggerCanary(this, 'Flagger', {
        agent,
        policy,
        routing: rollout.routing,
        gatewayRefs: rollout.gatewayRefs,
        hosts: rollout.hosts,
        loadTest: rollout.loadTest,
        autoscalerName: capacity.targetAutoscaler?.name,
        iterations: rollout.iterations,
        ...traffic,
        ...(props.loadTesterUrl !== undefined ? { loadTesterUrl: props.loadTesterUrl } : {}),
        ...(props.loadTestCommand !== undefined ? { loadTestCommand: props.loadTestCommand } : {}),
        istioGateways,
        canaryVersion: stable.profile.version,
        target: stable.flaggerTarget,
      });
    }
    this.apiObjects = this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject);
  }
}
