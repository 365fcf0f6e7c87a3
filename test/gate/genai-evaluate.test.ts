/**
 * Canaries evaluated the way real pipelines do it (`mlflow.genai.evaluate()`, as Recif's
 * runtime calls it): no version tag and no `samples` metric, the version is the LoggedModel
 * `<agent>-v<N>`, the row count is the dataset input's `num_rows`, per-row scores are assessments
 * on the evaluation's traces. The same cases through the REST client (stand-in), `mlflow.db` and
 * `mlruns/`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { buildFileStore, buildSqliteStore } from '../../src/mlflow-standin/build.js';
import {
  genaiEvaluation,
  seed,
  type SeedExperiment,
  type SeedRun,
} from '../../src/mlflow-standin/writer.js';
import { startStandin, type Standin } from '../../src/mlflow-standin/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { SqliteStore } from '../../src/mlflow/sqlite-store.js';
import { FileStore } from '../../src/mlflow/file-store.js';
import { RestSource } from '../../src/mlflow/rest.js';
import type { MlflowSource } from '../../src/mlflow/types.js';
import { QualityEngine } from '../../src/gate/engine.js';
import { resolveSettings } from '../../src/gate/settings.js';
import type { Verdict } from '../../src/gate/verdict.js';
import { tempDir } from './helpers.js';

const EXP = 'recif/agents/support-bot';

/** n booleans of which round(n * rate) are true (deterministic). */
function bools(n: number, rate: number): boolean[] {
  const yes = Math.round(n * rate);
  return Array.from({ length: n }, (_, i) => i < yes);
}

/** n judge ratings "yes"/"no". */
function ratings(n: number, rate: number): string[] {
  return bools(n, rate).map((b) => (b ? 'yes' : 'no'));
}

function evalRun(
  version: string,
  rows: Record<string, readonly unknown[]>,
  extra: Partial<SeedRun> = {},
): SeedRun {
  return genaiEvaluation(`support-bot-v${version}`, rows, extra);
}

interface Case {
  readonly data: SeedExperiment[];
  readonly meta?: Record<string, string>;
  readonly checksum?: string;
}

const CASES: Record<string, Case> = {
  good: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun(
            '3',
            { safety: bools(40, 0.9), relevance_to_query: ratings(40, 0.8) },
            { metrics: { 'latency/mean': 800 } },
          ),
          evalRun(
            '4',
            { safety: bools(40, 0.95), relevance_to_query: ratings(40, 0.825) },
            { metrics: { 'latency/mean': 801 } },
          ),
        ],
      },
    ],
  },
  oneRegresses: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun('3', { safety: bools(40, 0.9) }, { metrics: { 'correctness/mean': 0.9 } }),
          evalRun('4', { safety: bools(40, 0.9) }, { metrics: { 'correctness/mean': 0.7 } }),
        ],
      },
    ],
  },
  toxicityRises: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun(
            '3',
            { safety: bools(40, 0.9) },
            { metrics: { 'toxicity/v1/mean': 0.02, 'total_tokens/mean': 500 } },
          ),
          evalRun(
            '4',
            { safety: bools(40, 0.9) },
            { metrics: { 'toxicity/v1/mean': 0.2, 'total_tokens/mean': 450 } },
          ),
        ],
      },
    ],
  },
  busy: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun('3', { safety: bools(30, 0.9) }),
          // 1,000 newer runs of other work, no tags: the baseline must still be found.
          ...Array.from({ length: 1000 }, (_, i): SeedRun => ({ metrics: { loss: i } })),
          evalRun('4', { safety: bools(30, 0.6) }),
        ],
      },
    ],
  },
  fewRows: {
    data: [
      {
        name: EXP,
        runs: [evalRun('3', { safety: bools(40, 0.9) }), evalRun('4', { safety: bools(12, 1) })],
      },
    ],
  },
  insignificantDip: {
    data: [
      {
        name: EXP,
        runs: [evalRun('3', { safety: bools(40, 0.9) }), evalRun('4', { safety: bools(40, 0.85) })],
      },
    ],
  },
  significantDip: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun('3', { safety: bools(200, 0.9) }),
          evalRun('4', { safety: bools(200, 0.72) }),
        ],
      },
    ],
  },
  unfinished: {
    data: [
      {
        name: EXP,
        runs: [
          evalRun('3', { safety: bools(40, 0.9) }),
          evalRun('4', { safety: bools(40, 0.95) }, { status: 'RUNNING' }),
        ],
      },
    ],
  },
  versionTagOnModel: {
    data: [
      {
        name: EXP,
        models: [{ name: 'support-bot-canary', tags: { 'recif.agent_version': '4' } }],
        runs: [
          evalRun('3', { safety: bools(40, 0.9) }),
          genaiEvaluation('support-bot-canary', { safety: bools(40, 0.92) }),
        ],
      },
    ],
  },
  taggedRuns: {
    data: [
      {
        name: EXP,
        runs: [
          { tags: { 'recif.agent_version': '3' }, metrics: { 'safety/mean': 0.9, samples: 50 } },
          {
            tags: { 'recif.agent_version': '4', checksum: 'c4' },
            metrics: { 'safety/mean': 0.91, samples: 40 },
          },
        ],
      },
    ],
    checksum: 'c4',
  },
};

