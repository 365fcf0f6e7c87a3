/**
 * Flagger analysis hazards: plans the Canary CRD accepts (or rejects cryptically) that do not do
 * what their author meant. Facts from Flagger's scheduler (reference A.4, B.1, B.3).
 */
import type { Resource } from '../types.js';
import { get, type Rule, type RuleContext } from './context.js';

const FLAGGER_DURATION = /^[0-9]+(s|m)$/;

/** Flagger duration -> seconds; undefined when Flagger would not parse it as we mean. */
export function flaggerSeconds(d: unknown): number | undefined {
  if (typeof d !== 'string' || !FLAGGER_DURATION.test(d)) return undefined;
  const n = parseInt(d, 10);
  return d.endsWith('m') ? n * 60 : n;
}

function eachCanary(
  ctx: RuleContext,
  fn: (canary: Resource, analysis: Record<string, unknown>) => void,
): void {
  for (const r of ctx.ofKind('Canary', 'flagger.app')) {
    const analysis = get(r.object, 'spec', 'analysis');
    if (analysis && typeof analysis === 'object') fn(r, analysis as Record<string, unknown>);
  }
}

const webhooksOf = (analysis: Record<string, unknown>): Record<string, unknown>[] =>
  Array.isArray(analysis.webhooks)
    ? (analysis.webhooks as Record<string, unknown>[]).filter((w) => w && typeof w === 'object')
    : [];

/** The quality gate's hooks: named quality-gate/step-hold or carrying our `check` metadata. */
const isGateHook = (w: Record<string, unknown>) =>
  w.name === 'quality-gate' ||
  w.name === 'step-hold' ||
  ['quality', 'step-hold'].includes(String(get(w, 'metadata', 'check')));

export const stepMode: Rule = {
  id: 'flagger-step-mode',
  severity: 'error',
  description: 'A Canary analysis sets exactly one of stepWeight, stepWeights, iterations.',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      const set = ['stepWeight', 'stepWeights', 'iterations'].filter(
        (k) => a[k] !== undefined && a[k] !== null,
      );
      if (set.length === 1) return;
      ctx.report(
        this,
        r,
        ['spec', 'analysis', ...(set.length ? [set[1] ?? set[0]!] : [])],
        set.length === 0
          ? 'analysis sets none of stepWeight, stepWeights, iterations: Flagger has no plan to shift traffic by'
          : `analysis sets ${set.join(' and ')}; exactly one is allowed (stepWeight wins silently over stepWeights in Flagger)`,
        'keep stepWeights (the policy plan) and remove the others',
      );
    });
  },
};

export const maxWeightOvershoot: Rule = {
  id: 'flagger-max-weight-overshoot',
  severity: 'warning',
  description:
    'With stepWeight, maxWeight is a multiple of stepWeight (Flagger steps past maxWeight otherwise).',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      const step = a.stepWeight;
      const max = a.maxWeight ?? 100;
      if (typeof step !== 'number' || typeof max !== 'number' || step <= 0) return;
      if (max % step === 0) return;
      const reached = Math.ceil(max / step) * step;
      ctx.report(
        this,
        r,
        ['spec', 'analysis', 'maxWeight'],
        `maxWeight ${max} is not a multiple of stepWeight ${step}: Flagger goes ${Array.from({ length: Math.ceil(max / step) }, (_, i) => (i + 1) * step).join(', ')} and reaches ${reached}% before promotion`,
        `set maxWeight to ${Math.floor(max / step) * step || step} or ${reached}, or use stepWeights`,
      );
    });
  },
};

export const durationUnits: Rule = {
  id: 'flagger-duration-unit',
  severity: 'error',
  description:
    'Flagger durations (analysis.interval, metrics[].interval, webhooks[].timeout) use seconds or minutes only, e.g. 30s, 5m.',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      const check = (value: unknown, path: (string | number)[]) => {
        if (value === undefined) return;
        if (flaggerSeconds(value) === undefined) {
          ctx.report(
            this,
            r,
            path,
            `duration ${JSON.stringify(value)} is not whole seconds or minutes (allowed: <n>s, <n>m)`,
            'write e.g. 90s instead of 1m30s, 60m instead of 1h',
          );
        }
      };
      check(a.interval, ['spec', 'analysis', 'interval']);
      if (Array.isArray(a.metrics))
        a.metrics.forEach((m, i) =>
          check(get(m, 'interval'), ['spec', 'analysis', 'metrics', i, 'interval']),
        );
      webhooksOf(a).forEach((w, i) =>
        check(w.timeout, ['spec', 'analysis', 'webhooks', i, 'timeout']),
      );
    });
  },
};

