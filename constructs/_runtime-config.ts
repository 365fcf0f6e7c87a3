/**
 * The runtime configuration of an agent pod, as environment variables (ConfigMap data).
 *
 * Names follow Recif/Corail: the Recif canary handler writes CORAIL_MODEL_TYPE, CORAIL_MODEL_ID,
 * CORAIL_SYSTEM_PROMPT, CORAIL_STRATEGY, CORAIL_CHANNEL, CORAIL_STORAGE, CORAIL_TOOLS and
 * CORAIL_SKILLS (JSON lists of names) and RECIF_AGENT_VERSION (MLflow logs the model as
 * `<slug>-v<N>` and tags traces with it, which is how the quality gate tells canary runs from
 * stable ones). CORAIL_AGENT_NAME is the slug (the MLflow experiment `recif/agents/<slug>`).
 * Defaults are the Agent CRD's, so the ConfigMap states the full configuration a pod runs with.
 */
import { createHash } from 'node:crypto';
import type { AgentCanarySpec, AgentSpec } from '../src/fleet/types.js';

/** The Agent CRD defaults (Helm CRD), applied when the fleet file leaves a field out. */
export const AGENT_DEFAULTS = {
  strategy: 'simple',
  channel: 'rest',
  modelType: 'stub',
  modelId: 'stub-echo',
  storage: 'memory',
  image: 'ghcr.io/recif-platform/corail:latest',
  replicas: 1,
} as const;

/** What a pod runs: the stable spec, or the stable spec with the challenger's overrides applied. */
export interface RuntimeProfile {
  readonly image: string;
  readonly modelType: string;
  readonly modelId: string;
  readonly systemPrompt?: string;
  readonly strategy: string;
  readonly channel: string;
  readonly storage: string;
  readonly tools: readonly string[];
  readonly skills: readonly string[];
  readonly version?: string;
}

export function stableProfile(spec: AgentSpec): RuntimeProfile {
  return {
    image: spec.image ?? AGENT_DEFAULTS.image,
    modelType: spec.modelType ?? AGENT_DEFAULTS.modelType,
    modelId: spec.modelId ?? AGENT_DEFAULTS.modelId,
    systemPrompt: spec.systemPrompt,
    strategy: spec.strategy ?? AGENT_DEFAULTS.strategy,
    channel: spec.channel ?? AGENT_DEFAULTS.channel,
    storage: spec.storage ?? AGENT_DEFAULTS.storage,
    tools: spec.tools ?? [],
    skills: spec.skills ?? [],
    version: spec.version,
  };
}

/** The challenger: every field the canary block sets wins over the stable spec, the image included. */
export function challengerProfile(spec: AgentSpec, canary: AgentCanarySpec): RuntimeProfile {
  const base = stableProfile(spec);
  return {
    ...base,
    image: canary.image ?? base.image,
    modelType: canary.modelType ?? base.modelType,
    modelId: canary.modelId ?? base.modelId,
    systemPrompt: canary.systemPrompt ?? base.systemPrompt,
    tools: canary.tools ?? base.tools,
    skills: canary.skills ?? base.skills,
    version: canary.version ?? base.version,
  };
}

/** ConfigMap data for a profile; keys sorted so the output never depends on insertion order. */
export function runtimeEnv(
  slug: string,
  spec: AgentSpec,
  p: RuntimeProfile,
): Record<string, string> {
  const env: Record<string, string> = {
    CORAIL_AGENT_NAME: slug,
    CORAIL_CHANNEL: p.channel,
    CORAIL_MODEL_ID: p.modelId,
    CORAIL_MODEL_TYPE: p.modelType,
    CORAIL_SKILLS: JSON.stringify(p.skills),
    CORAIL_STORAGE: p.storage,
    CORAIL_STRATEGY: p.strategy,
    CORAIL_TOOLS: JSON.stringify(p.tools),
  };
  if (p.systemPrompt !== undefined) env['CORAIL_SYSTEM_PROMPT'] = p.systemPrompt;
  if (p.version !== undefined) env['RECIF_AGENT_VERSION'] = p.version;
  // Settings the canary block cannot override: the same for stable and challenger.
  if (spec.backgroundModel !== undefined) env['CORAIL_BACKGROUND_MODEL'] = spec.backgroundModel;
  if (spec.knowledgeBases !== undefined)
    env['CORAIL_KNOWLEDGE_BASES'] = JSON.stringify(spec.knowledgeBases);
  if (spec.evalSampleRate !== undefined)
    env['CORAIL_EVAL_SAMPLE_RATE'] = String(spec.evalSampleRate);
  if (spec.judgeModel !== undefined) env['CORAIL_JUDGE_MODEL'] = spec.judgeModel;
  if (spec.suggestionsProvider !== undefined)
    env['CORAIL_SUGGESTIONS_PROVIDER'] = spec.suggestionsProvider;
  if (spec.suggestions !== undefined) env['CORAIL_SUGGESTIONS'] = spec.suggestions;
  const out: Record<string, string> = {};
  for (const k of Object.keys(env).sort()) out[k] = env[k]!;
  return out;
}

/** sha256 of ConfigMap data: the pod annotation that rolls pods when only the config changed. */
export function configChecksum(data: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(data).sort()) h.update(k).update('\0').update(data[k]!).update('\0');
  return h.digest('hex');
}
