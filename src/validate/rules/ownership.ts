/**
 * Who owns which object: Flagger generates and mutates some objects (reference C.1, C.2), so Git
 * must not hold them, must not pin what Flagger scales, and Argo CD must ignore `replicas`.
 */
import type { Resource } from '../types.js';
import { get, kindOf, nameOf, namespaceOf, type Rule } from './context.js';

export const oneRolloutMode: Rule = {
  id: 'one-rollout-mode',
  severity: 'error',
  description:
    'An agent is either progressive (Flagger Canary) or manual (`-canary` Deployment + weighted route), never both.',
  check(ctx) {
    for (const agent of ctx.agents) {
      if (!agent.canary) continue;
      const manual = agent.resources.filter(
        (r) =>
          (kindOf(r) === 'Deployment' && nameOf(r) === `${agent.name}-canary`) ||
          (kindOf(r) === 'VirtualService' &&
            JSON.stringify(get(r.object, 'spec', 'http') ?? []).includes('"subset":"canary"')) ||
          (kindOf(r) === 'HTTPRoute' &&
            JSON.stringify(get(r.object, 'spec', 'rules') ?? []).includes(
              `"${agent.name}-canary"`,
            )),
      );
      for (const r of manual) {
        ctx.report(
          this,
          r,
          ['metadata', 'name'],
          `agent ${agent.id} has a Flagger Canary and the manual-mode ${kindOf(r)} ${nameOf(r)}: both would fight over the same traffic and names`,
          'pick one rollout.mode in the fleet file (progressive or manual) and regenerate dist/',
        );
      }
    }
  },
};

/** Names Flagger generates for a Canary whose apex service is `apex` and target `target`. */
function flaggerOwned(apex: string, target: string): [kind: string, name: string][] {
  return [
    ['Service', apex],
    ['Service', `${apex}-primary`],
    ['Service', `${apex}-canary`],
    ['Deployment', `${target}-primary`],
    ['VirtualService', apex],
    ['DestinationRule', `${apex}-primary`],
    ['DestinationRule', `${apex}-canary`],
    ['HTTPRoute', apex],
  ];
}

export const noFlaggerOwnedObjects: Rule = {
  id: 'flagger-owned-objects',
  severity: 'error',
  description:
    'Objects Flagger generates for a Canary (apex/-primary/-canary Services, -primary Deployment, VirtualService, DestinationRules, HTTPRoute) are not in Git.',
  check(ctx) {
    for (const canary of ctx.ofKind('Canary', 'flagger.app')) {
      const ns = namespaceOf(canary);
      const target = String(get(canary.object, 'spec', 'targetRef', 'name') ?? nameOf(canary));
      const apex = String(get(canary.object, 'spec', 'service', 'name') ?? target);
      for (const hit of flaggerOwned(apex, target)) {
        for (const r of ctx.find(ns, hit[0], hit[1])) {
          ctx.report(
            this,
            r,
            ['metadata', 'name'],
            `${hit[0]} ${ns}/${hit[1]} is generated and rewritten by Flagger for Canary ${nameOf(canary)}: a copy in Git fights Flagger (Argo CD self-heal reverts its routing)`,
            'delete this object from Git and let Flagger create it',
          );
        }
      }
    }
  },
};

export const noReplicasOnTarget: Rule = {
  id: 'flagger-target-replicas',
  severity: 'error',
  description:
    'The Deployment a Flagger Canary targets has no spec.replicas (Flagger scales it; use an HPA for size).',
  check(ctx) {
    for (const canary of ctx.ofKind('Canary', 'flagger.app')) {
      const ns = namespaceOf(canary);
      const kind = String(get(canary.object, 'spec', 'targetRef', 'kind') ?? 'Deployment');
      const target = String(get(canary.object, 'spec', 'targetRef', 'name') ?? '');
      for (const r of ctx.find(ns, kind, target)) {
        const replicas = get(r.object, 'spec', 'replicas');
        if (replicas === undefined || replicas === null) continue;
        ctx.report(
          this,
          r,
          ['spec', 'replicas'],
          `${kind} ${ns}/${target} is a Flagger target and sets replicas: ${JSON.stringify(replicas)}; Flagger scales it to 0 between runs, so every Argo CD sync would scale it back up`,
          'remove spec.replicas (size the workload with an HorizontalPodAutoscaler and Canary autoscalerRef)',
        );
      }
    }
  },
};

