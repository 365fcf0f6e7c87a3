/**
 * Argo CD wiring for the synthesized tree: one AppProject and one Application per namespace
 * folder of dist/ (`<distPath>/<namespace>`, directory recurse), plus the root Application that
 * syncs `<distPath>/argocd` itself (app of apps), all in the Argo CD namespace.
 *
 * Every Application syncs automatically with prune and selfHeal, and ignores
 * `apps/Deployment /spec/replicas` with `RespectIgnoreDifferences=true`: Flagger scales the
 * progressive target to 0 between runs, and without both settings every sync (and selfHeal)
 * would scale it back up. Sync waves on the objects order config < workloads < routes < Canary.
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import { AppProject, Application } from '../imports/argocd-argoproj.io.js';
import { MANAGED_BY } from './_labels.js';
import { DNS1123_LABEL_RE as DNS_LABEL } from '../src/names/k8s-names.js';
import { redactCredentials } from '../src/redact/credentials.js';

export interface ArgoCdProps {
  /** Namespace folders of dist/ (agent namespaces and the gate's), one Application each. */
  readonly namespaces: readonly string[];
  /**
   * Git repository Argo CD reads; credentials in it are stripped (`redactCredentials`).
   * @default 'https://github.com/example/agent-canary.git'
   */
  readonly repoURL?: string;
  /** Branch, tag or commit. @default 'main' */
  readonly targetRevision?: string;
  /** Path of the synthesized tree inside the repository. @default 'dist' */
  readonly distPath?: string;
  /** Namespace Argo CD runs in. @default 'argocd' */
  readonly argocdNamespace?: string;
  /** AppProject name. @default 'agent-canary' */
  readonly project?: string;
  /** Destination cluster. @default 'https://kubernetes.default.svc' */
  readonly server?: string;
  /**
   * Per namespace, the Deployments whose replica count a controller owns (Flagger targets, HPA
   * targets): only those get `ignoreDifferences` on `/spec/replicas`, so a hand-scaled fixed-size
   * Deployment is still healed back to Git. @default every Deployment of every agent namespace
   */
  readonly controllerScaled?: ReadonlyMap<string, readonly string[]>;
}

export const DEFAULT_REPO_URL = 'https://github.com/example/agent-canary.git';

export class ArgoCdApps extends Construct {
  readonly project: AppProject;
  readonly applications: readonly Application[];

  constructor(scope: Construct, id: string, props: ArgoCdProps) {
    super(scope, id);
    // Written into Git: never a credential (Argo CD takes those from its repository secrets).
    const repoURL = redactCredentials(props.repoURL ?? DEFAULT_REPO_URL);
    const targetRevision = props.targetRevision ?? 'main';
    const distPath = (props.distPath ?? 'dist').replace(/^\.?\/+|\/+$/g, '');
    const argocdNs = props.argocdNamespace ?? 'argocd';
    const projectName = props.project ?? 'agent-canary';
    const server = props.server ?? 'https://kubernetes.default.svc';
    if (!repoURL)
      throw new ConstructInputError(
        `ArgoCdApps: props.repoURL is empty (allowed: a Git URL). Fix: pass --repo-url.`,
      );
    for (const ns of props.namespaces) {
      if (!DNS_LABEL.test(ns) || ns.length > 63)
        throw new ConstructInputError(`ArgoCdApps: namespace '${ns}' is not a DNS-1123 label`);
    }
    const namespaces = [...new Set(props.namespaces)].sort();
    const labels = {
      'app.kubernetes.io/part-of': 'agent-canary',
      'app.kubernetes.io/managed-by': MANAGED_BY,
    };

    this.project = new AppProject(this, 'Project', {
      metadata: {
        name: projectName,
        namespace: argocdNs,
        labels,
        annotations: { 'argocd.argoproj.io/sync-wave': '-1' },
      },
      spec: {
        description: 'Agents and the quality gate synthesized by agent-canary',
        sourceRepos: [repoURL],
        destinations: [...namespaces, argocdNs].map((namespace) => ({ server, namespace })),
        // CreateNamespace=true needs the project to admit Namespace objects; nothing else cluster-wide.
        clusterResourceWhitelist: [{ group: '', kind: 'Namespace' }],
        namespaceResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });

    const syncPolicy = {
      automated: { prune: true, selfHeal: true },
      syncOptions: [
        'CreateNamespace=true',
        'RespectIgnoreDifferences=true',
        'ApplyOutOfSyncOnly=true',
      ],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '3m' } },
    };
    const apps: Application[] = [];
    const ignoreFor = (namespace: string) => {
      if (!props.controllerScaled)
        return [{ group: 'apps', kind: 'Deployment', jsonPointers: ['/spec/replicas'] }];
      const scaled = [...new Set(props.controllerScaled.get(namespace) ?? [])].sort();
      return scaled.map((name) => ({
        group: 'apps',
        kind: 'Deployment',
        name,
        jsonPointers: ['/spec/replicas'],
      }));
    };
    const app = (name: string, path: string, namespace: string, withIgnore: boolean) =>
      new Application(this, name, {
        metadata: {
          name,
          namespace: argocdNs,
          labels,
          finalizers: ['resources-finalizer.argocd.argoproj.io'],
        },
        spec: {
          project: projectName,
          source: { repoUrl: repoURL, targetRevision, path, directory: { recurse: true } },
          destination: { server, namespace },
          syncPolicy,
          ...(withIgnore && ignoreFor(namespace).length
            ? { ignoreDifferences: ignoreFor(namespace) }
            : {}),
        },
      });
    apps.push(app('agent-canary-apps', `${distPath}/argocd`, argocdNs, false));
    for (const ns of namespaces)
      apps.push(app(`agent-canary-${ns}`, `${distPath}/${ns}`, ns, true));
    this.applications = apps;
  }
}
