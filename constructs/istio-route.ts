/**
 * Manual-mode routing through Istio: VirtualService and DestinationRule `<slug>` on the in-mesh
 * host `<slug>.<namespace>.svc.cluster.local` (plus the fleet file's extra hosts, bound to the
 * named gateways), with subsets `stable` / `canary` selected by the `version` pod label.
 *
 * HTTP rules, first match wins:
 * 1. `cohort`: requests matching a cohort go to the canary, at any weight (also at 0);
 * 2. `session-canary` / `session-stable` (session affinity, canary strategy): a request that
 *    carries the pin cookie of a track, or a conversation-id header, stays on its track (header:
 *    the id's bucket decides, see `_traffic.ts`; cookie: the weighted rule sets the cookie);
 * 3. `primary`: everyone else, weights `100-w` / `w` (A/B: stable 100; blue-green: 0 or 100).
 * The DestinationRule hashes the same header or cookie to one pod inside the chosen subset, so a
 * conversation held in a pod's memory stays there too.
 */
import { Construct } from 'constructs';
import {
  DestinationRule,
  VirtualService,
  type VirtualServiceSpecHttp,
  type VirtualServiceSpecHttpRoute,
} from '../imports/istio-networking.istio.io.js';
import type {
  AgentResource,
  Cohort,
  ReleaseStrategy,
  SessionAffinity,
} from '../src/fleet/types.js';
import { ConstructInputError } from './_errors.js';
import {
  DEFAULT_SESSION_MAX_AGE,
  bucketRegex,
  canaryBuckets,
  cookieRegex,
  escapeRegex,
  istioCohortMatches,
  pinCookie,
  pinValue,
  strategyAnnotation,
} from './_traffic.js';
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
  /** @default 'canary' */
  readonly strategy?: ReleaseStrategy;
  /** Requests that go to the canary before the weighted split. @default [] */
  readonly cohorts?: readonly Cohort[];
  /** Keep a conversation on one track (and one pod). @default undefined */
  readonly sessionAffinity?: SessionAffinity;
  /**
   * Revision ids of the two tracks (config checksums): the pin cookie's values, so cookies of an
   * earlier canary pin nobody. Required with a cookie session affinity.
   */
  readonly revisions?: { readonly stable: string; readonly canary?: string };
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

    const where = `IstioRoute ${namespace}/${slug}`;
    const strategy = props.strategy ?? 'canary';
    checkStrategy(where, strategy, split.canary, props.sessionAffinity);
    const timeout = props.timeout ?? '300s';
    const sa = props.sessionAffinity;
    if (sa && (sa.cookie === undefined) === (sa.header === undefined)) {
      throw new ConstructInputError(
        `${where}: props.sessionAffinity needs exactly one of cookie and header (got ${JSON.stringify(sa)}). Fix: set rollout.sessionAffinity to {cookie: <name>} or {header: <name>}.`,
      );
    }
    if (sa?.cookie !== undefined && !props.revisions) {
      throw new ConstructInputError(
        `${where}: props.revisions is required with a cookie session affinity (the pin cookie values). Fix: pass the stable and canary config checksums.`,
      );
    }
    const dest = (subset: 'stable' | 'canary') => ({ host, subset, port: { number: HTTP_PORT } });
    const only = (subset: 'stable' | 'canary'): VirtualServiceSpecHttpRoute[] => [
      { destination: dest(subset), weight: 100 },
    ];
    const http: VirtualServiceSpecHttp[] = [];
    const live = split.canary !== undefined;

    if (live && props.cohorts?.length)
      http.push({
        name: 'cohort',
        match: istioCohortMatches(props.cohorts),
        route: only('canary'),
        timeout,
      });

    const pin = (track: 'stable' | 'canary') =>
      sa?.cookie !== undefined
        ? pinValue(
            track,
            track === 'stable' ? props.revisions!.stable : (props.revisions!.canary ?? ''),
          )
        : '';
    if (live && sa?.cookie !== undefined) {
      http.push({
        name: 'session-canary',
        match: [
          { headers: { cookie: { regex: cookieRegex(sa.cookie, escapeRegex(pin('canary'))) } } },
        ],
        route: only('canary'),
        timeout,
      });
      http.push({
        name: 'session-stable',
        match: [
          { headers: { cookie: { regex: cookieRegex(sa.cookie, escapeRegex(pin('stable'))) } } },
        ],
        route: only('stable'),
        timeout,
      });
    } else if (live && sa?.header !== undefined) {
      const buckets = canaryBuckets(split.canary!);
      const re = bucketRegex(buckets);
      if (re)
        http.push({
          name: 'session-canary',
          match: [{ headers: { [sa.header]: { regex: re } } }],
          route: only('canary'),
          timeout,
        });
      if (buckets < 256)
        http.push({
          name: 'session-stable',
          match: [{ headers: { [sa.header]: { regex: '.+' } } }],
          route: only('stable'),
          timeout,
        });
    }

    const setPin = (track: 'stable' | 'canary') =>
      live && sa?.cookie !== undefined
        ? { headers: { response: { add: { 'set-cookie': pinCookie(sa, pin(track)) } } } }
        : {};
    const route: VirtualServiceSpecHttpRoute[] = [
      { destination: dest('stable'), weight: split.stable, ...setPin('stable') },
    ];
    if (live)
      route.push({ destination: dest('canary'), weight: split.canary, ...setPin('canary') });
    http.push({ name: 'primary', route, timeout });

    const metadata = {
      name: names(slug).route,
      namespace,
      labels: agentLabels(agent),
      annotations: { ...syncWave(SyncWave.ROUTING), ...strategyAnnotation(strategy) },
    };
    this.virtualService = new VirtualService(this, 'VirtualService', {
      metadata,
      spec: {
        hosts,
        ...(props.gateways?.length ? { gateways: [...props.gateways] } : {}),
        http,
      },
    });
    const consistentHash =
      sa?.header !== undefined
        ? { httpHeaderName: sa.header }
        : sa?.cookie !== undefined
          ? {
              httpCookie: {
                name: `${sa.cookie}-pod`,
                path: '/',
                ttl: `${sa.maxAge ?? DEFAULT_SESSION_MAX_AGE}s`,
              },
            }
          : undefined;
    this.destinationRule = new DestinationRule(this, 'DestinationRule', {
      metadata,
      spec: {
        host,
        ...(consistentHash ? { trafficPolicy: { loadBalancer: { consistentHash } } } : {}),
        subsets: [
          { name: 'stable', labels: { [VERSION_LABEL]: 'stable' } },
          { name: 'canary', labels: { [VERSION_LABEL]: 'canary' } },
        ],
      },
    });
  }
}

/** A/B sends only cohorts to the canary; blue-green is 0 or 100; affinity is for the canary strategy. */
function checkStrategy(
  where: string,
  strategy: ReleaseStrategy,
  canary: number | undefined,
  sa: SessionAffinity | undefined,
): void {
  if (strategy === 'ab' && canary !== undefined && canary !== 0) {
    throw new ConstructInputError(
      `${where}: strategy ab with canary weight ${canary} (allowed: 0; A/B routes only the cohorts). Fix: set spec.canary.weight: 0.`,
    );
  }
  if (strategy === 'blue-green' && canary !== undefined && canary !== 0 && canary !== 100) {
    throw new ConstructInputError(
      `${where}: strategy blue-green with canary weight ${canary} (allowed: 0 or 100). Fix: set spec.canary.weight to 0 or 100.`,
    );
  }
  if (sa && strategy !== 'canary') {
    throw new ConstructInputError(
      `${where}: props.sessionAffinity with strategy ${strategy} (allowed: strategy canary only; nothing to pin). Fix: remove rollout.sessionAffinity.`,
    );
  }
}
