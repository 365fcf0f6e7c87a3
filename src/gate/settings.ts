/**
 * Per-request gate settings: the Flagger webhook `metadata` (string values written by the
 * generator, see docs/design.md "Quality-gate webhook contract") over the server's defaults
 * (the policy defaults of `GateSettings`, or what `agent-canary gate` was started with).
 *
 * A bad value is a 400 that names the field (`metadata.passThreshold`), the value, what is
 * allowed and the fix.
 */
import type { GateMetric, GateMode, OnUnavailable, RegressionKind } from '../policy/types.js';
import { defaultDirection } from '../policy/metric-direction.js';
import { DEFAULT_POLICY_SPEC } from '../policy/defaults.js';
import { parseDuration } from '../duration/duration.js';
import { AgentCanaryError } from '../errors/error.js';
import { DNS1123_LABEL_RE } from '../names/k8s-names.js';

/** Flagger gives up on a webhook after 10 s unless the hook sets `timeout`. */
export const FLAGGER_DEFAULT_TIMEOUT_MS = 10_000;

export interface GateDefaults {
  /** @default 'strict' */
  readonly mode: GateMode;
  /** @default 0.6 */
  readonly passThreshold: number;
  /** @default [] (every mean metric vs passThreshold) */
  readonly metrics: readonly GateMetric[];
  /** @default 0.05 */
  readonly maxRegression: number;
  /** @default 'relative' */
  readonly regression: RegressionKind;
  /** Significance level of the per-row test. @default 0.05 */
  readonly alpha: number;
  /** LoggedModel name pattern; `{name}`, `{namespace}`, `{version}`. @default '{name}-v{version}' */
  readonly modelName: string;
  /** @default 20 */
  readonly minSamples: number;
  /** @default 'reject' */
  readonly onUnavailable: OnUnavailable;
  /** @default 'recif.agent_version' */
  readonly versionTag: string;
  /** Run tag holding Flagger's revision checksum. @default 'checksum' */
  readonly checksumTag: string;
  /** Metric holding the number of evaluated samples of a run. @default 'samples' */
  readonly samplesKey: string;
  /** @default 'recif/agents/{name}' */
  readonly experiment: string;
  /** @default 60000 (60s) */
  readonly cacheTtlMs: number;
  /** @default 8000 (8s) */
  readonly timeoutMs: number;
}

/** Policy durations are validated at load time; a bad literal in the defaults is a programming error. */
function defaultMs(text: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new Error(`policy default duration '${text}' does not parse`);
  return ms;
}

// One source of truth: the policy's gate defaults, so the server and the generator never disagree.
const POLICY_GATE = DEFAULT_POLICY_SPEC.gate;

export const DEFAULTS: GateDefaults = {
  mode: POLICY_GATE.mode,
  passThreshold: POLICY_GATE.passThreshold,
  metrics: POLICY_GATE.metrics,
  maxRegression: POLICY_GATE.maxRegression,
  regression: POLICY_GATE.regression,
  alpha: POLICY_GATE.alpha,
  modelName: POLICY_GATE.modelName,
  minSamples: POLICY_GATE.minSamples,
  onUnavailable: POLICY_GATE.onUnavailable,
  versionTag: POLICY_GATE.versionTag,
  checksumTag: 'checksum',
  samplesKey: 'samples',
  experiment: POLICY_GATE.experiment,
  cacheTtlMs: defaultMs(POLICY_GATE.cacheTtl),
  timeoutMs: defaultMs(POLICY_GATE.timeout),
};

export interface QualitySettings extends Omit<GateDefaults, 'experiment' | 'modelName'> {
  /** LoggedModel name pattern with `{name}`/`{namespace}` replaced; `{version}` is left. */
  readonly modelName: string;
  /** Agent slug (`metadata.agent`, else the Canary name). */
  readonly agent: string;
  /** The experiment name, template resolved. */
  readonly experiment: string;
  readonly canaryVersion?: string;
  readonly stableVersion?: string;
  /** Time the gate may spend before answering (below the hook timeout). */
  readonly budgetMs: number;
  /** Everything that changes a verdict, as one string (part of the cache key). */
  readonly fingerprint: string;
}

/**
 * A bad field of a webhook payload or its metadata: bad input (400, exit 2). The problem answer
 * carries `field` and, when known, `allowed` as members (`details`).
 */
export class FieldError extends AgentCanaryError {
  readonly details: { readonly field: string; readonly allowed?: string };

  constructor(
    readonly field: string,
    message: string,
    readonly allowed?: string,
  ) {
    super('bad-request', message);
    this.details = { field, ...(allowed ? { allowed } : {}) };
  }
}

type Meta = Readonly<Record<string, string>>;

function bad(key: string, value: string, allowed: string, fix: string): FieldError {
  return new FieldError(
    `metadata.${key}`,
    `metadata.${key}: invalid value ${JSON.stringify(value)} (allowed: ${allowed}). Fix: ${fix}`,
    allowed,
  );
}

