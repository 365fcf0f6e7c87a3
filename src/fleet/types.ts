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
