/**
 * Manual-mode routing through the Gateway API: HTTPRoute `<slug>` attached to the fleet file's
 * gatewayRefs, one rule with weighted backendRefs `<slug>` (100-w) and `<slug>-canary` (w).
 * Service `<slug>` selects only stable pods in this routing (see StableWorkload), so the weights
 * are the real shares.
 *
 * Rules: cohorts first (`matches` -> `<slug>-canary` only, at any weight), then the weighted
 * rule; session affinity is the rule's `sessionPersistence` (GEP-1619, extended support: the
 * Gateway implementation pins a cookie or header value to one backend endpoint, so one track).
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import {
  HttpRoute,
  HttpRouteSpecRulesMatchesHeadersType,
  type HttpRouteSpecRules,
  type HttpRouteSpecRulesBackendRefs,
} from '../imports/gateway-gateway.networking.k8s.io.js';
import type {
  AgentResource,
  Cohort,
  GatewayRef,
  ReleaseStrategy,
  SessionAffinity,
} from '../src/fleet/types.js';
import { DEFAULT_SESSION_MAX_AGE, gatewayCohortMatches, strategyAnnotation } from './_traffic.js';
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
  /** @default 'canary' */
  readonly strategy?: ReleaseStrategy;
  /** Requests that go to the canary before the weighted split. @default [] */
  readonly cohorts?: readonly Cohort[];
  /** Session persistence of the weighted rule. @default undefined */
  readonly sessionAffinity?: SessionAffinity;
}

export class GatewayRoute extends Construct {
  readonly httpRoute: HttpRoute;

  constructor(scope: Construct, id: string, props: GatewayRouteProps) {
    super(scope, id);
    const { agent } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    if (!props.gatewayRefs?.length) {
      throw new ConstructInputError(
        `GatewayRoute ${namespace}/${slug}: props.gatewayRefs is empty; routing gateway-api needs at least one Gateway. Fix: set rollout.gatewayRefs: [{name: <gateway>, namespace: <ns>}] in the fleet file.`,
      );
    }
    claimRolloutMode(this, namespace, slug, 'manual');
    const n = names(slug);
    const split = trafficSplit(agent);
    const strategy = props.strategy ?? 'canary';
    const where = `GatewayRoute ${namespace}/${slug}`;
    if (strategy === 'ab' && split.canary !== undefined && split.canary !== 0) {
      throw new ConstructInputError(
        `${where}: strategy ab with canary weight ${split.canary} (allowed: 0; A/B routes only the cohorts). Fix: set spec.canary.weight: 0.`,
      );
    }
    if (
      strategy === 'blue-green' &&
      split.canary !== undefined &&
      split.canary !== 0 &&
      split.canary !== 100
    ) {
      throw new ConstructInputError(
        `${where}: strategy blue-green with canary weight ${split.canary} (allowed: 0 or 100). Fix: set spec.canary.weight to 0 or 100.`,
      );
    }
    const sa = props.sessionAffinity;
    if (sa && ((sa.cookie === undefined) === (sa.header === undefined) || strategy !== 'canary')) {
      throw new ConstructInputError(
        `${where}: props.sessionAffinity ${JSON.stringify(sa)} is not allowed with strategy ${strategy} (allowed: exactly one of cookie and header, strategy canary). Fix: correct rollout.sessionAffinity.`,
      );
    }
    const timeouts = { request: props.timeout ?? '300s' };
    const backendRefs: HttpRouteSpecRulesBackendRefs[] = [
      { name: n.service, port: HTTP_PORT, weight: split.stable },
    ];
    if (split.canary !== undefined)
      backendRefs.push({ name: n.canaryService, port: HTTP_PORT, weight: split.canary });
    const rules: HttpRouteSpecRules[] = [];
    if (split.canary !== undefined && props.cohorts?.length) {
      rules.push({
        matches: gatewayCohortMatches(props.cohorts).map((m) => ({
          headers: m.headers.map((h) => ({
            ...h,
            type:
              h.type === 'Exact'
                ? HttpRouteSpecRulesMatchesHeadersType.EXACT
                : HttpRouteSpecRulesMatchesHeadersType.REGULAR_EXPRESSION,
          })),
        })),
        backendRefs: [{ name: n.canaryService, port: HTTP_PORT, weight: 1 }],
        timeouts,
      });
    }
    const sessionPersistence = sa
      ? sa.cookie !== undefined
        ? {
            sessionName: sa.cookie,
            type: 'Cookie',
            absoluteTimeout: `${sa.maxAge ?? DEFAULT_SESSION_MAX_AGE}s`,
            cookieConfig: { lifetimeType: 'Permanent' },
          }
        : {
            sessionName: sa.header,
            type: 'Header',
            absoluteTimeout: `${sa.maxAge ?? DEFAULT_SESSION_MAX_AGE}s`,
          }
      : undefined;
    rules.push({ backendRefs, timeouts, ...(sessionPersistence ? { sessionPersistence } : {}) });

    this.httpRoute = new HttpRoute(this, 'HTTPRoute', {
      metadata: {
        name: n.route,
        namespace,
        labels: agentLabels(agent),
        annotations: { ...syncWave(SyncWave.ROUTING), ...strategyAnnotation(strategy) },
      },
      spec: {
        parentRefs: props.gatewayRefs.map((g) => ({
          name: g.name,
          ...(g.namespace ? { namespace: g.namespace } : {}),
          ...(g.sectionName ? { sectionName: g.sectionName } : {}),
        })),
        ...(props.hosts?.length ? { hostnames: [...props.hosts] } : {}),
        rules,
      },
    });
  }
}
