/**
 * What a Canary points at must exist and fit its provider (reference A.5, C.3): a metric's
 * MetricTemplate, the Gateway API parents, and weights only where the provider can shift them.
 */
import { get, nameOf, namespaceOf, type Rule } from './context.js';

export const metricTemplateRef: Rule = {
  id: 'flagger-metric-template-ref',
  severity: 'error',
  description:
    'Every metrics[].templateRef names a MetricTemplate among the validated objects (same namespace unless templateRef.namespace says otherwise).',
  check(ctx) {
    // Only meaningful when templates are part of the input at all (e.g. all of dist/).
    if (!ctx.ofKind('MetricTemplate', 'flagger.app').length) return;
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const metrics = get(r.object, 'spec', 'analysis', 'metrics');
      if (!Array.isArray(metrics)) continue;
      metrics.forEach((m, i) => {
        const ref = get(m, 'templateRef');
        const name = get(ref, 'name');
        if (typeof name !== 'string') return;
        const ns =
          typeof get(ref, 'namespace') === 'string'
            ? (get(ref, 'namespace') as string)
            : namespaceOf(r);
        if (ctx.find(ns, 'MetricTemplate', name).length) return;
        const known = ctx
          .ofKind('MetricTemplate', 'flagger.app')
          .filter((t) => namespaceOf(t) === ns)
          .map(nameOf);
        ctx.report(
          this,
          r,
          ['spec', 'analysis', 'metrics', i, 'templateRef', 'name'],
          `metric ${String(get(m, 'name'))} uses MetricTemplate ${ns}/${name}, which is not among the validated objects (in ${ns}: ${known.length ? known.join(', ') : 'none'}); Flagger counts every check of it as failed and rolls back`,
          'fix the templateRef name, or add the MetricTemplate (agent-canary synth emits one per Gateway API metric)',
        );
      });
    }
  },
};

export const providerFits: Rule = {
  id: 'flagger-provider',
  severity: 'error',
  description:
    'Gateway API canaries list service.gatewayRefs; provider kubernetes (Blue/Green only) has no traffic weights.',
  check(ctx) {
    for (const r of ctx.ofKind('Canary', 'flagger.app')) {
      const provider = get(r.object, 'spec', 'provider');
      if (typeof provider !== 'string') continue;
      if (provider.startsWith('gatewayapi')) {
        const refs = get(r.object, 'spec', 'service', 'gatewayRefs');
        if (!Array.isArray(refs) || !refs.length) {
          ctx.report(
            this,
            r,
            ['spec', 'service', 'gatewayRefs'],
            `provider ${provider} needs service.gatewayRefs: Flagger cannot attach the HTTPRoute it generates to any Gateway`,
            'set rollout.gatewayRefs in the fleet file (the Gateway the agent is reached through)',
          );
        }
      }
      if (provider === 'kubernetes') {
        const a = get(r.object, 'spec', 'analysis');
        for (const k of ['stepWeight', 'stepWeights', 'maxWeight'] as const) {
          if (get(a, k) === undefined) continue;
          ctx.report(
            this,
            r,
            ['spec', 'analysis', k],
            `provider kubernetes shifts no traffic (Blue/Green only; Flagger forces iterations), so ${k} is ignored: the canary would get no share of live traffic`,
            'use provider istio or gatewayapi:v1 for weighted canaries, or iterations for Blue/Green',
          );
        }
      }
    }
  },
};
