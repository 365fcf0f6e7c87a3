/**
 * Rollout policies: `policies/<name>.yaml`, validated by their own schema
 * (`src/policy/schema.ts`). A policy is the release plan that the generator turns into a Flagger
 * analysis (progressive mode) and that the validator and the GitOps operations enforce on manual
 * weight changes. Durations are Flagger durations: seconds or minutes only (`30s`, `5m`).
 */

/** One canary step: the weight and how long it holds before the next step may start. */
export interface PolicyStep {
  /** Canary weight in percent, 1..99; steps are strictly increasing. */
  readonly weight: number;
  /** How long the step holds before the next one, e.g. `5m`. */
  readonly hold: string;
}

export interface Bound {
  readonly min?: number;
  readonly max?: number;
}

export type GateMode = 'strict' | 'recif';
export type OnUnavailable = 'approve' | 'reject';

/** A per-metric quality threshold the gate applies to MLflow evaluation scores. */
export interface GateMetric {
  /** MLflow metric key, e.g. `safety/mean` or `answer_relevance/v1/mean`. */
  readonly key: string;
  /**
   * `higher` (>= threshold passes) or `lower` (<= threshold passes).
   * @default by name: `lower` for toxicity, grade levels, latency, token counts and cost, else `higher`
   */
  readonly direction?: 'higher' | 'lower';
  /** Absolute bar; without it the metric is only compared with stable. */
  readonly threshold?: number;
  /** This metric's regression bound (overrides `gate.maxRegression`). */
  readonly maxRegression?: number;
  /** This metric's bound kind (overrides `gate.regression`). */
  readonly regression?: RegressionKind;
}

/** `relative`: the bound is a fraction of stable's value; `absolute`: in the metric's own unit. */
export type RegressionKind = 'relative' | 'absolute';

export interface GateSettings {
  /** @default 'strict' */
  readonly mode: GateMode;
  /** Score that passes: the mean in `recif` mode, the default per-metric threshold in `strict` mode. @default 0.6 */
  readonly passThreshold: number;
  /** Per-metric thresholds (strict mode); empty means every metric must reach `passThreshold`. */
  readonly metrics: readonly GateMetric[];
  /**
   * Largest allowed move of a canary metric in its worse direction, compared with stable
   * (strict mode): a fraction of stable's value (`regression: relative`) or a value in the
   * metric's unit (`regression: absolute`). @default 0.05
   */
  readonly maxRegression: number;
  /** How `maxRegression` is read. @default 'relative' */
  readonly regression: RegressionKind;
  /**
   * Significance level of the canary-vs-stable test on per-row assessments: a regression beyond
   * the bound fails only when its p-value is below `alpha`. @default 0.05
   */
  readonly alpha: number;
  /**
   * Name of the LoggedModel of a version (MLflow 3); `{name}`, `{namespace}`, `{version}`
   * replaced. A model tagged `versionTag` = version is found too. @default '{name}-v{version}'
   */
  readonly modelName: string;
  /** Fewest evaluated samples a canary run must report (strict mode). @default 20 */
  readonly minSamples: number;
  /** What to answer when MLflow cannot be read. @default 'reject' */
  readonly onUnavailable: OnUnavailable;
  /** MLflow run tag that carries the agent version (Corail logs `RECIF_AGENT_VERSION` there). @default 'recif.agent_version' */
  readonly versionTag: string;
  /** Experiment name template; `{name}` and `{namespace}` are replaced. @default 'recif/agents/{name}' */
  readonly experiment: string;
  /** How long a verdict is cached per revision. @default '60s' */
  readonly cacheTtl: string;
  /** Webhook timeout, below the analysis interval and Flagger's 10 s default. @default '8s' */
  readonly timeout: string;
  /** Optional shared token sent in the webhook metadata (`token`); omitted when unset. */
  readonly token?: string;
}

/**
 * What the load tester runs against the canary during analysis. The command is a template:
 * `{url}` (the canary's in-cluster URL, `http://<slug>-canary.<namespace>:8000/`), `{name}`,
 * `{namespace}` and `{window}` (the metric window, e.g. `1m`) are replaced.
 */
export interface LoadTestSettings {
  /** @default agent-canary.yaml `flagger.loadTest.command` (`hey -z {window} -q 2 -c 1 {url}`) */
  readonly command?: string;
  /** Webhook timeout (flagger-loadtester starts `cmd` in the background and answers at once). @default '5s' */
  readonly timeout?: string;
}

export interface PolicySpec {
  /** Manual weights and the progressive plan, in order; after the last step comes promotion (100). */
  readonly steps: readonly PolicyStep[];
  readonly analysis: {
    /** Flagger analysis interval. @default '1m' */
    readonly interval: string;
    /** Failed checks before rollback. @default 3 */
    readonly threshold: number;
  };
  /** Promotion gates: a canary below these does not advance. */
  readonly metrics: {
    /** Percent of non-5xx requests. */
    readonly successRate: Bound;
    /** p99 latency in milliseconds. */
    readonly latencyP99: Bound;
    /** p50 (median) latency in milliseconds. @default { max: 100 } (the release plan) */
    readonly latencyP50?: Bound;
    /** Percent of 5xx requests. @default { max: 0.1 } (the release plan) */
    readonly errorRate?: Bound;
    /**
     * The canary judged against the primary (stable) on the same traffic window: 5xx percent at
     * most `factor` x the primary's (never below `floor` percent), p99 latency at most `factor` x
     * the primary's plus `marginMs`. Each is a Flagger MetricTemplate whose value must be <= 0.
     */
    readonly vsPrimary?: {
      /** @default { factor: 2, floor: 1 } */
      readonly errorRate?: { readonly factor: number; readonly floor?: number };
      /** @default { factor: 1.5, marginMs: 50 } */
      readonly latencyP99?: { readonly factor: number; readonly marginMs?: number };
    };
  };
  /**
   * Abort bounds: a canary beyond these fails at once, whatever `analysis.threshold` says
   * (progressive mode: a Flagger `rollback` hook, docs/generator.md "Abort bounds").
   */
  readonly abort: {
    readonly successRate: Bound;
    /** Percent of 5xx requests. */
    readonly errorRate: Bound;
    readonly latencyP99: Bound;
    /** p50 latency in milliseconds. @default none */
    readonly latencyP50?: Bound;
  };
  /** The flagger-loadtester `load-test` hook (fleet `rollout.loadTest: true`). */
  readonly loadTest?: LoadTestSettings;
  readonly gate: GateSettings;
  /** Webhook URL of the quality gate service. @default 'http://agent-canary-gate.agent-canary-system/api/v1/webhooks/flagger' */
  readonly gateUrl: string;
  /** Prometheus address used by MetricTemplates. @default 'http://prometheus.istio-system:9090' */
  readonly prometheus: string;
  /**
   * Whether a pull request may change the stable spec (image, model, prompt, skills, tools,
   * version) without a canary: all traffic at once in manual mode, an analysis with no baseline
   * in progressive mode. `validate --base` refuses it unless this is true. @default false
   */
  readonly allowDirectStableChange?: boolean;
}

export interface Policy {
  readonly apiVersion: 'agent-canary.dev/v1alpha1';
  readonly kind: 'RolloutPolicy';
  readonly metadata: { readonly name: string };
  readonly spec: PolicySpec;
}
