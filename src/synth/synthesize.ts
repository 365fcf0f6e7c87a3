/**
 * Fleet -> manifests. Builds each agent's constructs in a cdk8s App of its own (released once
 * rendered) and the shared objects in one more, renders every ApiObject with its own `toJson()`
 * and lays it out as `dist/<namespace>/<agent>/<Kind>.<name>.yaml`.
 *
 * Pure: no file access, no clock, no randomness; the same fleet and policies give the same bytes.
 */
import { ApiObject, App, Chart } from 'cdk8s';
import { Construct, type IConstruct } from 'constructs';
import { AgentRelease, type AgentReleaseProps } from '../../constructs/agent-release.js';
import { ArgoCdApps, type ArgoCdProps } from '../../constructs/argocd.js';
import { GateServer, type GateServerProps } from '../../constructs/gate-server.js';
import { ArgoCdHealthChecks } from '../../constructs/argocd-health.js';
import { NamespaceDashboard, type DashboardAgent } from '../../constructs/grafana-dashboard.js';
import { AgentCanaryError } from '../errors/error.js';
import type { FleetAgent } from '../fleet/types.js';
import type { Policy, PolicySpec } from '../policy/types.js';
import { resolvePolicy } from '../policy/load.js';
import { DEFAULT_PROMETHEUS } from '../policy/defaults.js';
import { DEFAULT_CLUSTER_CONFIG } from '../config/defaults.js';
import type { ClusterConfig } from '../config/types.js';
import { emitYaml } from './yaml.js';
import { withAgentToken } from './gate-token.js';
import { withFastToJson } from './fast-json.js';

export interface Manifest {
  /** Relative to the dist directory, `/`-separated. */
  readonly path: string;
  readonly object: Record<string, unknown>;
  /** The file content: one YAML document, LF endings, trailing newline. */
  readonly content: string;
}

export interface SynthOptions {
  readonly policies: ReadonlyMap<string, Policy>;
  /**
   * The cluster settings (`agent-canary.yaml`, src/config): repository, Argo CD, Flagger,
   * Prometheus, gate and Istio gateways. The options below, when set, win over it.
   * @default DEFAULT_CLUSTER_CONFIG
   */
  readonly cluster?: ClusterConfig;
  /** Git repository of the Argo CD Applications. @default 'https://github.com/example/agent-canary.git' */
  readonly repoURL?: string;
  /** @default 'main' */
  readonly targetRevision?: string;
  /** Path of dist/ inside that repository. @default 'dist' */
  readonly distPath?: string;
  /** Quality-gate server settings (namespace, image, Flagger namespace). @default GateServer defaults */
  readonly gate?: GateServerProps;
  /** Argo CD settings beyond repo/revision/path. @default ArgoCdApps defaults */
  readonly argocd?: Pick<ArgoCdProps, 'argocdNamespace' | 'project' | 'server'>;
  /** Agent defaults for every workload (resources, probe path). @default construct defaults */
  readonly workload?: Pick<AgentReleaseProps, 'resources' | 'probePath'>;
  /**
   * Agents per Chart id in construct paths (`<namespace>-<i / agentsPerChart>/<agent>/...`, as
   * validation errors name them); each agent is built in an App of its own. @default 100
   */
  readonly agentsPerChart?: number;
  /**
   * The gate's secret: each agent's hook metadata gets its derived token (gate-token.ts).
   * @default none: no token is written
   */
  readonly gateSecret?: string;
}

/** The fleet as a whole cannot be synthesized (duplicate agents, failed construct validations). */
export class SynthesisError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** Folder of the Argo CD objects inside dist/. */
export const ARGOCD_DIR = 'argocd';

/** Where an object lands: `<dir>/<Kind>.<name>.yaml`. */
export function manifestPath(dir: string, object: Record<string, unknown>): string {
  const meta = object['metadata'] as { name?: string } | undefined;
  return `${dir}/${String(object['kind'])}.${meta?.name ?? 'unnamed'}.yaml`;
}

/** The dist/ folder of one agent (what `writeOutput`'s `scope` refers to by agent id). */
export function agentDir(agentId: string): string {
  return agentId;
}

function render(dir: string, objects: readonly ApiObject[], out: Manifest[]): void {
  withFastToJson(() => renderEach(dir, objects, out));
}

function renderEach(dir: string, objects: readonly ApiObject[], out: Manifest[]): void {
  for (const o of objects) {
    const object = o.toJson() as Record<string, unknown>;
    out.push({ path: manifestPath(dir, object), object, content: emitYaml(object) });
  }
}

