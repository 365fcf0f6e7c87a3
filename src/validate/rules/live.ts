/**
 * Plan edits checked against the live canary (`--live FILE`, Canary `status.canaryWeight`).
 * Flagger re-reads the Canary every tick without restarting the analysis, so (reference A.4):
 * lowering maxWeight to or below the live weight, or a stepWeights list without the live weight,
 * sends the next tick straight to promotion.
 */
import { get, nameOf, namespaceOf, type Rule } from './context.js';

const IN_FLIGHT = new Set(['Progressing', 'WaitingPromotion', undefined]);

export const liveMaxWeight: Rule = {
  id: 'live-max-weight',
  severity: 'error',
  description:
    'With --live: maxWeight stays above the live canary weight (else Flagger promotes immediately).',
  check(ctx) {
    if (!ctx.live.size) return;
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const live = ctx.live.get(`${namespaceOf(r)}/${nameOf(r)}`);
      if (!live || live.canaryWeight <= 0 || !IN_FLIGHT.has(live.phase)) continue;
      const a = get(r.object, 'spec', 'analysis');
      if (get(a, 'stepWeights') !== undefined && get(a, 'stepWeight') === undefined) continue; // maxWeight is ignored with stepWeights
      const max = get(a, 'maxWeight');
      if (typeof max !== 'number' || max > live.canaryWeight) continue;
      ctx.report(
        this,
        r,
        ['spec', 'analysis', 'maxWeight'],
        `maxWeight ${max} is at or below the live canary weight ${live.canaryWeight}: promotes immediately on the next analysis tick`,
        `keep maxWeight above ${live.canaryWeight} until the canary finishes, or roll back first`,
      );
    }
  },
};

export const liveStepWeights: Rule = {
  id: 'live-step-weights',
  severity: 'error',
  description:
    'With --live: stepWeights contains the live canary weight (else Flagger jumps to 100, i.e. promotes immediately).',
  check(ctx) {
    if (!ctx.live.size) return;
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const live = ctx.live.get(`${namespaceOf(r)}/${nameOf(r)}`);
      if (!live || live.canaryWeight <= 0 || !IN_FLIGHT.has(live.phase)) continue;
      const a = get(r.object, 'spec', 'analysis');
      const steps = get(a, 'stepWeights');
      if (!Array.isArray(steps) || get(a, 'stepWeight') !== undefined) continue;
      if (steps.includes(live.canaryWeight)) continue;
      const last = Number(steps[steps.length - 1] ?? 0);
      ctx.report(
        this,
        r,
        ['spec', 'analysis', 'stepWeights'],
        `stepWeights [${steps.join(', ')}] do not contain the live canary weight ${live.canaryWeight}: promotes immediately on the next analysis tick`,
        last > live.canaryWeight
          ? `keep ${live.canaryWeight} in stepWeights while the canary is at it`
          : `wait for the canary to finish before shortening the plan below ${live.canaryWeight}`,
      );
    }
  },
};

export const liveSkipAnalysis: Rule = {
  id: 'live-skip-analysis',
  severity: 'error',
  description:
    'With --live: skipAnalysis is not switched on while a canary is in flight (Flagger promotes immediately).',
  check(ctx) {
    if (!ctx.live.size) return;
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const live = ctx.live.get(`${namespaceOf(r)}/${nameOf(r)}`);
      if (!live || live.canaryWeight <= 0 || !IN_FLIGHT.has(live.phase)) continue;
      if (get(r.object, 'spec', 'skipAnalysis') !== true) continue;
      ctx.report(
        this,
        r,
        ['spec', 'skipAnalysis'],
        `skipAnalysis: true while the canary is at ${live.canaryWeight}%: Flagger stops the analysis and promotes immediately, without the quality gate`,
        'remove skipAnalysis; to promote early use agent-canary canary promote, which keeps the decision in Git history',
      );
    }
  },
};
