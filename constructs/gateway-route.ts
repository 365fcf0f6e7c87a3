/**
 * Manual-mode routing through the Gateway API: HTTPRoute `<slug>` attached to the fleet file's
 * gatewayRefs, one rule with weighted backendRefs `<slug>` (100-w) and `<slug>-canary` (w).
 * Service `<slug>` selects only stable pods in this routing (see StableWorkload), so the weights
 * are the real shares.
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { HttpRoute, type HttpRouteSpecRulesBackendRefs } from '../imports/gateway-gateway.networking.k8s.io.js';
import type { AgentResource, GatewayRef } from '../src/fleet/types.js';
import { SyncWave, agentLabels, names, syncWave } from './_labels.js';
import { HTTP_PORT } from './_pod.js';
import { claimRolloutMode } from './_rollout-mode.js';
import { trafficSplit } from './_weights.js';

export interface GatewayRouteProps {
  readonly agent: AgentResource;
  /** The Gateways the route attaches to; at least one. */
  readonly gatewayRefs: readonly GatewayRef[];
  /** Hostnames; the Gateway listener's when empty. @default [] */
  readonly hosts?: readonly string[];
  /** Request timeout. @default '300s' */
  readonly timeout?: string;
}

export class GatewayRoute extends Construct {
  readonly httpRoute: HttpRoute;

  constructor(scope: Construct, id: string, props: GatewayRouteProps) {
    super(scope, id);
    const { agent } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    if (!props.gatewayRefs?.length) {
      throw new ConstructInputError(`GatewayRoute ${namespace}/${slug}: props.gatewayRefs is empty; routing gateway-api needs at least one Gateway. Fix: set rollout.gatewayRefs: [{name: <gateway>, namespace: <ns>}] in the fleet file.`);
    }
    claimRolloutMode(this, namespace, slug, 'manual');
    const n = names(slug);
    const split = trafficSplit(agent);
    const backendRefs: HttpRouteSpecRulesBackendRefs[] = [{ name: n.service, port: HTTP_PORT, weight: split.stable }];
    if (split.canary !== undefined) backendRefs.push({ name: n.canaryService, port: HTTP_PORT, weight: split.canary });

    this.httpRoute = new HttpRoute(this, 'HTTPRoute', {
      metadata: { name: n.route, namespace, labels: agentLabels(agent), annotations: syncWave(SyncWave.ROUTING) },
      spec: {
        parentRefs: props.gatewayRefs.map((g) => ({
          name: g.name,
          ...(g.namespace ? { namespace: g.namespace } : {}),
          ...(g.sectionName ? { sectionName: g.sectionName } : {}),
        })),
        ...(props.hosts?.length ? { hostnames: [...props.hosts] } : {}),
        rules: [{ backendRefs, timeouts: { request: props.timeout ?? '300s' } }],
      },
    });
  }
}
