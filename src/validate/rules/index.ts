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

export type { Rule, RuleContext, AgentView, LiveCanary } from './context.js';
