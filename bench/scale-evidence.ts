/**
 * What the guard of a weight increase needs in bench/scale.ts, kept local so the measured change
 * pays no network latency: an `mlflow.db` (the stand-in's SQLite writer, the shapes
 * `mlflow.genai.evaluate()` leaves) with a passing evaluation of the stable and the canary
 * version of each agent whose weight the bench raises. The step's hold is over because the
 * repository's seed commit is dated an hour back (bench/scale.ts). The guard runs in full: the
 * hold from the history, the quality gate from this store; nothing is forced.
 */
import { buildSqliteStore } from '../src/mlflow-standin/build.js';
import { genaiEvaluation } from '../src/mlflow-standin/writer.js';

/** n booleans of which round(n * rate) are true, spread evenly. */
function rows(n: number, rate: number): boolean[] {
  return Array.from({ length: n }, (_, i) => Math.floor((i + 1) * rate) > Math.floor(i * rate));
}

/** One evaluated version: Recif's LoggedModel name `<agent>-v<version>`. */
export interface Evaluated {
  readonly name: string;
  readonly stableVersion: string;
  readonly canaryVersion: string;
}

/** Writes `path` (SQLite) with a stable and a slightly better canary evaluation per agent. */
export function writeGuardEvidence(path: string, agents: readonly Evaluated[]): void {
  buildSqliteStore(
    path,
    agents.map((a) => ({
      name: `recif/agents/${a.name}`,
      runs: [
        genaiEvaluation(
          `${a.name}-v${a.stableVersion}`,
          { safety: rows(120, 0.97), correctness: rows(120, 0.8) },
          { name: `${a.name}-v${a.stableVersion}-eval` },
        ),
        genaiEvaluation(
          `${a.name}-v${a.canaryVersion}`,
          { safety: rows(120, 0.98), correctness: rows(120, 0.81) },
          { name: `${a.name}-v${a.canaryVersion}-eval` },
        ),
      ],
    })),
  );
}
