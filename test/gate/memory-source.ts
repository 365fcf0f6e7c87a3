/** An MlflowSource over runs held in memory (no models, no traces), for the pure decision tests. */
import type { MlflowSource, Run } from '../../src/mlflow/types.js';
import {
  searchInMemory,
  searchModelsInMemory,
  searchTracesInMemory,
} from '../../src/mlflow/search.js';
import { EvaluationFinder } from '../../src/gate/evaluation.js';
import { decideStrict, type RevisionIds } from '../../src/gate/decide.js';
import type { QualitySettings } from '../../src/gate/settings.js';
import type { Verdict } from '../../src/gate/verdict.js';

export function memorySource(runs: readonly Run[]): MlflowSource {
  return {
    kind: 'file',
    location: 'memory',
    getExperimentByName: async (name) => ({ experiment_id: '1', name, lifecycle_stage: 'active' }),
    searchRuns: async (req) => searchInMemory(runs, req),
    searchLoggedModels: async (req) => searchModelsInMemory([], req),
    searchTraces: async (req) => searchTracesInMemory([], req),
    ping: async () => undefined,
    close: async () => undefined,
  };
}

/** What the engine does in strict mode: find the evaluations, then the one decision. */
export async function judgeRuns(
  s: QualitySettings,
  runs: readonly Run[],
  rev: RevisionIds,
): Promise<Verdict> {
  return decideStrict(
    s,
    await new EvaluationFinder(memorySource(runs)).find('1', s, rev.checksum),
    rev,
  );
}
