/**
 * Progressive mode: the Flagger `Canary` (flagger.app/v1beta1) that owns the live weight of an
 * agent, built from the resolved rollout policy.
 *
 * Plan: `stepWeights` = the policy's step weights, `maxWeight` = the last step, `interval` and
 * `threshold` from `analysis`. Gates: Istio has built-in `request-success-rate` (min, percent)
 * and `request-duration` (max, p99 ms) checks; Gateway API has none, and neither has a 5xx-rate
 * or p50 check, so those come from MetricTemplates. Every failing metric counts one failed check
 * towards `threshold`, then Flagger rolls back: Flagger cannot fail at once on a metric. Abort
 * bounds are therefore metrics of their own (`abort-<check>`) AND a `rollback` hook run by the
 * flagger-loadtester, a Prometheus probe that passes (= roll back now) when any abort bound is
 * breached (docs/generator.md "Abort bounds").
 *
 * Webhooks, in call order: the optional flagger-loadtester `load-test` (rollout,
 * `loadTest.command`), the
 * `quality-gate` (rollout, MLflow scores; every setting as string metadata), and two `step-hold`
 * hooks (confirm-traffic-increase, confirm-promotion) through which the gate enforces per-step
 * hold times that Flagger's single interval cannot express; last, the `abort` rollback hook when
 * the policy has abort bounds (Flagger calls rollback hooks before the others each tick).
 *
 * Strategies (Flagger's `DeploymentStrategy()`): `canary` = `stepWeights` + `maxWeight` (+
 * `sessionAffinity`, a cookie Flagger sets on responses from the canary); `ab` = `iterations` +
 * `match` (only the cohorts reach the canary, at 100 %, for `iterations` checks); `blue-green` =
 * `iterations` alone (the canary is tested without traffic, then all traffic switches). The
 * step-hold hooks exist only with steps (canary strategy).
 *
 * Flagger generates Services `<slug>`, `<slug>-primary`, `<slug>-canary` and the
 * VirtualService/HTTPRoute; none of those is emitted here.
 */
import { ConstructInputError } from './_errors.js';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Canary,
  CanarySpecAnalysisWebhooksType as HookType,
  CanarySpecProvider,
  CanarySpecTargetRefKind,
  CanarySpecAutoscalerRefKind,
  type CanarySpecAnalysisMetrics,
  type CanarySpecAnalysisWebhooks,
} from '../imports/flagger-flagger.app.js';
import type {
  AgentResource,
  Cohort,
  GatewayRef,
  ReleaseStrategy,
  Routing,
  SessionAffinity,
} from '../src/fleet/types.js';
import { DEFAULT_SESSION_MAX_AGE, istioCohortMatches } from './_traffic.js';
import type { PolicySpec } from '../src/policy/types.js';
import { SyncWave, agentLabels, names, syncWave } from './_labels.js';
import { HTTP_PORT, HTTP_PORT_NAME } from './_pod.js';
import { claimRolloutMode } from './_rollout-mode.js';
import { parseDuration } from './_duration.js';
import { qualityGateMetadata, stepHoldMetadata } from './_gate-metadata.js';
import {
  MetricTemplates,
  analysisWindow,
  type MetricCheck,
  type MetricSource,
} from './metric-templates.js';
import { trafficQueries } from '../src/traffic/queries.js';
import {
  anyBreachQuery,
  breachProbeCommand,
  trafficBounds,
  type TrafficBound,
} from '../src/traffic/bounds.js';
import { renderLoadTestCommand } from '../src/traffic/load-test.js';

const DEFAULT_LOAD_TESTER_URL = 'http://flagger-loadtester.flagger-system/';
/** The load-test command when neither the policy nor the caller names one (agent-canary.yaml's default). */
const DEFAULT_LOAD_TEST_COMMAND = 'hey -z {window} -q 2 -c 1 {url}';
/** The abort probe's own limit, below the hook timeout so a slow Prometheus is "no breach", not a hook error. */
const ABORT_PROBE_SECONDS = 4;
const ABORT_HOOK_TIMEOUT = '5s';

function rangeOf(b: TrafficBound): { min?: number; max?: number } {
  return b.min !== undefined ? { min: b.min } : { max: b.max! };
}

