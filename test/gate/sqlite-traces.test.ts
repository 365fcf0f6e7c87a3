/**
 * The evaluation's traces read from `mlflow.db` by their source run: the trace rows are
 * selected once (experiment index + the metadata's (key, request_id) key) and each child table
 * is read by the selected ids. These cases prove the selection keeps its meaning: only the
 * named run's traces of the named experiment, each with its own metadata, tags and scores,
 * the same as `mlruns/` answers for the same data.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildFileStore, buildSqliteStore } from '../../src/mlflow-standin/build.js';
import { genaiEvaluation, type SeedExperiment } from '../../src/mlflow-standin/writer.js';
import { SqliteStore } from '../../src/mlflow/sqlite-store.js';
import { FileStore } from '../../src/mlflow/file-store.js';
import type { TraceInfo } from '../../src/mlflow/types.js';
import { tempDir } from './helpers.js';

const rows = (n: number, yes: number) => Array.from({ length: n }, (_, i) => i < yes);

/** Two agents, two evaluated versions each: four runs whose traces share one metadata key. */
const DATA: SeedExperiment[] = ['alpha', 'beta'].map((agent, k) => ({
  name: `recif/agents/${agent}`,
  runs: [
    genaiEvaluation(`${agent}-v1`, { safety: rows(6 + k, 3) }),
    genaiEvaluation(`${agent}-v2`, { safety: rows(4 + k, 4), correctness: rows(4 + k, 1) }),
  ],
}));

/** What the gate reads of a trace, in a stable order (ids differ between stores). */
function shape(traces: readonly TraceInfo[]) {
  return traces
    .map((t) => ({
      run: t.metadata?.['mlflow.sourceRun'] === undefined ? 'none' : 'run',
      state: t.state,
      scores: (t.assessments ?? [])
        .map((a) => `${a.name}=${JSON.stringify(a.value)}`)
        .sort()
        .join(','),
    }))
    .sort((a, b) => a.scores.localeCompare(b.scores));
}

describe('mlflow.db traces by their evaluation run', () => {
  const tmp = tempDir('sqlite-traces-');
  let sqlite: SqliteStore;
  let files: FileStore;
  let runs: Record<string, readonly string[]>;
  let experiments: Record<string, string>;
  let fileIds: { runs: Record<string, readonly string[]>; experiments: Record<string, string> };

  beforeAll(() => {
    const seeded = buildSqliteStore(join(tmp.dir, 'mlflow.db'), DATA, 1_700_000_000_000);
    runs = { ...seeded.runs };
    experiments = { ...seeded.experiments };
    fileIds = buildFileStore(join(tmp.dir, 'mlruns'), DATA, 1_700_000_000_000);
    sqlite = new SqliteStore(join(tmp.dir, 'mlflow.db'));
    files = new FileStore(join(tmp.dir, 'mlruns'));
  });
  afterAll(async () => {
    await sqlite.close();
    tmp.cleanup();
  });

  const bySourceRun = (run: string) => `metadata.\`mlflow.sourceRun\` = '${run}'`;

  it("returns only the named run's traces, each with its own scores", async () => {
    const exp = experiments['recif/agents/beta']!;
    const [v1, v2] = runs['recif/agents/beta']!;
    const r1 = await sqlite.searchTraces({ experiment_ids: [exp], filter: bySourceRun(v1!) });
    const r2 = await sqlite.searchTraces({ experiment_ids: [exp], filter: bySourceRun(v2!) });
    expect(r1.traces).toHaveLength(7);
    expect(r2.traces).toHaveLength(5);
    for (const t of r1.traces) {
      expect(t.metadata?.['mlflow.sourceRun']).toBe(v1);
      expect(t.assessments?.map((a) => a.name)).toEqual(['safety']);
      expect(t.assessments?.every((a) => a.trace_id === t.trace_id)).toBe(true);
    }
    for (const t of r2.traces)
      expect(t.assessments?.map((a) => a.name).sort()).toEqual(['correctness', 'safety']);
    expect(r1.traces.filter((t) => t.assessments?.[0]?.value === true)).toHaveLength(3);
  });

  it('a run of another experiment names no trace of this one', async () => {
    const alpha = experiments['recif/agents/alpha']!;
    const [betaRun] = runs['recif/agents/beta']!;
    const r = await sqlite.searchTraces({ experiment_ids: [alpha], filter: bySourceRun(betaRun!) });
    expect(r.traces).toEqual([]);
  });

  it('answers what mlruns/ answers for the same evaluations', async () => {
    for (const name of Object.keys(experiments)) {
      for (let k = 0; k < 2; k++) {
        const a = await sqlite.searchTraces({
          experiment_ids: [experiments[name]!],
          filter: bySourceRun(runs[name]![k]!),
        });
        const b = await files.searchTraces({
          experiment_ids: [fileIds.experiments[name]!],
          filter: bySourceRun(fileIds.runs[name]![k]!),
        });
        expect(shape(a.traces)).toEqual(shape(b.traces));
        expect(a.traces.length).toBeGreaterThan(0);
      }
    }
  });
});
