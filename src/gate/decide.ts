/**
 * The two decision rules, as pure functions over what was read from MLflow.
 *
 * Recif mode reproduces `checkMLflowQualityGate`: newest FINISHED run of the experiment, mean of
 * all its metrics >= passThreshold, approve when anything is missing.
 *
 * Strict mode (the default) closes Recif's bypasses: each metric against its own threshold (one
 * bad metric fails even when the mean passes), only evaluations of the canary revision count,
 * the canary is compared with stable (statistically when per-row assessments exist), too few
 * samples give no verdict, and "no data" is not a pass.
 */
import type { Run } from '../mlflow/types.js';
import { directionOf, type QualitySettings } from './settings.js';
import { canonicalMetric, defaultJudgedKeys, resolveMetric } from './metric-names.js';
import { score2, type FoundEvaluation, type MetricCheck, type Verdict } from './verdict.js';
import type { Evaluation, Evidence } from './evaluation.js';
import { compareSamples } from './stats.js';
import { metricBaseName } from '../policy/metric-direction.js';

export const RECIF_UNAVAILABLE_MESSAGE =
  'Quality gate passed (MLflow unavailable, default approve)';

function metricMap(run: Run): Map<string, number> {
  return new Map((run.data.metrics ?? []).map((m) => [m.key, m.value]));
}

/** Recif: the newest FINISHED run, whatever revision it belongs to. `runs` is newest first. */
export function decideRecif(s: QualitySettings, runs: readonly Run[] | null): Verdict {
  const base = { mode: 'recif' as const, experiment: s.experiment };
  const run = runs?.[0];
  if (!run) {
    return {
      ...base,
      passed: true,
      outcome: 'no-data',
      message: RECIF_UNAVAILABLE_MESSAGE,
      metrics: [],
      reasons: [runs ? 'no FINISHED run' : 'experiment not found'],
    };
  }
  // Recif averages every metric. Non-finite values ("NaN") are left out of the mean: Recif's Go
  // decoder fails on them and approves; we judge the numbers that exist (docs/gate.md).
  const all = [...metricMap(run)];
  const finite = all.filter(([, v]) => Number.isFinite(v));
  const score = finite.length === 0 ? 0 : finite.reduce((a, [, v]) => a + v, 0) / finite.length;
  const passed = score >= s.passThreshold;
  const metrics: MetricCheck[] = all.map(([key, v]) => ({
    key,
    mlflowKey: key,
    direction: 'higher',
    threshold: s.passThreshold,
    value: Number.isFinite(v) ? v : null,
    passed: true,
    reason: Number.isFinite(v) ? undefined : `not a number (${v}); left out of the mean`,
  }));
  return {
    ...base,
    passed,
    outcome: passed ? 'pass' : 'fail',
    message: `Quality gate ${passed ? 'passed' : 'failed'} (score=${score2(score)})`,
    score,
    runs: { canary: run.info.run_id },
    metrics,
    reasons: passed
      ? []
      : [`mean of ${finite.length} metrics ${score2(score)} < ${s.passThreshold}`],
  };
}

export interface RevisionIds {
  readonly checksum?: string;
}

function noData(s: QualitySettings, reason: string, extra: Partial<Verdict> = {}): Verdict {
  return {
    mode: 'strict',
    experiment: s.experiment,
    passed: false,
    outcome: 'no-data',
    message: `Quality gate failed (no data): ${reason}`,
    metrics: [],
    reasons: [reason],
    ...extra,
  };
}

function fmt(n: number | null | undefined): string {
  return n === null || n === undefined
    ? 'missing'
    : Number.isFinite(n)
      ? String(Math.round(n * 10000) / 10000)
      : String(n);
}

/** The normal approximation is good to about 1e-7: smaller p-values are printed as a bound. */
function pfmt(p: number): string {
  return p < 1e-7
    ? '<1e-7'
    : p < 0.0001
      ? p.toExponential(1)
      : String(Math.round(p * 10000) / 10000);
}

function found(e: Evaluation | null | undefined): FoundEvaluation | undefined {
  if (!e) return undefined;
  return {
    run: e.run.info.run_id,
    via: e.via,
    model: e.modelId,
    samples: e.samples?.n,
    samplesFrom: e.samples?.from,
  };
}

/** The per-row values of a metric: the assessment named like the metric's base name. */
function rowsFor(e: Evaluation, key: string): readonly number[] | undefined {
  return e.rows.get(metricBaseName(canonicalMetric(key)));
}