export interface FlaggerCanaryProps {
  readonly agent: AgentResource;
  /** The resolved policy (rollout.policy with rollout.overrides merged). */
  readonly policy: PolicySpec;
  /** @default 'istio' */
  readonly routing?: Routing;
  /** Gateway API parents; required when routing is 'gateway-api'. */
  readonly gatewayRefs?: readonly GatewayRef[];
  /** Istio gateways of the generated VirtualService (routing istio). @default [] (Flagger's default, the mesh) */
  readonly istioGateways?: readonly string[];
  /** Extra hostnames for the generated VirtualService/HTTPRoute. @default [] */
  readonly hosts?: readonly string[];
  /** Version the target Deployment runs (RECIF_AGENT_VERSION), sent as `canaryVersion`. @default agent.spec.version */
  readonly canaryVersion?: string;
  /** Emit the flagger-loadtester `load-test` webhook. @default false */
  readonly loadTest?: boolean;
  /** flagger-loadtester address. @default 'http://flagger-loadtester.flagger-system/' */
  readonly loadTesterUrl?: string;
  /**
   * The load-test command template when the policy sets no `loadTest.command` ({url}, {name},
   * {namespace}, {window} replaced). @default 'hey -z {window} -q 2 -c 1 {url}'
   */
  readonly loadTestCommand?: string;
  /** Seconds for the target to become ready before Flagger rolls back. @default 600 */
  readonly progressDeadlineSeconds?: number;
  /** Route request timeout (LLM answers are slow). @default '300s' */
  readonly requestTimeout?: string;
  /** @default 'canary' */
  readonly strategy?: ReleaseStrategy;
  /** ab / blue-green: analysis checks before promotion. @default 10 */
  readonly iterations?: number;
  /** ab: the requests routed to the canary (`analysis.match`); required for ab, refused otherwise. */
  readonly cohorts?: readonly Cohort[];
  /** canary strategy: pin sessions by a cookie (`analysis.sessionAffinity`); a header is refused. */
  readonly sessionAffinity?: SessionAffinity;
  /** The HorizontalPodAutoscaler of the target (`autoscalerRef`); Flagger makes `<hpa>-primary`. */
  readonly autoscalerName?: string;
  /**
   * The target Deployment, when it is synthesized beside the Canary. Validated at synthesis
   * (`node.addValidation`): same name and namespace as `targetRef`, no `spec.replicas` (Flagger
   * scales the target; a replica count in Git makes every Argo CD sync scale it back up), and a
   * selector on `app: <slug>` (the label Flagger rewrites to `<slug>-primary`).
   * @default undefined (the target is managed elsewhere; not checked)
   */
  readonly target?: FlaggerTarget;
}

/**
 * What the Canary needs to know about its target. The construct that creates the Deployment
 * states it (StableWorkload does), so the check never renders the object: rendering inside a
 * validation is paid again for every Chart when a plain cdk8s app synthesizes many Charts.
 */
export interface FlaggerTarget {
  readonly apiObject: ApiObject;
  /** `spec.replicas` as emitted; undefined when absent. */
  readonly replicas?: number;
  /** `spec.selector.matchLabels` as emitted. */
  readonly selector: Readonly<Record<string, string>>;
}

export class FlaggerCanary extends Construct {
  readonly canary: Canary;
  /** Present when the provider lacks a built-in for a needed check. */
  readonly metricTemplates?: MetricTemplates;
  /** The policy's promotion gates and abort bounds, as emitted. */
  readonly bounds: ReturnType<typeof trafficBounds>;

