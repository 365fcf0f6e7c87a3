/**
 * Webhook step 4, render: the answer Flagger sees. 200 lets the hook pass; 412 halts it and
 * Flagger shows the body in the Canary's events, so every 412 carries a message a human can act
 * on. Every answer is rendered from the decision objects (a cached verdict included), so an
 * answer always says what the verdict says.
 */
import type { FlaggerPayload } from '../payload.js';
import type { HoldAnswer } from '../step-hold.js';
import type { QualityDecision } from './decide.js';

export interface Answer {
  readonly status: 200 | 412;
  readonly body: Readonly<Record<string, unknown>>;
}

export function renderStepHold(payload: FlaggerPayload, answer: HoldAnswer): Answer {
  return {
    status: answer.passed ? 200 : 412,
    body: {
      status: answer.passed ? 'ok' : 'failed',
      message: answer.message,
      check: 'step-hold',
      agent: payload.metadata.agent ?? payload.name,
      namespace: payload.namespace,
      checksum: payload.checksum,
      approvals: answer.approvals,
      nextWeight: answer.nextWeight,
      waitSeconds: Math.ceil(answer.waitMs / 1000),
      ...(answer.uncertain ? { uncertain: true } : {}),
    },
  };
}

/**
 * Renders quality answers to JSON text, remembering the last text per payload object: Flagger
 * repeats the same body every tick (parse.ts hands back the same payload object), and the same
 * verdict object with the same cache source renders to the same text. A changed verdict or
 * source renders afresh, so the text always says what the verdict says.
 */
export function qualityTextRenderer(): (
  payload: FlaggerPayload,
  d: QualityDecision,
) => { status: 200 | 412; text: string } {
  const last = new WeakMap<
    FlaggerPayload,
    {
      verdict: QualityDecision['verdict'];
      settings: QualityDecision['settings'];
      cache: QualityDecision['cache'];
      text: string;
    }
  >();
  return (payload, d) => {
    const status = d.verdict.passed ? 200 : 412;
    const memo = last.get(payload);
    if (
      memo &&
      memo.verdict === d.verdict &&
      memo.settings === d.settings &&
      memo.cache === d.cache
    )
      return { status, text: memo.text };
    const text = JSON.stringify(renderQuality(payload, d).body);
    last.set(payload, { verdict: d.verdict, settings: d.settings, cache: d.cache, text });
    return { status, text };
  };
}

export function renderQuality(payload: FlaggerPayload, d: QualityDecision): Answer {
  const { verdict, settings } = d;
  return {
    status: verdict.passed ? 200 : 412,
    body: {
      status: verdict.passed ? 'ok' : 'failed',
      message: verdict.message,
      check: 'quality',
      outcome: verdict.outcome,
      mode: verdict.mode,
      agent: settings.agent,
      namespace: payload.namespace,
      checksum: payload.checksum,
      experiment: verdict.experiment,
      score: verdict.score,
      samples: verdict.samples,
      runs: verdict.runs,
      metrics: verdict.metrics,
      reasons: verdict.reasons,
      notes: verdict.notes,
      cache: d.cache,
    },
  };
}