function num(meta: Meta, key: string, fallback: number, min: number, integer = false): number {
  const raw = meta[key];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) {
    throw bad(
      key,
      raw,
      `${integer ? 'an integer' : 'a number'}${Number.isFinite(min) ? ` >= ${min}` : ''}`,
      `write it as a plain decimal string, e.g. "${fallback}".`,
    );
  }
  return n;
}

function oneOf<T extends string>(meta: Meta, key: string, allowed: readonly T[], fallback: T): T {
  const raw = meta[key];
  if (raw === undefined || raw === '') return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw bad(key, raw, allowed.join(' | '), `use one of ${allowed.join(', ')}.`);
  return raw as T;
}

function duration(meta: Meta, key: string, fallback: number): number {
  const raw = meta[key];
  if (raw === undefined || raw === '') return fallback;
  const ms = parseDuration(raw);
  if (ms === null)
    throw bad(key, raw, 'a duration such as 30s or 5m', 'write seconds or minutes, e.g. "60s".');
  return ms;
}

function alpha(meta: Meta, fallback: number): number {
  const a = num(meta, 'alpha', fallback, 0);
  if (a <= 0 || a > 0.5)
    throw bad('alpha', meta.alpha ?? '', 'a significance level in (0, 0.5]', 'write e.g. "0.05".');
  return a;
}

const TAG_VALUE = /^[\w.:+@/-]{1,250}$/;

function tagValue(meta: Meta, key: string): string | undefined {
  const raw = meta[key];
  if (raw === undefined || raw === '') return undefined;
  if (!TAG_VALUE.test(raw))
    throw bad(
      key,
      raw,
      'letters, digits and . _ : + @ / - (1..250 characters)',
      'use the version string exactly as the evaluation logs it.',
    );
  return raw;
}

/** Longest experiment template and resolved experiment name (MLflow's own limit is 500 characters). */
export const MAX_EXPERIMENT_LENGTH = 500;
/** Longest verdict cache lifetime a hook may ask for: a verdict older than this is read again. */
export const MAX_CACHE_TTL_MS = 10 * 60_000;
/** Most metrics one hook may list. */
export const MAX_METRICS = 50;

// After the key and its operator: a threshold or * (none), then an optional regression bound,
// @5% (relative to stable) or @0.02 (absolute, in the metric's unit). The item is split at the
// operator first, so no pattern can backtrack over a long key.
const METRIC_TAIL =
  /^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|\*)(?:@(\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)(%)?)?$/;
const METRIC_KEY = /^[^<>=@,*]+$/;

/** `safety/mean>=0.8,latency/mean<=*@10%,toxicity/mean<=0.1@0.02` -> GateMetric[]. */
export function parseMetricList(raw: string, field = 'metadata.metrics'): GateMetric[] {
  if (!raw.trim()) return [];
  // Bounded input: metadata values are short; a huge list is a mistake, not a policy.
  if (raw.length > 4096)
    throw new FieldError(
      field,
      `${field}: ${raw.length} characters (at most 4096). Fix: list fewer metrics.`,
      'at most 4096 characters',
    );
  const items = raw.split(',');
  if (items.length > MAX_METRICS) {
    throw new FieldError(
      field,
      `${field}: ${items.length} metrics listed (allowed: at most ${MAX_METRICS}). Fix: list the metrics that decide the canary.`,
      `at most ${MAX_METRICS} items`,
    );
  }
  return items.map((item, i) => {
    const at = item.search(/[<>]=/);
    const key = at > 0 ? item.slice(0, at).trim() : '';
    const m =
      key && METRIC_KEY.test(key) ? METRIC_TAIL.exec(item.slice(at + 2).replace(/\s+/g, '')) : null;
    if (!m) {
      throw new FieldError(
        field,
        `${field}: item ${i + 1} ${JSON.stringify(item.trim().slice(0, 80))} is not 'key>=n', 'key<=n' or 'key<=*', optionally followed by '@bound' or '@bound%'. Fix: write e.g. "safety/mean>=0.8,latency/mean<=*@10%".`,
        'key>=n | key<=n | key<=* [@n | @n%], comma-separated',
      );
    }
    const out: { -readonly [K in keyof GateMetric]: GateMetric[K] } = {
      key,
      direction: item[at] === '>' ? 'higher' : 'lower',
    };
    if (m[1] !== '*') out.threshold = Number(m[1]);
    if (m[2] !== undefined) {
      out.maxRegression = m[3] ? Number(m[2]) / 100 : Number(m[2]);
      out.regression = m[3] ? 'relative' : 'absolute';
    }
    return out;
  });
}

/** The direction of a metric: as configured, else by its name (toxicity, latency, ... are lower-is-better). */
export function directionOf(m: {
  key: string;
  direction?: 'higher' | 'lower';
}): 'higher' | 'lower' {
  return m.direction ?? defaultDirection(m.key);
}

/** The time the gate allows itself: the hook timeout (max Flagger's 10 s) minus a margin for the network and Flagger. */
export function budgetFor(timeoutMs: number): number {
  const t = Math.min(timeoutMs, FLAGGER_DEFAULT_TIMEOUT_MS);
  return Math.max(100, t - Math.max(250, t * 0.1));
}

