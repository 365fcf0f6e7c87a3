/**
 * One name per evaluation metric, whichever MLflow wrote it:
 *
 *   MLflow 2.x `mlflow.evaluate`:        `<name>/v<N>/<aggregation>`   e.g. `toxicity/v1/mean`
 *                                        `<name>/v<N>` when the aggregate is the metric itself
 *   MLflow 3.x `mlflow.genai.evaluate`:  `<scorer>/<aggregation>`      e.g. `safety/mean`
 *
 * The canonical form drops the `/v<N>` version segment and lower-cases the key, so
 * `Safety/v1/mean`, `safety/v1/mean` and `safety/mean` are the same metric, and a bare name
 * (`safety`) stands for its `mean` aggregate. Different judges are NOT aliased
 * (`relevance/v1/mean` is not `relevance_to_query/mean`): a configured metric that matches
 * nothing fails the gate instead of being skipped silently.
 */
export const AGGREGATIONS = new Set([
  'mean',
  'variance',
  'p90',
  'p50',
  'p95',
  'p99',
  'median',
  'min',
  'max',
  'sum',
  'ratio',
  'std',
  'count',
]);

export function canonicalMetric(key: string): string {
  const parts = key
    .trim()
    .toLowerCase()
    .split('/')
    .filter((p) => p !== '' && !/^v\d+$/.test(p));
  return parts.join('/');
}

/** The aggregation of a canonical key (`mean` for `safety/mean`), or undefined for a bare name. */
export function aggregationOf(canonical: string): string | undefined {
  const last = canonical.split('/').pop()!;
  return canonical.includes('/') && AGGREGATIONS.has(last) ? last : undefined;
}

/**
 * Finds the metric a configured key means: an exact key first, then the canonical form, then a
 * bare name's `mean` aggregate. Returns the key as MLflow wrote it.
 */
export function resolveMetric(wanted: string, available: Iterable<string>): string | undefined {
  const keys = [...available];
  if (keys.includes(wanted)) return wanted;
  const canon = canonicalMetric(wanted);
  const byCanon = keys.find((k) => canonicalMetric(k) === canon);
  if (byCanon) return byCanon;
  if (aggregationOf(canon) === undefined)
    return keys.find((k) => canonicalMetric(k) === `${canon}/mean`);
  return undefined;
}

/**
 * Metrics judged when the policy lists none: every quality score, i.e. keys whose aggregation is
 * `mean` or that have no aggregation, minus the sample counter. Variances and percentiles are
 * spreads, not scores, and would fail any threshold meant for a mean.
 */
export function defaultJudgedKeys(keys: Iterable<string>, samplesKey: string): string[] {
  const samples = canonicalMetric(samplesKey);
  return [...keys]
    .filter((k) => {
      const c = canonicalMetric(k);
      if (c === samples) return false;
      const agg = aggregationOf(c);
      return agg === undefined || agg === 'mean';
    })
    .sort();
}
