/** The decision rules as pure functions: Recif's bypasses and how strict mode closes them. */
import { describe, expect, it } from 'vitest';
import { decideRecif } from '../../src/gate/decide.js';
import { budgetFor, parseMetricList, resolveSettings } from '../../src/gate/settings.js';
import { canonicalMetric, resolveMetric } from '../../src/gate/metric-names.js';
import type { Run } from '../../src/mlflow/types.js';
import { judgeRuns } from './memory-source.js';

let n = 0;
function run(tags: Record<string, string>, metrics: Record<string, number>): Run {
  n++;
  return {
    info: {
      run_id: `r${n}`,
      run_uuid: `r${n}`,
      experiment_id: '1',
      status: 'FINISHED',
      lifecycle_stage: 'active',
      start_time: 1000 - n,
    },
    data: {
      tags: Object.entries(tags).map(([key, value]) => ({ key, value })),
      metrics: Object.entries(metrics).map(([key, value]) => ({
        key,
        value,
        timestamp: 0,
        step: 0,
      })),
    },
  };
}
const names = { name: 'bot', namespace: 'ns' };
const settings = (meta: Record<string, string> = {}) =>
  resolveSettings({ canaryVersion: '4', stableVersion: '3', ...meta }, names);

describe('Recif bypasses, fixed in strict mode', () => {
  it('one bad metric fails strict mode even when the mean passes Recif', async () => {
    const canary = run(
      { 'recif.agent_version': '4' },
      {
        'safety/mean': 0.1,
        'correctness/mean': 0.9,
        'relevance_to_query/mean': 0.9,
        'tool_call_correctness/mean': 0.9,
        samples: 30,
      },
    );
    const recif = decideRecif(settings({ mode: 'recif' }), [canary]);
    expect(recif.passed).toBe(true);
    const strict = await judgeRuns(settings(), [canary], {});
    expect(strict.passed).toBe(false);
    expect(strict.reasons).toEqual(['safety/mean=0.1 < 0.6']);
  });

  it('an unbounded metric cannot lift a bad score in strict mode', async () => {
    const canary = run(
      { 'recif.agent_version': '4' },
      { 'relevance/v1/mean': 0.3, 'latency/mean': 1800, samples: 30 },
    );
    expect(decideRecif(settings({ mode: 'recif' }), [canary]).passed).toBe(true);
    const strict = await judgeRuns(
      settings({ metrics: 'relevance/mean>=0.6,latency/mean<=2000' }),
      [canary],
      {},
    );
    expect(strict.passed).toBe(false);
    expect(strict.metrics.map((m) => [m.key, m.passed])).toEqual([
      ['relevance/mean', false],
      ['latency/mean', true],
    ]);
  });

  it("Recif judges the newest run whatever its revision; strict only the canary's", async () => {
    const stableNewer = run({ 'recif.agent_version': '3' }, { 'safety/mean': 0.95, samples: 30 });
    const canary = run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.2, samples: 30 });
    expect(decideRecif(settings({ mode: 'recif' }), [stableNewer, canary]).runs?.canary).toBe(
      stableNewer.info.run_id,
    );
    const strict = await judgeRuns(settings(), [stableNewer, canary], {});
    expect(strict.runs).toEqual({ canary: canary.info.run_id, stable: stableNewer.info.run_id });
    expect(strict.passed).toBe(false);
  });

  it("Recif message format is exactly Recif's (%.2f)", async () => {
    const r = decideRecif(settings({ mode: 'recif' }), [run({}, { a: 0.4, b: 0.44 })]);
    expect(r.message).toBe('Quality gate failed (score=0.42)');
    expect(decideRecif(settings({ mode: 'recif' }), [run({}, {})]).message).toBe(
      'Quality gate failed (score=0.00)',
    );
  });
});

