/**
 * What a rule sees: the resources grouped per agent, the agent's rollout policy, the live Flagger
 * status (`--live`) and the base revision's weights (`--base`); and how it reports.
 * Rules are small functions `(ctx) => void` in a list (changesets style); only the entry point
 * decides the exit code.
 */
import type { PolicySpec } from '../../policy/types.js';
import { formatPath, objectRef, type Finding, type Resource, type Severity } from '../types.js';

export interface Rule {
  /** Stable id, used in reports, SARIF and docs/validate.md. */
  readonly id: string;
  readonly severity: Severity;
  /** One line for docs and SARIF rule metadata. */
  readonly description: string;
  check(ctx: RuleContext): void;
}

/** Live state of one Flagger Canary (`kubectl get canaries -o yaml`). */
export interface LiveCanary {
  readonly canaryWeight: number;
  readonly phase?: string;
}

/** The objects of one agent (`<namespace>/<slug>`). */
export interface AgentView {
  readonly id: string;
  readonly namespace: string;
  readonly name: string;
  readonly resources: readonly Resource[];
  /** The Recif Agent resource, when present. */
  readonly agent?: Resource;
  /** The Flagger Canary, when present (progressive mode). */
  readonly canary?: Resource;
}

export interface RuleContext {
  readonly resources: readonly Resource[];
  readonly agents: readonly AgentView[];
  /** The agent's resolved policy; undefined when no policy is known (policy rules then skip). */
  policyFor(agent: AgentView): PolicySpec | undefined;
  /** Objects by namespace, kind and name (an index: rules must not scan all resources per object). */
  find(namespace: string, kind: string, name: string): readonly Resource[];
  /** Objects of one kind (e.g. every Flagger `Canary`, checked by apiVersion group too). */
  ofKind(kind: string, group?: string): readonly Resource[];
  /** Live Flagger status by `<namespace>/<name>` (from --live). */
  readonly live: ReadonlyMap<string, LiveCanary>;
  /** Manual canary weight at the base revision by agent id (PR mode); absent agent = new. */
  readonly baseWeights?: ReadonlyMap<string, number>;
  report(
    rule: Rule,
    resource: Resource,
    path: readonly (string | number)[],
    message: string,
    fix: string,
    severity?: Severity,
  ): void;
}

export function createContext(
  resources: readonly Resource[],
  opts: {
    policyFor: (agent: AgentView) => PolicySpec | undefined;
    live?: ReadonlyMap<string, LiveCanary>;
    baseWeights?: ReadonlyMap<string, number>;
  },
  onFinding: (resource: Resource, finding: Finding) => void,
): RuleContext {
  const index = new Map<string, Resource[]>();
  const kinds = new Map<string, Resource[]>();
  const byGroupKind = new Map<string, Resource[]>();
  for (const r of resources) {
    const kind = kindOf(r);
    const k = `${namespaceOf(r)}/${kind}/${nameOf(r)}`;
    const list = index.get(k);
    if (list) list.push(r);
    else index.set(k, [r]);
    const byKind = kinds.get(kind);
    if (byKind) byKind.push(r);
    else kinds.set(kind, [r]);
  }
  return {
    resources,
    agents: groupAgents(resources),
    find: (ns, kind, name) => index.get(`${ns}/${kind}/${name}`) ?? [],
    ofKind: (kind, group) => {
      const list = kinds.get(kind) ?? [];
      if (group === undefined) return list;
      const k = `${group}/${kind}`;
      let hit = byGroupKind.get(k);
      if (!hit)
        byGroupKind.set(
          k,
          (hit = list.filter((r) => String(r.object.apiVersion ?? '').startsWith(`${group}/`))),
        );
      return hit;
    },
    policyFor: opts.policyFor,
    live: opts.live ?? new Map(),
    baseWeights: opts.baseWeights,
    report(rule, resource, path, message, fix, severity) {
      const p = formatPath(path);
      onFinding(resource, {
        ruleId: rule.id,
        severity: severity ?? rule.severity,
        file: resource.file,
        line: resource.locate(path),
        object: objectRef(resource.object),
        path: resource.basePath && p ? `${resource.basePath}.${p}` : resource.basePath || p,
        message,
        fix,
      });
    },
  };
}

/** Reads a nested field: get(obj, 'spec', 'analysis', 'stepWeight'). */
export function get(obj: unknown, ...path: (string | number)[]): unknown {
  let cur = obj;
  for (const seg of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string | number, unknown>)[seg];
  }
  return cur;
}

const metaField = (r: Resource, field: 'name' | 'namespace'): string => {
  const md = r.object.metadata;
  if (!md || typeof md !== 'object') return '';
  const v = (md as Record<string, unknown>)[field];
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
};
export const kindOf = (r: Resource): string =>
  typeof r.object.kind === 'string' ? r.object.kind : String(r.object.kind ?? '');
export const nameOf = (r: Resource): string => metaField(r, 'name');
export const namespaceOf = (r: Resource): string => metaField(r, 'namespace');
export const isFlaggerCanary = (r: Resource) =>
  kindOf(r) === 'Canary' && String(r.object.apiVersion ?? '').startsWith('flagger.app/');
export const isAgent = (r: Resource) =>
  kindOf(r) === 'Agent' && String(r.object.apiVersion ?? '').startsWith('agents.recif.dev/');

const AGENT_LABEL = 'recif.dev/agent';

/**
 * Groups resources per agent: by the `recif.dev/agent` label the generator sets, else by the
 * Agent's name, the Canary's target, or the `app` label. Objects of no agent (Argo CD
 * Applications, the gate server) stay ungrouped.
 */
export function groupAgents(resources: readonly Resource[]): AgentView[] {
  const groups = new Map<string, { namespace: string; name: string; resources: Resource[] }>();
  const add = (ns: string, name: string, r: Resource) => {
    const id = `${ns}/${name}`;
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { namespace: ns, name, resources: [] }));
    g.resources.push(r);
  };
  const agentNames = new Set(
    resources.filter(isAgent).map((r) => `${namespaceOf(r)}/${nameOf(r)}`),
  );
  for (const r of resources) {
    const ns = namespaceOf(r);
    const labels = (get(r.object, 'metadata', 'labels') ?? {}) as Record<string, unknown>;
    let name: string | undefined;
    if (isAgent(r)) name = nameOf(r);
    else if (typeof labels[AGENT_LABEL] === 'string') name = labels[AGENT_LABEL] as string;
    else if (isFlaggerCanary(r))
      name = String(get(r.object, 'spec', 'targetRef', 'name') ?? nameOf(r));
    else if (typeof labels.app === 'string' && agentNames.has(`${ns}/${labels.app}`))
      name = labels.app as string;
    else if (agentNames.size) {
      const n = nameOf(r);
      const base = n.replace(/-(canary-config|config|canary|primary)$/, '');
      if (agentNames.has(`${ns}/${base}`)) name = base;
    }
    if (name && ns) add(ns, name, r);
  }
  return [...groups.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([id, g]) => ({
      id,
      namespace: g.namespace,
      name: g.name,
      resources: g.resources,
      agent: g.resources.find(isAgent),
      canary: g.resources.find(isFlaggerCanary),
    }));
}
