/**
 * The two decision rules, as pure functions over what was read from MLflow.
 *
 * Recif mode reproduces `checkMLflowQualityGate`: newest FINISHED run of the experiment, mean of
 * all its metrics >= passThreshold, approve when anything is missing.
 *
 * Strict mode (the default) closes Recif's bypasses: each metric against its own threshold (one
 * bad metric fails even when the mean passes), only runs of the canary revision count, the
 * canary is compared with stable, too few samples fail, and "no data" is not a pass.
 */
import type { Run } from './mlflow/types.js';
import type { QualitySettings } from './settings.js';
import { defaultJudgedKeys, resolveMetric } from './metric-names.js';
import { score2, type MetricCheck, type Verdict } from './verdict.js';

export const RECIF_UNAVAILABLE_MESSAGE = 'Quality gate passed (MLflow unavailable, default approve)';

function metricMap(run: Run): Map<string, number> {
  return new Map((run.data.metrics ?? []).map((m) => [m.key, m.value]));
}

function tag(run: Run, key: string): string | undefined {
  return run.data.tags?.find((t) => t.key === key)?.value;
}

/** Recif: the newest FINISHED run, whatever revision it belongs to. `runs` is newest first. */
export function decideRecif(s: QualitySettings, runs: readonly Run[] | null): Verdict {
  const base = { mode: 'recif' as const, experiment: s.experiment };
  const run = runs?.[0];
  if (!run) {
    return { ...base, passed: true, outcome: 'no-data', message: RECIF_UNAVAILABLE_MESSAGE, metrics: [], reasons: [runs ? 'no FINISHED run' : 'experiment not found'] };
  }
  // Recif averages every metric. Non-finite values ("NaN") are left out of the mean: Recif's Go
  // decoder fails on them and approves; we judge the numbers that exist (docs/gate.md).
  const all = [...metricMap(run)];
  const finite = all.filter(([, v]) => Number.isFinite(v));
  const score = finite.length === 0 ? 0 : finite.reduce((a, [, v]) => a + v, 0) / finite.length;
  const passed = score >= s.passThreshold;
  const metrics: MetricCheck[] = all.map(([key, v]) => ({
    key, mlflowKey: key, direction: 'higher', threshold: s.passThreshold,
    value: Number.isFinite(v) ? v : null, passed: true, reason: Number.isFinite(v) ? undefined : `not a number (${v}); left out of the mean`,
  }));
  return {
    ...base,
    passed,
    outcome: passed ? 'pass' : 'fail',
    message: `Quality gate ${passed ? 'passed' : 'failed'} (score=${score2(score)})`,
    score,
    runs: { canary: run.info.run_id },
    metrics,
    reasons: passed ? [] : [`mean of ${finite.length} metrics ${score2(score)} < ${s.passThreshold}`],
  };
}

export interface RevisionIds {
  readonly checksum?: string;
}

/** A run of the canary revision: tagged with Flagger's checksum, or with the canary version. */
export function isCanaryRun(run: Run, s: QualitySettings, rev: RevisionIds): boolean {
  if (rev.checksum && tag(run, s.checksumTag) === rev.checksum) return true;
  // When canary and stable share a version string only the checksum tells them apart.
  return s.canaryVersion !== undefined && s.canaryVersion !== s.stableVersion && tag(run, s.versionTag) === s.canaryVersion;
}

export function isStableRun(run: Run, s: QualitySettings, rev: RevisionIds): boolean {
  return s.stableVersion !== undefined && tag(run, s.versionTag) === s.stableVersion && !isCanaryRun(run, s, rev);
}

function noData(s: QualitySettings, reason: string, extra: Partial<Verdict> = {}): Verdict {
  return {
    mode: 'strict', experiment: s.experiment, passed: false, outcome: 'no-data',
    message: `Quality gate failed (no data): ${reason}`, metrics: [], reasons: [reason], ...extra,
  };
}

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined ? 'missing' : Number.isFinite(n) ? String(Math.round(n * 10000) / 10000) : String(n);
}

