/** The rule list, in the order findings are produced. Add a rule here and in docs/validate.md. */
import type { Rule } from './context.js';
import { weightBounds, weightStep } from './weights.js';
import {
  durationUnits,
  gateNotRollback,
  maxWeightOvershoot,
  qualityGatePresent,
  stepMode,
  thresholdSet,
  webhookMetadataStrings,
  webhookTimeouts,
} from './flagger-plan.js';
import { metricTemplateRef, providerFits } from './flagger-refs.js';
import { liveMaxWeight, liveSkipAnalysis, liveStepWeights } from './live.js';
import {
  argoIgnoreDifferences,
  noFlaggerOwnedObjects,
  noReplicasOnTarget,
  oneRolloutMode,
} from './ownership.js';
import { canaryImagePinned, canaryResources } from './images.js';
import { rollbackHookOnGate } from './gate-hooks.js';

export const rules: readonly Rule[] = [
  weightBounds,
  weightStep,
  stepMode,
  maxWeightOvershoot,
  durationUnits,
  thresholdSet,
  webhookMetadataStrings,
  webhookTimeouts,
  qualityGatePresent,
  gateNotRollback,
  rollbackHookOnGate,
  metricTemplateRef,
  providerFits,
  liveMaxWeight,
  liveStepWeights,
  liveSkipAnalysis,
  oneRolloutMode,
  noFlaggerOwnedObjects,
  noReplicasOnTarget,
  argoIgnoreDifferences,
  canaryImagePinned,
  canaryResources,
];

/**
 * The kinds whose fields beyond `apiVersion`, `kind` and `metadata` some rule reads. Validation
 * workers (../parallel.ts) send every other object to the rules as those three fields only (a
 * ConfigMap's data, a MetricTemplate's query: a third of a large tree that no rule looks at).
 * A rule that reads another kind's fields adds the kind here.
 */
export const RULE_READ_KINDS: ReadonlySet<string> = new Set([
  'Agent',
  'Canary',
  'Deployment',
  'VirtualService',
  'HTTPRoute',
  'HorizontalPodAutoscaler',
  'Application',
]);

/**
 * What the rules stage keeps of a schema-checked object: the whole object for the kinds some rule
 * inspects, else its identity and metadata (names, labels, annotations), which every rule may
 * read. The rest is dropped as soon as the object is checked, so it never outlives its file.
 */
export function ruleView(object: Record<string, unknown>): Record<string, unknown> {
  return RULE_READ_KINDS.has(String(object.kind))
    ? object
    : { apiVersion: object.apiVersion, kind: object.kind, metadata: object.metadata };
}

export type { Rule, RuleContext, AgentView, LiveCanary } from './context.js';