/** Every `node.addValidation` failure under `scope` (what `App.synth` would check), with its path. */
function treeErrors(scope: IConstruct): string[] {
  const errors: string[] = [];
  for (const c of scope.node.findAll())
    for (const e of c.node.validate()) errors.push(`${c.node.path}: ${e}`);
  return errors;
}

function refused(errors: readonly string[]): SynthesisError {
  return new SynthesisError(`synthesis refused:\n  ${errors.join('\n  ')}`);
}

/** Runs every validation under `scope` and throws the failures together. */
function validateTree(scope: IConstruct): void {
  const errors = treeErrors(scope);
  if (errors.length) throw refused(errors);
}

function checkUnique(agents: readonly FleetAgent[]): void {
  const seen = new Map<string, string>();
  for (const a of agents) {
    const prev = seen.get(a.id);
    if (prev !== undefined) {
      throw new SynthesisError(
        `agent ${a.id} is defined twice (${prev} and ${a.file}); object names would collide. Fix: keep one file per agent.`,
      );
    }
    seen.set(a.id, a.file);
  }
}

/**
 * The agents grouped by namespace (sorted), each group in input order: the order in which they
 * are built, and the index that names each one's Chart (`<namespace>-<i / agentsPerChart>`, as in
 * construct paths of validation errors).
 */