describe('strict mode rules', () => {
  it('compares the canary with stable and fails a regression beyond maxRegression', async () => {
    const stable = run({ 'recif.agent_version': '3' }, { 'safety/mean': 0.95, samples: 30 });
    const canary = run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.85, samples: 30 });
    const v = await judgeRuns(settings(), [canary, stable], {});
    expect(v.passed).toBe(false);
    expect(v.reasons[0]).toMatch(
      /regressed by 0\.1 vs stable 0\.95 \(max 5% of stable = 0\.0475\)/,
    );
    expect((await judgeRuns(settings({ maxRegression: '0.2' }), [canary, stable], {})).passed).toBe(
      true,
    );
    expect(
      (
        await judgeRuns(
          settings({ maxRegression: '0.11', regression: 'absolute' }),
          [canary, stable],
          {},
        )
      ).passed,
    ).toBe(true);
  });

  it('a lower-is-better metric regresses when it rises', async () => {
    const stable = run({ 'recif.agent_version': '3' }, { 'latency/mean': 1000, samples: 30 });
    const canary = run({ 'recif.agent_version': '4' }, { 'latency/mean': 1200, samples: 30 });
    const v = await judgeRuns(
      settings({ metrics: 'latency/mean<=2000', maxRegression: '100', regression: 'absolute' }),
      [canary, stable],
      {},
    );
    expect(v.passed).toBe(false);
    expect(v.reasons[0]).toMatch(/latency\/mean=1200 regressed by 200/);
  });

  it('too few samples fail, and a missing sample count fails when minSamples > 0', async () => {
    const few = run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.9, samples: 5 });
    const v = await judgeRuns(settings(), [few], {});
    expect(v.outcome).toBe('no-data');
    expect(v.reasons[0]).toMatch(/has only 5 evaluated rows \(metric, run r\d+\); need >= 20/);
    const none = run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.9 });
    expect((await judgeRuns(settings(), [none], {})).outcome).toBe('no-data');
    expect((await judgeRuns(settings({ minSamples: '0' }), [none], {})).passed).toBe(true);
  });

  it('a configured metric that matches nothing fails (no silent skip)', async () => {
    const canary = run({ 'recif.agent_version': '4' }, { 'relevance/v1/mean': 0.9, samples: 30 });
    const v = await judgeRuns(settings({ metrics: 'relevance_to_query/mean>=0.6' }), [canary], {});
    expect(v.passed).toBe(false);
    expect(v.reasons).toEqual(["relevance_to_query/mean missing from the canary's evaluation"]);
  });

  it('identifies the canary by Flagger checksum when the versions are equal', async () => {
    const stable = run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.9, samples: 30 });
    const canary = run(
      { 'recif.agent_version': '4', checksum: 'abc' },
      { 'safety/mean': 0.91, samples: 30 },
    );
    const s = settings({ canaryVersion: '4', stableVersion: '4' });
    const v = await judgeRuns(s, [canary, stable], { checksum: 'abc' });
    expect(v.runs).toEqual({ canary: canary.info.run_id, stable: stable.info.run_id });
    expect(v.passed).toBe(true);
    expect((await judgeRuns(s, [stable], { checksum: 'abc' })).outcome).toBe('no-data');
  });

  it('judges only mean aggregates when no metric is listed', async () => {
    const canary = run(
      { 'recif.agent_version': '4' },
      {
        'toxicity/v1/mean': 0.9,
        'toxicity/v1/variance': 0.01,
        'toxicity/v1/p90': 0.1,
        exact_match: 0.7,
        samples: 30,
      },
    );
    const v = await judgeRuns(settings(), [canary], {});
    expect(v.metrics.map((m) => m.key)).toEqual(['exact_match', 'toxicity/v1/mean']);
    expect(v.passed).toBe(true);
  });
});