/**
 * Strict mode, the one decision every caller uses (webhook, `validate --gate`, the autopilot).
 * `evidence` is what `EvaluationFinder` read; `null` = the experiment does not exist.
 */
export function decideStrict(
  s: QualitySettings,
  evidence: Evidence | null,
  rev: RevisionIds,
): Verdict {
  if (evidence === null) return noData(s, `experiment '${s.experiment}' not found in MLflow`);
  if (!rev.checksum && s.canaryVersion === undefined) {
    return noData(
      s,
      `cannot tell the canary's runs apart: the payload has no checksum and metadata.canaryVersion is not set`,
    );
  }
  const canary = evidence.canary.evaluation;
  if (!canary) {
    const unfinished = evidence.canary.unfinished;
    if (unfinished.length > 0) {
      const list = unfinished
        .slice(0, 3)
        .map((r) => `${r.info.run_id} (${r.info.status})`)
        .join(', ');
      return noData(
        s,
        `the canary's evaluation has not finished: only unfinished runs ${list} for ${evidence.canary.lookedFor} in experiment '${s.experiment}'`,
      );
    }
    return noData(
      s,
      `no evaluation of the canary: nothing found for ${evidence.canary.lookedFor} in experiment '${s.experiment}'`,
    );
  }
  const stable = evidence.stable?.evaluation ?? undefined;
  const evaluations = { canary: found(canary), stable: found(stable) };
  const runs = { canary: canary.run.info.run_id, stable: stable?.run.info.run_id };
  const notes: string[] = [...canary.notes, ...(stable?.notes ?? [])];

  const samples = canary.samples;
  if (s.minSamples > 0) {
    if (!samples) {
      return noData(
        s,
        `the canary's evaluation (run ${runs.canary}, ${canary.via}) says how many rows it evaluated nowhere (no dataset input with num_rows, no assessments, no '${s.samplesKey}' metric); need >= ${s.minSamples}`,
        { runs, evaluations, notes },
      );
    }
    if (!(samples.n >= s.minSamples)) {
      return noData(
        s,
        `the canary's evaluation has only ${fmt(samples.n)} evaluated rows (${samples.from}, run ${runs.canary}); need >= ${s.minSamples}`,
        { runs, evaluations, samples: samples.n, notes },
      );
    }
  }

  const cm = canary.metrics;
  const sm = stable?.metrics;
  const samplesCanon = canonicalMetric(s.samplesKey);
  const wanted: {
    key: string;
    direction: 'higher' | 'lower';
    threshold?: number;
    maxRegression?: number;
    regression?: 'relative' | 'absolute';
  }[] =
    s.metrics.length > 0
      ? s.metrics.map((m) => ({ ...m, direction: directionOf(m) }))
      : defaultJudgedKeys(cm.keys(), s.samplesKey)
          .filter((key) => canonicalMetric(key) !== samplesCanon)
          .map((key) => {
            const direction = directionOf({ key });
            // A lower-is-better metric (latency, toxicity) has no natural bar: only stable bounds it.
            return {
              key,
              direction,
              threshold: direction === 'higher' ? s.passThreshold : undefined,
            };
          });
  if (wanted.length === 0) {
    return noData(s, `the canary's evaluation (run ${runs.canary}) has no evaluation metrics`, {
      runs,
      evaluations,
      notes,
    });
  }

  const checks: MetricCheck[] = wanted.map((w) => {
    const key = resolveMetric(w.key, cm.keys());
    const raw = key !== undefined ? cm.get(key)! : undefined;
    const value = raw !== undefined && Number.isFinite(raw) ? raw : null;
    const stableKey = sm ? resolveMetric(w.key, sm.keys()) : undefined;
    const stableRaw = sm && stableKey !== undefined ? sm.get(stableKey)! : undefined;
    const stableValue = sm
      ? stableRaw !== undefined && Number.isFinite(stableRaw)
        ? stableRaw
        : null
      : undefined;
    const bound = {
      maxRegression: w.maxRegression ?? s.maxRegression,
      regression: w.regression ?? s.regression,
    };
    const base = {
      key: w.key,
      mlflowKey: key,
      direction: w.direction,
      threshold: w.threshold,
      bound,
      value,
      stable: stableValue,
    };
    if (value === null) {
      const reason =
        key === undefined
          ? `${w.key} missing from the canary's evaluation`
          : `${w.key} is not a number (${raw})`;
      return { ...base, passed: false, reason };
    }
    const worse = w.direction === 'higher' ? '<' : '>';
    if (
      w.threshold !== undefined &&
      !(w.direction === 'higher' ? value >= w.threshold : value <= w.threshold)
    ) {
      return { ...base, passed: false, reason: `${w.key}=${fmt(value)} ${worse} ${w.threshold}` };
    }
    if (!stable) return { ...base, passed: true };
    const cRows = rowsFor(canary, w.key);
    const sRows = rowsFor(stable, w.key);
    if (cRows && sRows && cRows.length >= 2 && sRows.length >= 2) {
      const c = compareSamples(cRows, sRows, w.direction === 'higher' ? 'lower' : 'higher');
      const allowed =
        bound.regression === 'relative'
          ? bound.maxRegression * Math.abs(c.meanStable)
          : bound.maxRegression;
      const drop = w.direction === 'higher' ? -c.diff : c.diff;
      const test = {
        method: 'mann-whitney-u' as const,
        assessment: metricBaseName(canonicalMetric(w.key)),
        nCanary: c.nCanary,
        nStable: c.nStable,
        meanCanary: c.meanCanary,
        meanStable: c.meanStable,
        diff: c.diff,
        ci95: c.ci95,
        p: c.p,
        alpha: s.alpha,
        allowed,
      };
      const stats = `mean ${fmt(c.meanCanary)} vs stable ${fmt(c.meanStable)}, difference ${fmt(c.diff)} (95% CI ${fmt(c.ci95[0])}..${fmt(c.ci95[1])}), Mann-Whitney p=${pfmt(c.p)}, n=${c.nCanary}/${c.nStable}`;
      // Fail only when the regression is both larger than allowed and statistically significant.
      if (drop > allowed + 1e-12 && c.p < s.alpha) {
        return {
          ...base,
          passed: false,
          test,
          reason: `${w.key} regressed beyond ${fmt(allowed)}: ${stats} < alpha ${s.alpha}`,
        };
      }
      if (drop > allowed + 1e-12)
        notes.push(
          `${w.key}: ${stats}; a dip larger than ${fmt(allowed)} but not significant at alpha ${s.alpha}`,
        );
      return { ...base, passed: true, test };
    }
    if (stableValue === undefined || stableValue === null) {
      if (stableValue === null)
        notes.push(`${w.key}: stable's value is missing; comparison skipped`);
      return { ...base, passed: true };
    }
    const allowed =
      bound.regression === 'relative'
        ? bound.maxRegression * Math.abs(stableValue)
        : bound.maxRegression;
    const drop = w.direction === 'higher' ? stableValue - value : value - stableValue;
    if (drop > allowed + 1e-12) {
      const how =
        bound.regression === 'relative'
          ? `${fmt(bound.maxRegression * 100)}% of stable = ${fmt(allowed)}`
          : `${fmt(allowed)}`;
      return {
        ...base,
        passed: false,
        reason: `${w.key}=${fmt(value)} regressed by ${fmt(drop)} vs stable ${fmt(stableValue)} (max ${how})`,
      };
    }
    return { ...base, passed: true };
  });
  const reasons = checks.filter((c) => !c.passed && c.reason).map((c) => c.reason!);
  const higher = checks.filter((c) => c.direction === 'higher' && c.value !== null);
  const score =
    higher.length > 0
      ? higher.reduce((a, c) => a + c.value!, 0) / higher.length
      : checks.filter((c) => c.passed).length / checks.length;
  const passed = reasons.length === 0;
  if (!stable && s.stableVersion !== undefined) {
    const st = evidence.stable;
    notes.push(
      st && st.unfinished.length > 0
        ? `stable's evaluation has not finished (${st.unfinished
            .map((r) => `${r.info.run_id} ${r.info.status}`)
            .slice(0, 3)
            .join(', ')}); comparison with stable skipped`
        : `no evaluation of stable found (${st?.lookedFor ?? `version ${s.stableVersion}`}); comparison with stable skipped`,
    );
  }
  const tested = checks
    .filter((c) => c.test)
    .map(
      (c) =>
        `${c.key}: ${fmt(c.test!.diff)} (p=${pfmt(c.test!.p)}, n=${c.test!.nCanary}/${c.test!.nStable})`,
    );
  const tail = passed
    ? tested.length
      ? `; compared with stable: ${tested.join('; ')}`
      : ''
    : `: ${reasons.join('; ')}`;
  return {
    mode: 'strict',
    experiment: s.experiment,
    passed,
    outcome: passed ? 'pass' : 'fail',
    message: `Quality gate ${passed ? 'passed' : 'failed'} (score=${score2(score)})${tail}`,
    score,
    runs,
    evaluations,
    samples: samples?.n,
    metrics: checks,
    reasons,
    notes,
  };
}
