/**
 * What a pull request affects, decided from the paths it touched, conservatively: the namespaces
 * whose objects, fleet files or Argo CD Application changed are re-read whole (every agent of
 * such a namespace: the rules and the drift check relate objects within a namespace); anything
 * whose effect reaches across namespaces (a policy, the cluster settings, a shared Argo CD
 * object, a file in no namespace folder) means the whole tree, as before.
 */
import { parse } from 'yaml';
import { CONFIG_FILE } from '../../config/defaults.js';

export type Scope =
  | { readonly full: true; readonly reason: string }
  | { readonly full: false; readonly namespaces: readonly string[] };

export interface ScopeInput {
  /** Repository-relative paths the pull request touched (`changed.ts`). */
  readonly changed: readonly string[];
  /** The validated folder, the fleet and the policies, repository-relative with `/`. */
  readonly dist: string;
  readonly fleet: string;
  readonly policies: string;
  /** The text of a path at head and at base (undefined when absent there). */
  readonly headText: (path: string) => string | undefined;
  readonly baseText: (path: string) => string | undefined;
}

const under = (p: string, dir: string) =>
  dir === '' ? p : p.startsWith(`${dir}/`) ? p.slice(dir.length + 1) : undefined;

/** The namespace an Argo CD Application deploys to, or undefined for any other object. */
export function applicationNamespace(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const doc = parse(text) as {
      kind?: unknown;
      spec?: { destination?: { namespace?: unknown } };
    } | null;
    const ns = doc?.spec?.destination?.namespace;
    return doc?.kind === 'Application' && typeof ns === 'string' && ns ? ns : undefined;
  } catch {
    return undefined;
  }
}

export function pullRequestScope(input: ScopeInput): Scope {
  const namespaces = new Set<string>();
  for (const p of input.changed) {
    if (p === CONFIG_FILE) return { full: true, reason: `${p} changed (cluster settings)` };
    if (under(p, input.policies) !== undefined)
      return { full: true, reason: `${p} changed (a policy applies to every agent naming it)` };
    const inFleet = under(p, input.fleet);
    if (inFleet !== undefined) {
      const seg = inFleet.split('/');
      if (seg.length !== 2 || !/\.ya?ml$/i.test(seg[1]!))
        return { full: true, reason: `${p} is not a <namespace>/<agent>.yaml fleet file` };
      namespaces.add(seg[0]!);
      continue;
    }
    const inDist = under(p, input.dist);
    if (inDist === undefined) continue; // docs, CI files: no manifest and no input of one
    const seg = inDist.split('/');
    if (seg.length < 2) return { full: true, reason: `${p} is in no namespace folder` };
    if (seg[0] !== 'argocd') {
      namespaces.add(seg[0]!);
      continue;
    }
    // An Application belongs to the namespace it deploys (its ignoreDifferences follow that
    // namespace's scaled Deployments); any other Argo CD object is shared by every namespace.
    const at = [applicationNamespace(input.headText(p)), applicationNamespace(input.baseText(p))];
    if (!at.some(Boolean)) return { full: true, reason: `${p} changed (shared Argo CD object)` };
    for (const ns of at) if (ns) namespaces.add(ns);
  }
  return { full: false, namespaces: [...namespaces].sort() };
}