/** Whether `app` ignores `/spec/replicas` of Deployment `name` (an entry without a name covers all). */
function ignoresReplicasOf(app: Resource, name: string): boolean {
  const diffs = get(app.object, 'spec', 'ignoreDifferences');
  if (!Array.isArray(diffs)) return false;
  return diffs.some(
    (d) =>
      get(d, 'group') === 'apps' &&
      get(d, 'kind') === 'Deployment' &&
      (get(d, 'name') === undefined || get(d, 'name') === name) &&
      ((Array.isArray(get(d, 'jsonPointers')) &&
        (get(d, 'jsonPointers') as unknown[]).includes('/spec/replicas')) ||
        (Array.isArray(get(d, 'jqPathExpressions')) &&
          (get(d, 'jqPathExpressions') as unknown[]).includes('.spec.replicas'))),
  );
}

/** Deployments whose replica count a controller owns, by namespace: Flagger targets and HPA targets. */
function controllerScaled(ctx: Parameters<Rule['check']>[0]): Map<string, Map<string, string>> {
  const owned = new Map<string, Map<string, string>>();
  const add = (ns: string, name: string, by: string) => {
    let m = owned.get(ns);
    if (!m) owned.set(ns, (m = new Map()));
    if (!m.has(name)) m.set(name, by);
  };
  for (const c of ctx.ofKind('Canary', 'flagger.app')) {
    if (String(get(c.object, 'spec', 'targetRef', 'kind') ?? 'Deployment') === 'Deployment')
      add(
        namespaceOf(c),
        String(get(c.object, 'spec', 'targetRef', 'name') ?? ''),
        `Flagger Canary ${nameOf(c)}`,
      );
  }
  for (const h of ctx.ofKind('HorizontalPodAutoscaler', 'autoscaling')) {
    if (get(h.object, 'spec', 'scaleTargetRef', 'kind') === 'Deployment')
      add(
        namespaceOf(h),
        String(get(h.object, 'spec', 'scaleTargetRef', 'name') ?? ''),
        `HorizontalPodAutoscaler ${nameOf(h)}`,
      );
  }
  return owned;
}

export const argoIgnoreDifferences: Rule = {
  id: 'argocd-ignore-differences',
  severity: 'error',
  description:
    'Argo CD Applications ignore /spec/replicas of the Deployments a controller scales (Flagger targets, HPA targets) and sync with RespectIgnoreDifferences=true.',
  check(ctx) {
    const owned = controllerScaled(ctx);
    for (const app of ctx.ofKind('Application', 'argoproj.io')) {
      // The app-of-apps that syncs only Application objects has no scaled workloads.
      const path = String(get(app.object, 'spec', 'source', 'path') ?? '');
      if (/(^|\/)argocd\/?$/.test(path)) continue;
      const ns = String(get(app.object, 'spec', 'destination', 'namespace') ?? '');
      const scaled = owned.get(ns) ?? new Map<string, string>();
      const missing = [...scaled].filter(([name]) => !ignoresReplicasOf(app, name));
      if (missing.length) {
        ctx.report(
          this,
          app,
          ['spec', 'ignoreDifferences'],
          `Application ${nameOf(app)} does not ignore /spec/replicas of ${missing.map(([n, by]) => `Deployment ${n} (scaled by ${by})`).join(', ')}: Argo CD would report OutOfSync and scale it back on every sync`,
          `add ignoreDifferences: [{group: apps, kind: Deployment, name: ${missing[0]![0]}, jsonPointers: [/spec/replicas]}]`,
        );
      }
      if (!scaled.size) continue;
      const opts = get(app.object, 'spec', 'syncPolicy', 'syncOptions');
      if (!Array.isArray(opts) || !opts.includes('RespectIgnoreDifferences=true')) {
        ctx.report(
          this,
          app,
          ['spec', 'syncPolicy', 'syncOptions'],
          `Application ${nameOf(app)} lacks syncOptions RespectIgnoreDifferences=true: ignored fields are still applied on sync`,
          'add RespectIgnoreDifferences=true to spec.syncPolicy.syncOptions',
        );
      }
    }
  },
};