export function resolveSettings(
  meta: Meta,
  names: { name: string; namespace: string },
  defaults: GateDefaults = DEFAULTS,
): QualitySettings {
  const agent = meta.agent && meta.agent.trim() ? meta.agent.trim() : names.name;
  // The agent slug names an experiment and a label: a DNS-1123 label, like the fleet's names.
  if (
    meta.agent !== undefined &&
    meta.agent.trim() !== '' &&
    (agent.length > 63 || !DNS1123_LABEL_RE.test(agent))
  ) {
    throw bad(
      'agent',
      agent.slice(0, 100),
      'a DNS-1123 label (lowercase letters, digits, -; at most 63)',
      "use the agent's slug as the fleet names it.",
    );
  }
  const template =
    meta.experiment && meta.experiment.trim() ? meta.experiment.trim() : defaults.experiment;
  if (template.length > MAX_EXPERIMENT_LENGTH) {
    throw bad(
      'experiment',
      `${template.slice(0, 100)}...`,
      `a template of at most ${MAX_EXPERIMENT_LENGTH} characters`,
      'use e.g. "recif/agents/{name}".',
    );
  }
  const experiment = template
    .replace(/\{name\}/g, agent)
    .replace(/\{namespace\}/g, names.namespace);
  if (experiment.length > MAX_EXPERIMENT_LENGTH) {
    throw bad(
      'experiment',
      `${template.slice(0, 100)}`,
      `a template whose result has at most ${MAX_EXPERIMENT_LENGTH} characters`,
      'use {name} and {namespace} once each.',
    );
  }
  const cacheTtlMs = duration(meta, 'cacheTtl', defaults.cacheTtlMs);
  if (cacheTtlMs > MAX_CACHE_TTL_MS) {
    throw bad(
      'cacheTtl',
      meta.cacheTtl ?? '',
      `a duration up to ${MAX_CACHE_TTL_MS / 60_000}m`,
      'use e.g. "60s"; a verdict is read again from MLflow after at most 10m.',
    );
  }
  const timeoutMs = duration(meta, 'timeout', defaults.timeoutMs);
  if (timeoutMs <= 0)
    throw bad(
      'timeout',
      meta.timeout ?? '',
      'a positive duration',
      'set the hook timeout, e.g. "8s".',
    );
  const versionTag = meta.versionTag?.trim() || defaults.versionTag;
  const checksumTag = meta.checksumTag?.trim() || defaults.checksumTag;
  for (const [k, v] of [
    ['versionTag', versionTag],
    ['checksumTag', checksumTag],
  ] as const) {
    if (v.includes('`'))
      throw bad(k, v, 'a run tag key without backticks', 'use the tag key as MLflow shows it.');
  }
  const resolved: Omit<QualitySettings, 'fingerprint'> = {
    agent,
    experiment,
    mode: oneOf(meta, 'mode', ['strict', 'recif'] as const, defaults.mode),
    passThreshold: num(meta, 'passThreshold', defaults.passThreshold, -Infinity),
    metrics: meta.metrics === undefined ? defaults.metrics : parseMetricList(meta.metrics),
    maxRegression: num(meta, 'maxRegression', defaults.maxRegression, 0),
    regression: oneOf(meta, 'regression', ['relative', 'absolute'] as const, defaults.regression),
    alpha: alpha(meta, defaults.alpha),
    modelName: (meta.modelName?.trim() || defaults.modelName)
      .replace(/\{name\}/g, agent)
      .replace(/\{namespace\}/g, names.namespace),
    minSamples: num(meta, 'minSamples', defaults.minSamples, 0, true),
    onUnavailable: oneOf(
      meta,
      'onUnavailable',
      ['approve', 'reject'] as const,
      defaults.onUnavailable,
    ),
    versionTag,
    checksumTag,
    samplesKey: meta.samplesKey?.trim() || defaults.samplesKey,
    canaryVersion: tagValue(meta, 'canaryVersion'),
    stableVersion: tagValue(meta, 'stableVersion'),
    cacheTtlMs,
    timeoutMs,
    budgetMs: budgetFor(timeoutMs),
  };
  return { ...resolved, fingerprint: fingerprint(resolved) };
}

/**
 * A stable string of everything that changes a verdict or how long it is kept (part of the cache
 * key): a caller whose metadata differs from Flagger's gets its own entry and can neither steer
 * nor pin the verdict Flagger's calls get (`onUnavailable` decides a verdict, `cacheTtl` how long
 * a cached one is reused).
 */
export function fingerprint(s: Omit<QualitySettings, 'fingerprint'>): string {
  return JSON.stringify([
    s.mode,
    s.experiment,
    s.passThreshold,
    s.metrics,
    s.maxRegression,
    s.regression,
    s.alpha,
    s.modelName,
    s.minSamples,
    s.versionTag,
    s.checksumTag,
    s.samplesKey,
    s.canaryVersion,
    s.stableVersion,
    s.onUnavailable,
    s.cacheTtlMs,
  ]);
}
