/** The cluster settings of `agent-canary.yaml`, every default applied (see defaults.ts). */
export interface ClusterConfig {
  /** The file they came from (relative to the project), or undefined when there is none. */
  readonly file?: string;
  readonly repository: { readonly url: string; readonly revision: string; readonly path: string };
  readonly argocd: {
    readonly namespace: string;
    readonly project: string;
    readonly server: string;
  };
  readonly flagger: {
    readonly namespace: string;
    readonly loadTesterUrl: string;
    /** The load-test command of policies that set none (`loadTest.command`, same placeholders). */
    readonly loadTestCommand: string;
  };
  /** `address` is the default for policies that name no Prometheus of their own. */
  readonly prometheus: { readonly namespace: string; readonly address: string };
  readonly gate: {
    readonly namespace: string;
    readonly image: string;
    readonly replicas: 0 | 1;
    readonly stateClaim?: string;
    readonly mlflow: { readonly trackingUri: string; readonly secret: string };
    /** Serve the canary HTTP API; the Secret holds AGENT_CANARY_REPO and AGENT_CANARY_API_TOKEN. */
    readonly canaryApi?: { readonly secret: string };
    /** NetworkPolicy peers beyond Flagger and Prometheus (e.g. the CI runner's namespace). */
    readonly allowedNamespaces: readonly string[];
  };
  readonly istio: { readonly gateways: readonly string[] };
}