  constructor(scope: Construct, id: string, props: FlaggerCanaryProps) {
    super(scope, id);
    const { agent, policy } = props;
    const slug = agent.metadata.name;
    const namespace = agent.metadata.namespace;
    const where = `FlaggerCanary ${namespace}/${slug}`;
    const routing = props.routing ?? 'istio';
    if (routing !== 'istio' && routing !== 'gateway-api')
      throw new ConstructInputError(
        `${where}: props.routing '${routing}' is not allowed (allowed: istio, gateway-api)`,
      );
    if (routing === 'gateway-api' && !props.gatewayRefs?.length) {
      throw new ConstructInputError(
        `${where}: props.gatewayRefs is empty; Flagger's gatewayapi provider needs service.gatewayRefs. Fix: set rollout.gatewayRefs in the fleet file.`,
      );
    }
    const strategy = props.strategy ?? 'canary';
    if (strategy === 'canary') validatePlan(where, policy);
    checkTraffic(where, routing, strategy, props);
    claimRolloutMode(this, namespace, slug, 'progressive');

    parseDuration(policy.analysis.interval, `${where}: policy analysis.interval`);
    parseDuration(policy.gate.timeout, `${where}: policy gate.timeout`);
    const metricWindow = analysisWindow(policy.analysis.interval);
    const metricSource: MetricSource = routing === 'istio' ? 'istio' : 'app';
    this.bounds = trafficBounds(policy);
    const { gates, abort } = this.bounds;

    // Built-ins where the provider has them (Istio: success rate and p99); MetricTemplates for
    // the rest. Abort bounds are metrics of their own (`abort-<check>`, listed before the gates'
    // templates so Flagger's event names them) and, to fail at once, the `abort` rollback hook.
    const builtins: ReadonlySet<MetricCheck> = new Set(
      routing === 'istio' ? ['request-success-rate', 'request-duration'] : [],
    );
    const metrics: CanarySpecAnalysisMetrics[] = [];
    const templated: { name: string; check: MetricCheck; range: { min?: number; max?: number } }[] =
      [];
    for (const bound of abort)
      templated.push({ name: `abort-${bound.check}`, check: bound.check, range: rangeOf(bound) });
    for (const bound of gates) {
      if (builtins.has(bound.check))
        metrics.push({ name: bound.check, interval: metricWindow, thresholdRange: rangeOf(bound) });
      else templated.push({ name: bound.check, check: bound.check, range: rangeOf(bound) });
    }
    // The canary against the primary on the same window (both providers: no built-in does this).
    const vsPrimary = policy.metrics.vsPrimary;
    if (vsPrimary?.errorRate)
      templated.push({
        name: 'error-rate-vs-primary',
        check: 'error-rate-vs-primary',
        range: { max: 0 },
      });
    if (vsPrimary?.latencyP99)
      templated.push({
        name: 'latency-vs-primary',
        check: 'latency-vs-primary',
        range: { max: 0 },
      });
    if (templated.length) {
      this.metricTemplates = new MetricTemplates(this, 'Templates', {
        agent,
        prometheus: policy.prometheus,
        source: metricSource,
        checks: templated.map((t) => t.check),
        vsPrimary,
      });
      for (const t of templated) {
        metrics.push({
          name: t.name,
          interval: metricWindow,
          templateRef: { name: this.metricTemplates.names.get(t.check)! },
          thresholdRange: t.range,
        });
      }
    }

    const webhooks: CanarySpecAnalysisWebhooks[] = [];
    const loadTesterUrl = props.loadTesterUrl ?? DEFAULT_LOAD_TESTER_URL;
    if (props.loadTest) {
      const template =
        policy.loadTest?.command ?? props.loadTestCommand ?? DEFAULT_LOAD_TEST_COMMAND;
      let cmd: string;
      try {
        cmd = renderLoadTestCommand(template, {
          url: `http://${names(slug).canaryService}.${namespace}:${HTTP_PORT}/`,
          name: slug,
          namespace,
          window: metricWindow,
        });
      } catch (err) {
        throw new ConstructInputError(
          `${where}: policy loadTest.command: ${(err as Error).message}. Fix: one line, placeholders {url}, {name}, {namespace}, {window} only.`,
        );
      }
      webhooks.push({
        name: 'load-test',
        type: HookType.ROLLOUT,
        url: loadTesterUrl,
        timeout: policy.loadTest?.timeout ?? '5s',
        metadata: { type: 'cmd', cmd },
      });
    }
    const version = props.canaryVersion ?? agent.spec.version;
    webhooks.push({
      name: 'quality-gate',
      type: HookType.ROLLOUT,
      url: policy.gateUrl,
      timeout: policy.gate.timeout,
      metadata: qualityGateMetadata(agent, policy, version),
    });
    if (strategy === 'canary') {
      const hold = stepHoldMetadata(agent, policy);
      webhooks.push({
        name: 'step-hold',
        type: HookType.CONFIRM_HYPHEN_TRAFFIC_HYPHEN_INCREASE,
        url: policy.gateUrl,
        timeout: policy.gate.timeout,
        metadata: hold,
      });
      webhooks.push({
        name: 'step-hold',
        type: HookType.CONFIRM_HYPHEN_PROMOTION,
        url: policy.gateUrl,
        timeout: policy.gate.timeout,
        metadata: { ...hold },
      });
    }

    if (abort.length) {
      // Flagger rolls back at once when a rollback hook passes; the load tester's bash task
      // passes when the probe finds a breached abort bound (docs/generator.md "Abort bounds").
      const query = anyBreachQuery(abort, trafficQueries({ source: metricSource }), {
        target: slug,
        namespace,
        interval: metricWindow,
      });
      webhooks.push({
        name: 'abort',
        type: HookType.ROLLBACK,
        url: loadTesterUrl,
        timeout: ABORT_HOOK_TIMEOUT,
        metadata: {
          type: 'bash',
          cmd: breachProbeCommand(policy.prometheus, query, ABORT_PROBE_SECONDS),
        },
      });
    }

    const weights = policy.steps.map((s) => s.weight);
    const sa = props.sessionAffinity;
    const plan =
      strategy === 'canary'
        ? {
            maxWeight: weights[weights.length - 1]!,
            stepWeights: weights,
            ...(sa?.cookie !== undefined
              ? {
                  sessionAffinity: {
                    cookieName: sa.cookie,
                    maxAge: sa.maxAge ?? DEFAULT_SESSION_MAX_AGE,
                  },
                }
              : {}),
          }
        : {
            iterations: props.iterations ?? 10,
            ...(strategy === 'ab' ? { match: istioCohortMatches(props.cohorts ?? []) } : {}),
          };
    this.canary = new Canary(this, 'Canary', {
      metadata: {
        name: names(slug).flaggerCanary,
        namespace,
        labels: agentLabels(agent),
        annotations: syncWave(SyncWave.CANARY),
      },
      spec: {
        provider: routing === 'istio' ? CanarySpecProvider.ISTIO : CanarySpecProvider.GATEWAYAPI_V1,
        ...(routing === 'istio' ? { metricsServer: policy.prometheus } : {}),
        targetRef: {
          apiVersion: 'apps/v1',
          kind: CanarySpecTargetRefKind.DEPLOYMENT,
          name: names(slug).deployment,
        },
        ...(props.autoscalerName
          ? {
              autoscalerRef: {
                apiVersion: 'autoscaling/v2',
                kind: CanarySpecAutoscalerRefKind.HORIZONTAL_POD_AUTOSCALER,
                name: props.autoscalerName,
              },
            }
          : {}),
        progressDeadlineSeconds: props.progressDeadlineSeconds ?? 600,
        service: {
          name: names(slug).service,
          port: HTTP_PORT,
          portName: HTTP_PORT_NAME,
          targetPort: HTTP_PORT,
          // Also expose 8001 (http-control, Corail's evaluation endpoint) on the generated Services.
          portDiscovery: true,
          timeout: props.requestTimeout ?? '300s',
          ...(props.hosts?.length ? { hosts: [...props.hosts] } : {}),
          ...(routing === 'istio' && props.istioGateways?.length
            ? { gateways: [...props.istioGateways] }
            : {}),
          ...(routing === 'gateway-api'
            ? {
                gatewayRefs: props.gatewayRefs!.map((g) => ({
                  name: g.name,
                  ...(g.namespace ? { namespace: g.namespace } : {}),
                  ...(g.sectionName ? { sectionName: g.sectionName } : {}),
                })),
              }
            : {}),
        },
        analysis: {
          interval: policy.analysis.interval,
          threshold: policy.analysis.threshold,
          ...plan,
          metrics,
          webhooks,
        },
      },
    });

    const target = props.target;
    if (target)
      this.node.addValidation({ validate: () => validateTarget(target, namespace, slug) });
  }
}

