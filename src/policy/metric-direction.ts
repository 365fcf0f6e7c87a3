/**
 * Which way is better for an evaluation metric when the policy does not say. MLflow's built-in
 * metrics declare `greater_is_better` (`mlflow/metrics/__init__.py`): toxicity and the reading
 * grade levels are lower-is-better, and so are latency, token counts and cost, which scorers and
 * judges report as plain numbers. Everything else (judge scores, pass rates) is higher-is-better.
 */
export type Direction = 'higher' | 'lower';

/** Name parts (of the metric's base name, lower-cased) that mean "lower is better". */
const LOWER_IS_BETTER = [
  /toxicity/,
  /grade_level/,
  /latency/,
  /duration/,
  /execution_time/,
  /(^|_)time_ms$/,
  /token/,
  /cost/,
  /price/,
  /error_rate/,
  /perplexity/,
];

/** The base name of a metric key: `toxicity/v1/mean` -> `toxicity`, `latency/p90` -> `latency`. */
export function metricBaseName(key: string): string {
  return key.trim().toLowerCase().split('/')[0] ?? '';
}

export function defaultDirection(key: string): Direction {
  const base = metricBaseName(key);
  return LOWER_IS_BETTER.some((re) => re.test(base)) ? 'lower' : 'higher';
}
