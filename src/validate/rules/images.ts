/**
 * The canary's containers: a pinned image (a rollback must return to exactly what ran) and
 * resource requests/limits (a canary without them can starve the stable pods on the node).
 */
import type { Resource } from '../types.js';
import { get, kindOf, nameOf, type AgentView, type Rule } from './context.js';

/** Why an image reference is not pinned, or undefined when it is (tag other than latest, or digest). */
export function unpinnedReason(image: string): string | undefined {
  if (image.includes('@sha256:')) return undefined;
  const lastSlash = image.lastIndexOf('/');
  const colon = image.indexOf(':', lastSlash + 1);
  if (colon < 0) return 'has no tag (pulls latest)';
  const tag = image.slice(colon + 1);
  if (tag === '') return 'has an empty tag';
  if (tag === 'latest') return 'uses the latest tag';
  return undefined;
}

/** Canary workloads: the manual `-canary` Deployment, or the Deployment a Flagger Canary targets. */
function canaryWorkloads(agent: AgentView): Resource[] {
  const target = agent.canary
    ? String(get(agent.canary.object, 'spec', 'targetRef', 'name') ?? '')
    : `${agent.name}-canary`;
  return agent.resources.filter((r) => kindOf(r) === 'Deployment' && nameOf(r) === target);
}

function containers(r: Resource): [Record<string, unknown>, (string | number)[]][] {
  const out: [Record<string, unknown>, (string | number)[]][] = [];
  for (const field of ['initContainers', 'containers'] as const) {
    const list = get(r.object, 'spec', 'template', 'spec', field);
    if (Array.isArray(list))
      list.forEach(
        (c, i) =>
          c &&
          typeof c === 'object' &&
          out.push([c as Record<string, unknown>, ['spec', 'template', 'spec', field, i]]),
      );
  }
  return out;
}

export const canaryImagePinned: Rule = {
  id: 'canary-image-pinned',
  severity: 'error',
  description: 'Canary images carry an explicit tag other than latest, or a digest.',
  check(ctx) {
    for (const agent of ctx.agents) {
      const canaryImage = agent.agent
        ? get(agent.agent.object, 'spec', 'canary', 'image')
        : undefined;
      if (
        agent.agent &&
        typeof canaryImage === 'string' &&
        get(agent.agent.object, 'spec', 'canary', 'enabled') === true
      ) {
        const why = unpinnedReason(canaryImage);
        if (why)
          ctx.report(
            this,
            agent.agent,
            ['spec', 'canary', 'image'],
            `canary image ${canaryImage} ${why}`,
            'pin the image to a version tag (e.g. :v0.4.0) or a digest (@sha256:...)',
          );
      }
      for (const w of canaryWorkloads(agent)) {
        for (const [c, path] of containers(w)) {
          const image = c.image;
          if (typeof image !== 'string') continue;
          const why = unpinnedReason(image);
          if (why)
            ctx.report(
              this,
              w,
              [...path, 'image'],
              `canary container ${String(c.name)} image ${image} ${why}`,
              'pin the image to a version tag (e.g. :v0.4.0) or a digest (@sha256:...)',
            );
        }
      }
    }
  },
};

export const canaryResources: Rule = {
  id: 'canary-resources',
  severity: 'error',
  description:
    'Canary containers set resources.requests (cpu, memory) and resources.limits.memory.',
  check(ctx) {
    for (const agent of ctx.agents) {
      for (const w of canaryWorkloads(agent)) {
        for (const [c, path] of containers(w)) {
          const missing: string[] = [];
          if (get(c, 'resources', 'requests', 'cpu') === undefined) missing.push('requests.cpu');
          if (get(c, 'resources', 'requests', 'memory') === undefined)
            missing.push('requests.memory');
          if (get(c, 'resources', 'limits', 'memory') === undefined) missing.push('limits.memory');
          if (!missing.length) continue;
          ctx.report(
            this,
            w,
            [...path, 'resources'],
            `canary container ${String(c.name)} has no ${missing.join(', ')}`,
            'set resources.requests.cpu, requests.memory and limits.memory on the canary container',
          );
        }
      }
    }
  },
};
