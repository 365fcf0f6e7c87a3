/**
 * The fleet format: one file per agent, `fleet/<namespace>/<agent>.yaml`.
 *
 * A fleet file is the `Agent` resource (agents.recif.dev/v1) exactly as the Recif Agent CRD
 * accepts it, plus one top-level key, `rollout`, that holds agent-canary's own settings. The
 * `rollout` key is stripped before the Agent is emitted, so it never reaches the cluster.
 */

/** Challenger overrides and traffic share (Recif `CanarySpec`, field for field). */
export interface AgentCanarySpec {
  readonly enabled: boolean;
  /** Percent of traffic for the challenger. Manual mode: Git owns it. Progressive: informational (Flagger owns the live weight). */
  readonly weight: number;
  readonly image?: string;
  readonly modelType?: string;
  readonly modelId?: string;
  readonly systemPrompt?: string;
  readonly skills?: readonly string[];
  readonly tools?: readonly string[];
  readonly version?: string;
}

export type AgentFramework = 'corail' | 'adk' | 'langchain' | 'crewai' | 'autogen' | 'custom';

/** Recif `AgentSpec` (Helm CRD, the most complete copy). */
export interface AgentSpec {
  readonly name: string;
  readonly framework: AgentFramework;
  readonly description?: string;
  readonly strategy?: string;
  readonly channel?: string;
  readonly modelType?: string;
  readonly modelId?: string;
  readonly systemPrompt?: string;
  readonly backgroundModel?: string;
  readonly storage?: 'memory' | 'postgresql';
  readonly databaseUrl?: string;
  readonly tools?: readonly string[];
  readonly knowledgeBases?: readonly string[];
  readonly skills?: readonly string[];
  readonly envSecrets?: readonly string[];
  readonly credentialSecret?: string;
  readonly gcpServiceAccount?: string;
  readonly image?: string;
  readonly replicas?: number;
  readonly suggestionsProvider?: string;
  readonly suggestions?: string;
  readonly evalSampleRate?: number;
  readonly judgeModel?: string;
  readonly version?: string;
  readonly canary?: AgentCanarySpec | null;
}

export interface AgentMetadata {
  /** DNS-1123 label: the agent's slug, used for every object name. */
  readonly name: string;
  /** Must equal the `<namespace>` folder the file sits in. */
  readonly namespace: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface AgentResource {
  readonly apiVersion: 'agents.recif.dev/v1';
  readonly kind: 'Agent';
  readonly metadata: AgentMetadata;
  readonly spec: AgentSpec;
}

/** Who owns the live canary weight. Never both on one agent: their object names collide. */
export type RolloutMode = 'progressive' | 'manual';
/** How weighted traffic reaches the agent. */
export type Routing = 'istio' | 'gateway-api';

/** A Gateway API parent (the Gateway the HTTPRoute attaches to). */
export interface GatewayRef {
  readonly name: string;
  readonly namespace?: string;
  readonly sectionName?: string;
}

/**
 * How the challenger meets traffic: `canary` (a percentage, the policy's steps), `ab` (only the
 * cohorts reach the challenger, instead of a percentage), `blue-green` (all or nothing: the
 * challenger is tested at 0 %, then switched to 100 %).
 */
export type ReleaseStrategy = 'canary' | 'ab' | 'blue-green';

/** Keeps a conversation on one track: by a cookie the route sets, or by a header the client sends. */
export interface SessionAffinity {
  /** Cookie name (exactly one of cookie and header). */
  readonly cookie?: string;
  /** Request header carrying a conversation id (exactly one of cookie and header). */
  readonly header?: string;
  /** Cookie lifetime / session timeout in seconds. @default 86400 */
  readonly maxAge?: number;
}

/** One cohort: requests whose header (or cookie) has one of `values` or matches `regex`. */
export interface Cohort {
  readonly header?: string;
  readonly cookie?: string;
  readonly values?: readonly string[];
  /** RE2 regular expression the whole header (or cookie) value must match. */
  readonly regex?: string;
}

/** HorizontalPodAutoscaler bounds for the stable track (the canary's follow its weight). */
export interface Autoscaling {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Target average CPU utilization, percent of the request. @default 80 */
  readonly cpuUtilization?: number;
}

/** agent-canary's settings for one agent: the `rollout` key of a fleet file. */
export interface RolloutSettings {
  /** @default 'manual' */
  readonly mode: RolloutMode;
  /** @default 'istio' */
  readonly routing: Routing;
  /** Name of a policy in `policies/` (file `policies/<name>.yaml`). @default 'default' */
  readonly policy: string;
  /** Per-agent overrides of the policy, same shape as the policy's `spec`, deep-merged over it. */
  readonly overrides?: Readonly<Record<string, unknown>>;
  /** Gateway API parents; required when routing is `gateway-api`. */
  readonly gatewayRefs?: readonly GatewayRef[];
  /** Extra hostnames for the VirtualService/HTTPRoute (the in-cluster service host is always added for Istio). */
  readonly hosts?: readonly string[];
  /** Emit the Flagger load-test webhook (flagger-loadtester) in progressive mode. @default false */
  readonly loadTest?: boolean;
  /** @default 'canary' */
  readonly strategy?: ReleaseStrategy;
  /** Progressive ab / blue-green: analysis checks before promotion. @default 10 */
  readonly iterations?: number;
  readonly sessionAffinity?: SessionAffinity;
  /** Requests that reach the challenger first (OR of the list). @default [] */
  readonly cohorts?: readonly Cohort[];
  /** Istio gateways (`<namespace>/<name>` or `mesh`) the route binds `hosts` to. @default [] (mesh only) */
  readonly gateways?: readonly string[];
  readonly autoscaling?: Autoscaling;
}

/** One agent as loaded from the fleet, defaults resolved. */
export interface FleetAgent {
  /** `<namespace>/<name>`: the agent id used by the CLI and the HTTP API. */
  readonly id: string;
  /** Path of the fleet file, relative to the fleet root (e.g. `team-a/support-bot.yaml`). */
  readonly file: string;
  /** The Agent resource exactly as it will be emitted (no `rollout` key). */
  readonly agent: AgentResource;
  readonly rollout: RolloutSettings;
  /** Problems that do not stop synthesis but deserve a look (e.g. an enabled canary with weight 0). @default [] */
  readonly warnings?: readonly FleetWarningInfo[];
}

/** A non-fatal finding about a fleet file, located like a FleetError. */
export interface FleetWarningInfo {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly field: string;
  readonly message: string;
}
