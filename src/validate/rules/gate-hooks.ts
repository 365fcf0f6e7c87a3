/**
 * A `rollback` hook pointed at the quality gate, whatever its name or metadata. Flagger rolls
 * the canary back when a rollback hook answers success, and its payload does not say which hook
 * type calls; a hand-written rollback hook on the gate URL would roll back a good canary if the
 * gate ever answered it 2xx. The gate answers a call without `metadata.check` with a non-2xx,
 * but a hook that sets `check: quality` would get the verdict: flag the wiring itself.
 */
import type { Resource } from '../types.js';
import { get, type Rule, type RuleContext } from './context.js';

/** The gate's webhook path (src/gate/server.ts); any host serving it is the gate. */
const GATE_PATH = '/api/v1/webhooks/flagger';

function pathOf(url: string): string | undefined {
  try {
    return new URL(url).pathname.replace(/\/+$/, '');
  } catch {
    return undefined;
  }
}

/** The policy's gate URL of each Canary's agent (one pass over the agents, not one per Canary). */
function gateUrlsByCanary(ctx: RuleContext): Map<Resource, Set<string>> {
  const byCanary = new Map<Resource, Set<string>>();
  for (const agent of ctx.agents) {
    if (!agent.canary) continue;
    const url = ctx.policyFor(agent)?.gateUrl;
    let urls = byCanary.get(agent.canary);
    if (!urls) byCanary.set(agent.canary, (urls = new Set()));
    if (url) urls.add(url.replace(/\/+$/, ''));
  }
  return byCanary;
}

export const rollbackHookOnGate: Rule = {
  id: 'flagger-rollback-hook-on-gate',
  severity: 'error',
  description:
    'No `rollback` webhook points at the quality gate (a 2xx from a rollback hook rolls the canary back).',
  check(ctx) {
    const gateUrls = gateUrlsByCanary(ctx);
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const hooks = get(r.object, 'spec', 'analysis', 'webhooks');
      if (!Array.isArray(hooks)) continue;
      const policyUrls = gateUrls.get(r) ?? new Set<string>();
      hooks.forEach((w: unknown, i) => {
        if (!w || typeof w !== 'object') return;
        const hook = w as Record<string, unknown>;
        if (hook.type !== 'rollback' || typeof hook.url !== 'string') return;
        const url = hook.url.replace(/\/+$/, '');
        if (!policyUrls.has(url) && pathOf(url) !== GATE_PATH) return;
        ctx.report(
          this,
          r,
          ['spec', 'analysis', 'webhooks', i, 'url'],
          `webhook "${String(hook.name)}" of type rollback calls the quality gate (${hook.url}): Flagger rolls the canary back whenever a rollback hook succeeds`,
          'point rollback hooks at a notifier, not at the gate; the gate belongs in rollout (quality) and confirm-* (step-hold) hooks',
        );
      });
    }
  },
};
