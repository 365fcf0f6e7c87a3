/**
 * One-call builders for tests and the demo: a real `mlflow.db` or `mlruns/` folder holding the
 * given experiments and runs.
 */
import { SqliteWriter } from './sqlite-writer.js';
import { FileWriter } from './file-writer.js';
import { seed, type SeedExperiment, type SeedResult } from './writer.js';

export function buildSqliteStore(
  path: string,
  experiments: readonly SeedExperiment[],
  now?: number,
): SeedResult {
  const w = new SqliteWriter(path);
  try {
    return seed(w, experiments, now);
  } finally {
    w.close();
  }
}

export function buildFileStore(
  root: string,
  experiments: readonly SeedExperiment[],
  now?: number,
): SeedResult {
  return seed(new FileWriter(root), experiments, now);
}