type Kind = 'rest' | 'sqlite' | 'file';

const tmp = tempDir('genai-eval-');
const sources = new Map<string, { source: MlflowSource; standin?: Standin }>();

async function sourceFor(kind: Kind, name: string, c: Case): Promise<MlflowSource> {
  const key = `${kind}:${name}`;
  const got = sources.get(key);
  if (got) return got.source;
  const dir = join(tmp.dir, `${kind}-${name}`);
  let entry: { source: MlflowSource; standin?: Standin };
  if (kind === 'sqlite') {
    buildSqliteStore(`${dir}.db`, c.data);
    entry = { source: new SqliteStore(`${dir}.db`) };
  } else if (kind === 'file') {
    buildFileStore(dir, c.data);
    entry = { source: new FileStore(dir) };
  } else {
    const standin = await startStandin({ store: 'sqlite', path: `${dir}.db` });
    seed(standin.writer, c.data);
    entry = {
      source: createSource({ uri: standin.url, retries: 1, backoffMs: 10, callTimeoutMs: 5000 }),
      standin,
    };
  }
  sources.set(key, entry);
  return entry.source;
}

async function judge(kind: Kind, name: keyof typeof CASES): Promise<Verdict> {
  const c = CASES[name]!;
  const engine = new QualityEngine({ source: await sourceFor(kind, name, c) });
  const s = resolveSettings(
    { agent: 'support-bot', canaryVersion: '4', stableVersion: '3', timeout: '10s', ...c.meta },
    { name: 'support-bot', namespace: 'team' },
  );
  return (await engine.judge({ name: 'support-bot', namespace: 'team', checksum: c.checksum }, s))
    .verdict;
}

afterAll(async () => {
  for (const { source, standin } of sources.values()) {
    await source.close();
    await standin?.close();
  }
  tmp.cleanup();
});

