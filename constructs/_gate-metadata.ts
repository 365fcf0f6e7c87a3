/**
 * The quality-gate settings as Flagger webhook metadata (docs/design.md, "Quality-gate webhook
 * contract"). Flagger's `metadata` is `map<string,string>`, so every value is a string; the gate
 * is stateless and reads everything it needs from here.
 */
import type { AgentResource } from '../src/fleet/types.js';
import type { GateSettings, PolicySpec } from '../src/policy/types.js';

export const GATE_ANNOTATION = 'agent-canary.dev/gate';

/**
 * Agent annotation written by a progressive-mode `canary promote` (src/gitops/progressive.ts),
 * `"<from> -> <to>"`: version `to` was promoted over `from`, which the Flagger primary still runs
 * while Flagger rolls `to` out. Without it the gate would compare the promoted version with
 * itself (stableVersion = canaryVersion).
 */
export const PROMOTION_ANNOTATION = 'agent-canary.dev/promotion';

/** `"7 -> 8"` -> `{from: '7', to: '8'}`; undefined for anything else. */
export function parsePromotion(
  value: string | undefined,
): { from: string; to: string } | undefined {
  const m = value === undefined ? null : /^\s*(\S+)\s+->\s+(\S+)\s*$/.exec(value);
  return m ? { from: m[1]!, to: m[2]! } : undefined;
}

/**
 * The version the gate compares the canary with: the Agent's version, except right after a
 * progressive promote, when the primary still runs the version before it. The promotion
 * annotation counts only while no canary is enabled and `spec.version` is still the version it
 * promoted: a later hand edit of the version makes it stale, and then `spec.version` is used.
 */
export function baselineVersion(agent: AgentResource): string {
  const p = parsePromotion(agent.metadata.annotations?.[PROMOTION_ANNOTATION]);
  if (p && !agent.spec.canary?.enabled && p.to === agent.spec.version) return p.from;
  return agent.spec.version ?? '';
}

/** `{name}` / `{namespace}` in the policy's experiment template, replaced. */
export function experimentName(template: string, agent: AgentResource): string {
  return template
    .replaceAll('{name}', agent.metadata.name)
    .replaceAll('{namespace}', agent.metadata.namespace);
}

/**
 * `key>=n` / `key<=n` (`*` = no absolute bar), with `@b%` (relative) or `@b` (absolute) for a
 * per-metric regression bound; comma separated; empty means "every mean metric".
 */
export function metricsExpression(gate: GateSettings): string {
  return gate.metrics
    .map((m) => {
      const op = (m.direction ?? 'higher') === 'lower' ? '<=' : '>=';
      const bound =
        m.maxRegression === undefined
          ? ''
          : (m.regression ?? gate.regression) === 'relative'
            ? `@${Number((m.maxRegression * 100).toPrecision(12))}%`
            : `@${m.maxRegression}`;
      return `${m.key}${op}${m.threshold ?? '*'}${bound}`;
    })
    .join(',');
}

/**
 * Metadata of the `quality-gate` rollout webhook.
 * @param canaryVersion the version the canary pods run (RECIF_AGENT_VERSION), '' when unknown
 */
export function qualityGateMetadata(
  agent: AgentResource,
  policy: PolicySpec,
  canaryVersion: string | undefined,
): Record<string, string> {
  const g = policy.gate;
  // Always a canary version: Flagger's checksum is not enough (confirm-rollout sends the previous
  // revision's), so without a version the gate could judge the wrong revision. Fall back to the
  // version the agent declares, then to the canary image's tag.
  const version =
    canaryVersion ||
    agent.spec.canary?.version ||
    agent.spec.version ||
    imageTag(agent.spec.canary?.image ?? agent.spec.image) ||
    '';
  const md: Record<string, string> = {
    check: 'quality',
    agent: agent.metadata.name,
    experiment: experimentName(g.experiment, agent),
    mode: g.mode,
    passThreshold: String(g.passThreshold),
    metrics: metricsExpression(g),
    maxRegression: String(g.maxRegression),
    regression: g.regression,
    alpha: String(g.alpha),
    minSamples: String(g.minSamples),
    versionTag: g.versionTag,
    // The LoggedModel name of a version ({version} is filled by the gate for canary and stable).
    modelName: g.modelName
      .replaceAll('{name}', agent.metadata.name)
      .replaceAll('{namespace}', agent.metadata.namespace),
    canaryVersion: version,
    stableVersion: baselineVersion(agent),
    onUnavailable: g.onUnavailable,
    cacheTtl: g.cacheTtl,
    // The hook's own timeout (the same string as the webhook's `timeout` field): Flagger does not
    // send it, and the gate must answer inside it rather than inside its 8s default.
    timeout: g.timeout,
  };
  // The token exists only when the policy sets one: an empty token would read as "auth disabled".
  const token = g.token;
  if (token) md['token'] = token;
  return md;
}

/** `ghcr.io/x/corail:v0.4.0` -> `v0.4.0` (no tag or a digest: undefined). */
function imageTag(image: string | undefined): string | undefined {
  const m = image ? /:([\w.+-]{1,128})$/.exec(image.split('/').pop() ?? '') : null;
  return m?.[1];
}

/** Metadata of the two `step-hold` webhooks (confirm-traffic-increase, confirm-promotion). */
export function stepHoldMetadata(agent: AgentResource, policy: PolicySpec): Record<string, string> {
  const md: Record<string, string> = {
    check: 'step-hold',
    agent: agent.metadata.name,
    stepWeights: policy.steps.map((s) => String(s.weight)).join(','),
    // Hold before approval k: nothing before the first step, then each step's own hold; the last
    // entry is the hold of the last step, i.e. before promotion.
    stepHolds: ['0s', ...policy.steps.map((s) => s.hold)].join(','),
  };
  const token = policy.gate.token;
  if (token) md['token'] = token;
  return md;
}