/** Cross-object check between the Canary and its target Deployment (see `FlaggerCanaryProps.target`). */
function validateTarget(target: FlaggerTarget, namespace: string, slug: string): string[] {
  const o = target.apiObject;
  const where = `FlaggerCanary ${namespace}/${slug}: target ${o.kind} ${o.metadata.namespace}/${o.name}`;
  if (
    o.kind !== 'Deployment' ||
    o.name !== names(slug).deployment ||
    o.metadata.namespace !== namespace
  ) {
    return [
      `${where} is not the Canary's targetRef (Deployment ${namespace}/${names(slug).deployment})`,
    ];
  }
  const errors: string[] = [];
  if (target.replicas !== undefined) {
    errors.push(
      `${where} sets spec.replicas ${target.replicas}; a Flagger target must not (allowed: no replicas). Fix: drop replicas; Flagger scales the target and Argo CD ignores /spec/replicas.`,
    );
  }
  const labels = target.selector;
  if (labels['app'] !== slug || Object.keys(labels).length !== 1) {
    errors.push(
      `${where} selects ${JSON.stringify(labels)}; Flagger needs exactly {"app":"${slug}"} (it rewrites that one label to ${slug}-primary and drops the others)`,
    );
  }
  return errors;
}

/** What Flagger cannot express for this strategy and routing (the fleet rules say it first, at a line). */
function checkTraffic(
  where: string,
  routing: Routing,
  strategy: ReleaseStrategy,
  p: FlaggerCanaryProps,
): void {
  if (strategy !== 'canary' && strategy !== 'ab' && strategy !== 'blue-green') {
    throw new ConstructInputError(
      `${where}: props.strategy '${String(strategy)}' is not allowed (allowed: canary, ab, blue-green)`,
    );
  }
  if (strategy === 'ab' && !p.cohorts?.length) {
    throw new ConstructInputError(
      `${where}: strategy ab needs cohorts (Flagger's analysis.match). Fix: set rollout.cohorts.`,
    );
  }
  if (strategy !== 'ab' && p.cohorts?.length) {
    throw new ConstructInputError(
      `${where}: cohorts with strategy ${strategy} are not possible in progressive mode (Flagger routes analysis.match only as an A/B test). Fix: strategy ab, or mode manual.`,
    );
  }
  if (p.sessionAffinity && (strategy !== 'canary' || p.sessionAffinity.cookie === undefined)) {
    throw new ConstructInputError(
      `${where}: props.sessionAffinity ${JSON.stringify(p.sessionAffinity)} is not possible with strategy ${strategy}: Flagger pins sessions only by cookie, only in the canary strategy. Fix: sessionAffinity {cookie: <name>} with strategy canary, or mode manual for a header.`,
    );
  }
  if (
    p.iterations !== undefined &&
    (strategy === 'canary' || !Number.isInteger(p.iterations) || p.iterations < 1)
  ) {
    throw new ConstructInputError(
      `${where}: props.iterations ${p.iterations} is not allowed with strategy ${strategy} (allowed: an integer >= 1 with ab or blue-green)`,
    );
  }
}

function validatePlan(where: string, policy: PolicySpec): void {
  const steps = policy.steps;
  if (!steps.length)
    throw new ConstructInputError(
      `${where}: policy steps is empty; a progressive plan needs at least one step. Fix: add steps like [{weight: 10, hold: 5m}].`,
    );
  let prev = 0;
  steps.forEach((s, i) => {
    if (!Number.isInteger(s.weight) || s.weight <= prev || s.weight > 99) {
      throw new ConstructInputError(
        `${where}: policy steps[${i}].weight ${s.weight} is not allowed (allowed: an integer in ${prev + 1}..99, steps strictly increasing)`,
      );
    }
    parseDuration(s.hold, `${where}: policy steps[${i}].hold`);
    prev = s.weight;
  });
  if (!Number.isInteger(policy.analysis.threshold) || policy.analysis.threshold < 1) {
    throw new ConstructInputError(
      `${where}: policy analysis.threshold ${policy.analysis.threshold} is not allowed (allowed: an integer >= 1)`,
    );
  }
}
