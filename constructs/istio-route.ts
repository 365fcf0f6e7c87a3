/**
 * Manual-mode routing through Istio: VirtualService and DestinationRule `<slug>` on the in-mesh
 * host `<slug>.<namespace>.svc.cluster.local` (plus the fleet file's extra hosts), with subsets
 * `stable` / `canary` selected by the `version` pod label and weights `100-w` / `w`. This is
 * the object pair the Recif API wrote imperatively; here Git holds it.
 */
import { Construct } from 'constructs';
import { DestinationRule, VirtualService, type VirtualServiceSpecHttpRoute } from '../imports/istio-networking.istio.io.js';
import type { AgentResource } from '../src/fleet/types.js';
import { SyncWave, VERSION_LABEL, agentLabels, names, syncWave } from './_labels.js';
import { HTTP_PORT } from './_pod.js';
import { claimRolloutMode } from './_rollout-mode.js';
import { trafficSplit } from './_weights.js';

export interface IstioRouteProps {
  readonly agent: AgentResource;
  /** Extra hostnames; the in-cluster host is always first. @default [] */
  readonly hosts?: readonly string[];
  /** Istio gateways; in-mesh traffic only when empty. @default [] (Istio's implicit `mesh`) */
  readonly gateways?: readonly string[];
  /** Route timeout; LLM answers are slow, Recif used 300s. @default '300s' */
  readonly timeout?: string;
}

export class IstioRoute extends Construct {
  readonly virtualService: VirtualService;
  readonly destinationRule: DestinationRule;

  constructor(scope: Construct, id: string, props: IstioRouteProps) {
    super(scope, id);
    const { agent } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    claimRolloutMode(this, namespace, slug, 'manual');
    const host = `${names(slug).service}.${namespace}.svc.cluster.local`;
    const split = trafficSplit(agent);
    const hosts = [host, ...(props.hosts ?? []).filter((h) => h !== host)];

    const route: VirtualServiceSpecHttpRoute[] = [
      { destination: { host, subset: 'stable', port: { number: HTTP_PORT } }, weight: split.stable },
    ];
    if (split.canary !== undefined) route.push({ destination: { host, subset: 'canary', port: { number: HTTP_PORT } }, weight: split.canary });

    const metadata = { name: names(slug).route, namespace, labels: agentLabels(agent), annotations: syncWave(SyncWave.ROUTING) };
    this.virtualService = new VirtualService(this, 'VirtualService', {
      metadata,
      spec: {
        hosts,
        ...(props.gateways?.length ? { gateways: [...props.gateways] } : {}),
        http: [{ name: 'primary', route, timeout: props.timeout ?? '300s' }],
      },
    });
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata,
      spec: {
        host,
        subsets: [
          { name: 'stable', labels: { [VERSION_LABEL]: 'stable' } },
          { name: 'canary', labels: { [VERSION_LABEL]: 'canary' } },
        ],
      },
    });
  }
}