export const thresholdSet: Rule = {
  id: 'flagger-threshold',
  severity: 'error',
  description: 'analysis.threshold is set to a positive number of failed checks before rollback.',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      if (typeof a.threshold === 'number' && a.threshold >= 1) return;
      ctx.report(
        this,
        r,
        ['spec', 'analysis', 'threshold'],
        `analysis.threshold is ${JSON.stringify(a.threshold ?? null)}: Flagger falls back to 1, so a single failed check rolls back`,
        'set analysis.threshold from the policy (analysis.threshold, e.g. 3)',
      );
    });
  },
};

export const webhookMetadataStrings: Rule = {
  id: 'flagger-webhook-metadata-strings',
  severity: 'error',
  description: 'Webhook metadata values are strings (Flagger metadata is map<string,string>).',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      webhooksOf(a).forEach((w, i) => {
        const md = w.metadata;
        if (!md || typeof md !== 'object') return;
        for (const [k, v] of Object.entries(md)) {
          if (typeof v === 'string') continue;
          ctx.report(
            this,
            r,
            ['spec', 'analysis', 'webhooks', i, 'metadata', k],
            `webhook "${String(w.name)}" metadata ${k} is ${JSON.stringify(v)} (${typeof v}); Flagger accepts only strings`,
            `quote the value: ${k}: "${String(v)}"`,
          );
        }
      });
    });
  },
};

/** Flagger webhook types that do not run inside an analysis iteration. */
const OUTSIDE_ITERATIONS: ReadonlySet<string> = new Set([
  'pre-rollout',
  'post-rollout',
  'confirm-rollout',
  'event',
]);

export const webhookTimeouts: Rule = {
  id: 'flagger-webhook-timeout',
  severity: 'error',
  description:
    'Each timeout of a webhook that runs in the analysis iterations, and the sum of rollout-hook timeouts, is shorter than analysis.interval.',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      const interval = flaggerSeconds(a.interval ?? '60s');
      if (interval === undefined) return;
      let total = 0;
      webhooksOf(a).forEach((w, i) => {
        const t = w.timeout === undefined ? 10 : flaggerSeconds(w.timeout);
        if (t === undefined) return;
        const type = String(w.type ?? 'rollout');
        if (type === 'rollout') total += t;
        // Hooks that run outside the analysis iterations (before the rollout starts, after it
        // ends, or as notifications) do not delay a check: their timeout may exceed the interval.
        if (t >= interval && !OUTSIDE_ITERATIONS.has(type)) {
          ctx.report(
            this,
            r,
            ['spec', 'analysis', 'webhooks', i, 'timeout'],
            `webhook "${String(w.name)}" timeout ${t}s is not shorter than the ${interval}s interval: a slow hook delays every check`,
            `set the timeout below ${interval}s (the gate answers within gate.timeout, default 8s)`,
          );
        }
      });
      if (total >= interval) {
        ctx.report(
          this,
          r,
          ['spec', 'analysis', 'interval'],
          `rollout webhooks may take ${total}s together, not less than the ${interval}s interval`,
          "raise analysis.interval or lower the rollout hooks' timeouts",
        );
      }
    });
  },
};

export const qualityGatePresent: Rule = {
  id: 'flagger-quality-gate',
  severity: 'error',
  description:
    'A progressive Canary has the quality-gate rollout webhook (MLflow scores decide promotion).',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      const hooks = webhooksOf(a);
      const ok = hooks.some(
        (w) =>
          (w.type ?? 'rollout') === 'rollout' &&
          (w.name === 'quality-gate' || get(w, 'metadata', 'check') === 'quality'),
      );
      if (ok) return;
      ctx.report(
        this,
        r,
        ['spec', 'analysis', 'webhooks'],
        'no quality-gate rollout webhook: the canary would be promoted on traffic metrics alone, without evaluation scores',
        'regenerate the Canary (agent-canary synth) or add the quality-gate webhook with type: rollout and the gate metadata',
      );
    });
  },
};

export const gateNotRollback: Rule = {
  id: 'flagger-gate-not-rollback',
  severity: 'error',
  description:
    'The quality gate is never wired as a `rollback` hook (Flagger rolls back when a rollback hook passes).',
  check(ctx) {
    eachCanary(ctx, (r, a) => {
      webhooksOf(a).forEach((w, i) => {
        if (w.type !== 'rollback' || !isGateHook(w)) return;
        ctx.report(
          this,
          r,
          ['spec', 'analysis', 'webhooks', i, 'type'],
          `webhook "${String(w.name)}" sends the quality gate as type rollback: every passing verdict (200) would roll the canary back`,
          'use type: rollout for quality-gate (confirm-traffic-increase / confirm-promotion for step-hold)',
        );
      });
    });
  },
};