function byNamespace(agents: readonly FleetAgent[]): Array<[string, FleetAgent[]]> {
  const byNs = new Map<string, FleetAgent[]>();
  for (const a of agents) {
    const ns = a.agent.metadata.namespace;
    let list = byNs.get(ns);
    if (!list) byNs.set(ns, (list = []));
    list.push(a);
  }
  return [...byNs].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * One agent's construct tree, in an App of its own: nothing refers across agents, and a tree
 * that lives only while its agent is rendered is young garbage for V8 (a tree of many agents
 * outlives the young generation and is promoted, which made garbage collection a third of a
 * 10,000-agent synthesis and the peak grow with the batch).
 */
function buildAgent(a: FleetAgent, chartId: string, opts: SynthOptions): AgentRelease {
  const cluster = opts.cluster ?? DEFAULT_CLUSTER_CONFIG;
  const chart = new Chart(newApp(), chartId, { disableResourceNameHashes: true });
  const policy = withAgentToken(
    withClusterPrometheus(resolvePolicy(opts.policies, a), cluster),
    a,
    opts.gateSecret,
  );
  return new AgentRelease(chart, a.agent.metadata.name, {
    fleetAgent: a,
    policy,
    istioGateways: cluster.istio.gateways,
    loadTesterUrl: cluster.flagger.loadTesterUrl,
    loadTestCommand: cluster.flagger.loadTestCommand,
    ...opts.workload,
  });
}

/** Manifests of one agent only (no Argo CD or gate objects): what the GitOps operations re-render. */
export function synthesizeAgent(agent: FleetAgent, opts: SynthOptions): Manifest[] {
  return synthesizeAgents([agent], opts).manifests;
}

/**
 * What the shared per-namespace outputs (Argo CD Applications, dashboards) need of one agent.
 * Plain data: an incremental synthesis keeps it in its cache for the agents it does not rebuild.
 */
export interface AgentSummary {
  /** `<namespace>/<name>` */
  readonly id: string;
  readonly namespace: string;
  /** Deployments an autoscaler or Flagger scales (Argo CD ignores their replicas). */
  readonly controllerScaled: readonly string[];
  /** The agent's entry in its namespace's Grafana dashboard. */
  readonly dashboard: DashboardAgent;
}

/** The agents' own objects (every agent folder) and their summaries; no shared objects. */
export function synthesizeAgents(
  agents: readonly FleetAgent[],
  opts: SynthOptions,
): { manifests: Manifest[]; summaries: AgentSummary[] } {
  checkUnique(agents);
  const perChart = Math.max(1, opts.agentsPerChart ?? 100);
  const manifests: Manifest[] = [];
  const summaries: AgentSummary[] = [];
  const errors: string[] = [];
  for (const [ns, list] of byNamespace(agents)) {
    list.forEach((a, i) => {
      const r = buildAgent(a, `${ns}-${Math.floor(i / perChart)}`, opts);
      const found = treeErrors(r);
      // After a failed validation nothing is rendered, but the others are still checked, so
      // one run reports every refused agent.
      if (found.length || errors.length) {
        errors.push(...found);
        return;
      }
      render(agentDir(a.id), r.apiObjects, manifests);
      summaries.push({
        id: a.id,
        namespace: a.agent.metadata.namespace,
        controllerScaled: [...r.controllerScaled],
        dashboard: {
          name: a.agent.metadata.name,
          source: a.rollout.routing === 'gateway-api' ? 'app' : 'istio',
        },
      });
    });
  }
  if (errors.length) throw refused(errors);
  return { manifests: manifests.sort(byPath), summaries };
}

/**
 * The objects every agent shares, from the agents' summaries alone: the gate server, the Argo CD
 * AppProject, Applications and health checks, and one dashboard per agent namespace. An
 * incremental synthesis rebuilds these on every run (they are few) from summaries it mostly
 * keeps in its cache, so they stay right when only some agents are re-synthesized.
 */
export function synthesizeShared(
  summaries: readonly AgentSummary[],
  opts: SynthOptions,
): Manifest[] {
  const app = newApp();
  const platform = new Chart(app, 'platform', { disableResourceNameHashes: true });
  const cluster = opts.cluster ?? DEFAULT_CLUSTER_CONFIG;
  const gate = new GateServer(platform, 'Gate', { ...gateProps(cluster), ...opts.gate });
  const ordered = [...summaries].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const namespaces = [...new Set([...ordered.map((a) => a.namespace), gate.namespace])];
  const controllerScaled = new Map<string, string[]>();
  const byNs = new Map<string, DashboardAgent[]>();
  for (const a of ordered) {
    let scaled = controllerScaled.get(a.namespace);
    if (!scaled) controllerScaled.set(a.namespace, (scaled = []));
    scaled.push(...a.controllerScaled);
    let list = byNs.get(a.namespace);
    if (!list) byNs.set(a.namespace, (list = []));
    list.push(a.dashboard);
  }
  const argo = new ArgoCdApps(platform, 'ArgoCd', {
    namespaces,
    controllerScaled,
    repoURL: opts.repoURL ?? cluster.repository.url,
    targetRevision: opts.targetRevision ?? cluster.repository.revision,
    distPath: opts.distPath ?? cluster.repository.path,
    argocdNamespace: cluster.argocd.namespace,
    project: cluster.argocd.project,
    server: cluster.argocd.server,
    ...opts.argocd,
  });
  const health = new ArgoCdHealthChecks(platform, 'ArgoCdHealth', {
    argocdNamespace: opts.argocd?.argocdNamespace ?? cluster.argocd.namespace,
  });
  // One dashboard per agent namespace, beside the agents' folders (dist/<namespace>/ConfigMap...).
  const dashboards = [...byNs].map(
    ([ns, list]) =>
      [
        ns,
        new NamespaceDashboard(platform, `Dashboard-${ns}`, { namespace: ns, agents: list }),
      ] as const,
  );
  validateTree(app);
  const out: Manifest[] = [];
  render(`${gate.namespace}/${gate.name}`, apiObjectsOf(gate), out);
  render(ARGOCD_DIR, [...apiObjectsOf(argo), ...apiObjectsOf(health)], out);
  for (const [ns, d] of dashboards) render(ns, apiObjectsOf(d), out);
  return out.sort(byPath);
}

/** The whole tree: every agent, the gate server and the Argo CD objects, sorted by path. */
export function synthesize(agents: readonly FleetAgent[], opts: SynthOptions): Manifest[] {
  const { manifests, summaries } = synthesizeAgents(agents, opts);
  return [...manifests, ...synthesizeShared(summaries, opts)].sort(byPath);
}

/** The gate server's props from the cluster settings. */
function gateProps(c: ClusterConfig): GateServerProps {
  const g = c.gate;
  return {
    namespace: g.namespace,
    image: g.image,
    replicas: g.replicas,
    ...(g.stateClaim !== undefined ? { stateClaim: g.stateClaim } : {}),
    mlflowTrackingUri: g.mlflow.trackingUri,
    mlflowSecret: g.mlflow.secret,
    ...(g.canaryApi ? { canaryApiSecret: g.canaryApi.secret } : {}),
    flaggerNamespace: c.flagger.namespace,
    prometheusNamespace: c.prometheus.namespace,
    extraAllowedNamespaces: g.allowedNamespaces,
  };
}

/**
 * The cluster's Prometheus for a policy that names none of its own (it kept the policy default);
 * a policy naming another address keeps it.
 */
function withClusterPrometheus(policy: PolicySpec, c: ClusterConfig): PolicySpec {
  return policy.prometheus === DEFAULT_PROMETHEUS && c.prometheus.address !== DEFAULT_PROMETHEUS
    ? { ...policy, prometheus: c.prometheus.address }
    : policy;
}

/** The App every synthesis uses; nothing is written by cdk8s itself (see output.ts). */
function newApp(): App {
  return new App({ outdir: '.' });
}

function apiObjectsOf(c: Construct): ApiObject[] {
  return c.node.findAll().filter((x): x is ApiObject => x instanceof ApiObject);
}

function byPath(a: Manifest, b: Manifest): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