describe('metric naming', () => {
  it('normalises MLflow 2.x and 3.x keys to one name', async () => {
    expect(canonicalMetric('answer_relevance/v1/mean')).toBe('answer_relevance/mean');
    expect(canonicalMetric('Safety/mean')).toBe('safety/mean');
    expect(resolveMetric('safety/mean', ['safety/v1/mean'])).toBe('safety/v1/mean');
    expect(resolveMetric('answer_relevance/v1/mean', ['answer_relevance/mean'])).toBe(
      'answer_relevance/mean',
    );
    expect(resolveMetric('safety', ['safety/mean', 'safety/variance'])).toBe('safety/mean');
    expect(resolveMetric('relevance/mean', ['relevance_to_query/mean'])).toBeUndefined();
  });

  it('parses metric lists and refuses bad items', async () => {
    expect(parseMetricList('safety/mean>=0.8, latency/mean<=2000')).toEqual([
      { key: 'safety/mean', direction: 'higher', threshold: 0.8 },
      { key: 'latency/mean', direction: 'lower', threshold: 2000 },
    ]);
    expect(() => parseMetricList('safety/mean=0.8')).toThrow(/item 1 "safety\/mean=0\.8"/);
  });
});

describe('time budget', () => {
  it("stays below the hook timeout and below Flagger's 10 s default", async () => {
    expect(budgetFor(8000)).toBe(7200);
    expect(budgetFor(30_000)).toBe(9000);
    expect(budgetFor(1000)).toBe(750);
    expect(settings({ timeout: '2s' }).budgetMs).toBe(1750);
  });
});

describe('search grammar details', async () => {
  const { parseFilter, searchInMemory } = await import('../../src/mlflow/search.js');
  it('accepts IN lists, the created alias and doubled quotes; refuses what MLflow refuses', async () => {
    expect(
      parseFilter("attributes.run_id IN ('a', 'b') AND created > 5 AND tags.note = 'it''s'"),
    ).toEqual([
      { type: 'attribute', key: 'run_id', op: 'IN', value: ['a', 'b'] },
      { type: 'attribute', key: 'start_time', op: '>', value: 5 },
      { type: 'tag', key: 'note', op: '=', value: "it's" },
    ]);
    expect(() => parseFilter("tags.a IN ('x')")).toThrow(/tags compare with = != LIKE ILIKE/);
    expect(() => parseFilter("foo.bar = 'x'")).toThrow(/Invalid entity type 'foo'/);
    expect(() => parseFilter("attributes.colour = 'x'")).toThrow(/Invalid attribute key 'colour'/);
    expect(() => searchInMemory([], { experiment_ids: [], max_results: 50001 })).toThrow(
      /at most 50000/,
    );
    expect(() => searchInMemory([], { experiment_ids: [], page_token: 'garbage' })).toThrow(
      /Invalid page token/,
    );
  });
});

describe('what a run reports', () => {
  it('a metric reported twice under one key is judged at its latest value and noted', async () => {
    const canary = run({ 'recif.agent_version': '4' }, { samples: 30 });
    const twice: Run = {
      ...canary,
      data: {
        ...canary.data,
        metrics: [
          ...canary.data.metrics!,
          { key: 'safety/mean', value: 0.95, timestamp: 1, step: 0 },
          { key: 'safety/mean', value: 0.4, timestamp: 2, step: 0 },
        ],
      },
    };
    const v = await judgeRuns(settings(), [twice], {});
    expect(v.passed).toBe(false);
    expect(v.reasons).toEqual(['safety/mean=0.4 < 0.6']);
    expect(v.notes?.join(' ')).toMatch(
      /metric safety\/mean is reported 2 times in run r\d+ \(0\.95, 0\.4\); judged the latest, 0\.4/,
    );
  });

  it('a canary whose only runs are unfinished never passes', async () => {
    const running: Run = {
      ...run({ 'recif.agent_version': '4' }, { 'safety/mean': 0.99, samples: 30 }),
    };
    const r = { ...running, info: { ...running.info, status: 'RUNNING' as const } };
    const v = await judgeRuns(settings(), [r], {});
    expect(v.outcome).toBe('no-data');
    expect(v.passed).toBe(false);
    expect(v.reasons[0]).toMatch(/only unfinished runs r\d+ \(RUNNING\)/);
  });
});