describe.each<Kind>(['rest', 'sqlite', 'file'])('genai-evaluate-shaped data via %s', (kind) => {
  it('a good canary passes, found by its LoggedModel, with the dataset row count', async () => {
    const v = await judge(kind, 'good');
    expect(v.outcome).toBe('pass');
    expect(v.evaluations?.canary).toMatchObject({
      via: expect.stringMatching(/^LoggedModel 'support-bot-v4' \(m-/),
      samples: 40,
      samplesFrom: 'dataset num_rows',
    });
    expect(v.evaluations?.stable?.via).toMatch(/^LoggedModel 'support-bot-v3'/);
    // latency 801 vs 800 is 0.1 % worse: inside the default 5 % of stable.
    expect(v.metrics.find((m) => m.key === 'latency/mean')).toMatchObject({
      direction: 'lower',
      passed: true,
      value: 801,
      stable: 800,
    });
    expect(v.metrics.find((m) => m.key === 'safety/mean')?.test).toMatchObject({
      method: 'mann-whitney-u',
      nCanary: 40,
      nStable: 40,
    });
  });

  it('one regressed metric fails, named with its numbers', async () => {
    const v = await judge(kind, 'oneRegresses');
    expect(v.outcome).toBe('fail');
    expect(v.reasons).toEqual([
      'correctness/mean=0.7 regressed by 0.2 vs stable 0.9 (max 5% of stable = 0.045)',
    ]);
  });

  it('lower-is-better metrics are judged the right way round', async () => {
    const v = await judge(kind, 'toxicityRises');
    expect(v.outcome).toBe('fail');
    expect(v.metrics.find((m) => m.key === 'toxicity/v1/mean')).toMatchObject({
      direction: 'lower',
      passed: false,
    });
    // Fewer tokens is better, not a regression.
    expect(v.metrics.find((m) => m.key === 'total_tokens/mean')).toMatchObject({
      direction: 'lower',
      passed: true,
    });
  });

  it('a busy experiment (1,000 newer untagged runs) still yields the stable baseline', async () => {
    const v = await judge(kind, 'busy');
    expect(v.evaluations?.stable?.via).toMatch(/^LoggedModel 'support-bot-v3'/);
    expect(v.outcome).toBe('fail');
    expect(v.reasons[0]).toMatch(
      /^safety\/mean regressed beyond 0\.045: mean 0\.6 vs stable 0\.9, .*Mann-Whitney p=.*n=30\/30/,
    );
  }, 60_000);

  it('too few evaluated rows give no verdict and say how many', async () => {
    const v = await judge(kind, 'fewRows');
    expect(v.outcome).toBe('no-data');
    expect(v.reasons[0]).toMatch(
      /has only 12 evaluated rows \(dataset num_rows, run \w+\); need >= 20/,
    );
  });

  it("an insignificant dip passes (with a note); a significant one fails with the test's numbers", async () => {
    const small = await judge(kind, 'insignificantDip');
    expect(small.outcome).toBe('pass');
    const t = small.metrics[0]!.test!;
    expect(t.p).toBeGreaterThan(0.05);
    expect(small.notes?.join(' ')).toMatch(/not significant at alpha 0\.05/);
    const big = await judge(kind, 'significantDip');
    expect(big.outcome).toBe('fail');
    expect(big.metrics[0]!.test!.p).toBeLessThan(0.001);
    expect(big.reasons[0]).toMatch(
      /difference -0\.18 \(95% CI -0\.2\d+\.\.-0\.1\d+\), Mann-Whitney p=.*, n=200\/200/,
    );
  }, 60_000);

  it('a canary whose only run is unfinished gets no verdict (never a pass)', async () => {
    const v = await judge(kind, 'unfinished');
    expect(v.outcome).toBe('no-data');
    expect(v.reasons[0]).toMatch(/has not finished: only unfinished runs \w+ \(RUNNING\)/);
  });

  it('finds a LoggedModel by the version tag on the model', async () => {
    const v = await judge(kind, 'versionTagOnModel');
    expect(v.outcome).toBe('pass');
    expect(v.evaluations?.canary?.via).toMatch(/^LoggedModel 'support-bot-canary'/);
  });

  it('runs tagged with the version and checksum keep working', async () => {
    const v = await judge(kind, 'taggedRuns');
    expect(v.outcome).toBe('pass');
    expect(v.evaluations?.canary).toMatchObject({
      via: 'run tag checksum=c4',
      samples: 40,
      samplesFrom: 'metric',
    });
  });
});

describe('workspaces (MLflow 3) are kept apart', () => {
  let standin: Standin;
  const data = (version: string, rate: number, workspace?: string): SeedExperiment => ({
    name: EXP,
    workspace,
    runs: [evalRun('3', { safety: bools(40, 0.9) }), evalRun(version, { safety: bools(40, rate) })],
  });
  beforeAll(async () => {
    standin = await startStandin({ store: 'sqlite', path: join(tmp.dir, 'workspaces.db') });
    // The same experiment name in two workspaces: a bad canary in 'default', a good one in 'team-a'.
    seed(standin.writer, [data('4', 0.5)]);
    seed(standin.writer, [data('4', 0.95, 'team-a')]);
  });
  afterAll(async () => standin.close());

  const verdict = async (source: MlflowSource): Promise<Verdict> => {
    const s = resolveSettings(
      { agent: 'support-bot', canaryVersion: '4', stableVersion: '3' },
      { name: 'support-bot', namespace: 'team' },
    );
    try {
      return (
        await new QualityEngine({ source }).judge({ name: 'support-bot', namespace: 'team' }, s)
      ).verdict;
    } finally {
      await source.close();
    }
  };

  it('over REST (X-MLFLOW-WORKSPACE) and in mlflow.db (the workspace column)', async () => {
    expect((await verdict(new RestSource({ uri: standin.url }))).outcome).toBe('fail');
    expect((await verdict(new RestSource({ uri: standin.url, workspace: 'team-a' }))).outcome).toBe(
      'pass',
    );
    expect(
      (await verdict(new RestSource({ uri: standin.url, workspace: 'team-b' }))).reasons[0],
    ).toMatch(/experiment '.*' not found/);
    const path = join(tmp.dir, 'workspaces.db');
    expect((await verdict(new SqliteStore(path))).outcome).toBe('fail');
    expect((await verdict(new SqliteStore(path, { workspace: 'team-a' }))).outcome).toBe('pass');
  });
});