/** Strict: `runs` are FINISHED runs of the experiment, newest first; `null` = no experiment. */
export function decideStrict(s: QualitySettings, runs: readonly Run[] | null, rev: RevisionIds): Verdict {
  if (runs === null) return noData(s, `experiment '${s.experiment}' not found in MLflow`);
  if (!rev.checksum && s.canaryVersion === undefined) {
    return noData(s, `cannot tell the canary's runs apart: the payload has no checksum and metadata.canaryVersion is not set`);
  }
  const canary = runs.find((r) => isCanaryRun(r, s, rev));
  const ids = [rev.checksum ? `${s.checksumTag}=${rev.checksum}` : '', s.canaryVersion !== undefined ? `${s.versionTag}=${s.canaryVersion}` : ''].filter(Boolean).join(' or ');
  if (!canary) {
    return noData(s, `no FINISHED run tagged ${ids} in experiment '${s.experiment}' (${runs.length} other runs ignored)`);
  }
  const stable = runs.find((r) => isStableRun(r, s, rev));
  const cm = metricMap(canary);
  const sm = stable ? metricMap(stable) : undefined;
  const reasons: string[] = [];

  const samplesKey = resolveMetric(s.samplesKey, cm.keys());
  const samples = samplesKey !== undefined ? cm.get(samplesKey) : undefined;
  if (s.minSamples > 0 && !(samples !== undefined && Number.isFinite(samples) && samples >= s.minSamples)) {
    reasons.push(samples === undefined ? `canary run reports no sample count (metric '${s.samplesKey}'; need >= ${s.minSamples})` : `only ${fmt(samples)} samples evaluated (need >= ${s.minSamples})`);
  }

  const wanted = s.metrics.length > 0
    ? s.metrics.map((m) => ({ key: m.key, direction: m.direction ?? 'higher', threshold: m.threshold }))
    : defaultJudgedKeys(cm.keys(), s.samplesKey).map((key) => ({ key, direction: 'higher' as const, threshold: s.passThreshold }));
  if (wanted.length === 0) {
    return noData(s, `canary run ${canary.info.run_id} has no evaluation metrics`, { runs: { canary: canary.info.run_id, stable: stable?.info.run_id } });
  }

  const checks: MetricCheck[] = wanted.map((w) => {
    const key = resolveMetric(w.key, cm.keys());
    const raw = key !== undefined ? cm.get(key)! : undefined;
    const value = raw !== undefined && Number.isFinite(raw) ? raw : null;
    const stableKey = sm ? resolveMetric(w.key, sm.keys()) : undefined;
    const stableRaw = sm && stableKey !== undefined ? sm.get(stableKey)! : undefined;
    const stableValue = sm ? (stableRaw !== undefined && Number.isFinite(stableRaw) ? stableRaw : null) : undefined;
    const base = { key: w.key, mlflowKey: key, direction: w.direction, threshold: w.threshold, value, stable: stableValue };
    if (value === null) {
      const reason = key === undefined ? `${w.key} missing from the canary run` : `${w.key} is not a number (${raw})`;
      return { ...base, passed: false, reason };
    }
    const meets = w.direction === 'higher' ? value >= w.threshold : value <= w.threshold;
    if (!meets) return { ...base, passed: false, reason: `${w.key}=${fmt(value)} ${w.direction === 'higher' ? '<' : '>'} ${w.threshold}` };
    if (stableValue !== undefined && stableValue !== null) {
      const drop = w.direction === 'higher' ? stableValue - value : value - stableValue;
      if (drop > s.maxRegression + 1e-12) {
        return { ...base, passed: false, reason: `${w.key}=${fmt(value)} regressed by ${fmt(drop)} vs stable ${fmt(stableValue)} (max ${s.maxRegression})` };
      }
    }
    return { ...base, passed: true };
  });
  for (const c of checks) if (!c.passed && c.reason) reasons.push(c.reason);
  const higher = checks.filter((c) => c.direction === 'higher' && c.value !== null);
  const score = higher.length > 0 ? higher.reduce((a, c) => a + c.value!, 0) / higher.length : checks.filter((c) => c.passed).length / checks.length;
  const passed = reasons.length === 0;
  const notes = !stable && s.stableVersion !== undefined ? [`no stable run tagged ${s.versionTag}=${s.stableVersion}; comparison with stable skipped`] : [];
  return {
    mode: 'strict',
    experiment: s.experiment,
    passed,
    outcome: passed ? 'pass' : 'fail',
    message: `Quality gate ${passed ? 'passed' : 'failed'} (score=${score2(score)})${passed ? '' : `: ${reasons.join('; ')}`}`,
    score,
    runs: { canary: canary.info.run_id, stable: stable?.info.run_id },
    samples: samples !== undefined && Number.isFinite(samples) ? samples : undefined,
    metrics: checks,
    reasons,
    notes,
  };
}
