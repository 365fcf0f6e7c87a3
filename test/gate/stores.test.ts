/**
 * The gate against MLflow's local stores read directly (a mlflow.db and an mlruns/ folder built
 * the way MLflow writes them), and the search grammar answering the same through every reader.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { buildFileStore, buildSqliteStore } from '../../src/mlflow-standin/build.js';
import { startStandin, type Standin } from '../../src/mlflow-standin/server.js';
import { seed } from '../../src/mlflow-standin/writer.js';
import { createSource } from '../../src/mlflow/source.js';
import { startGateServer } from '../../src/gate/server.js';
import type { MlflowSource } from '../../src/mlflow/types.js';
import { silentLogger } from '../../src/http/log.js';
import { goodData, payload, post, tempDir } from './helpers.js';

const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('gate on local stores', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());

  it('reads a mlflow.db read-only (sqlite:/// URI) and judges it', async () => {
    const db = join(tmp.dir, 'mlflow.db');
    buildSqliteStore(db, goodData({ canary: { 'safety/mean': 0.4 } }));
    const before = sha(db);
    const gate = await startGateServer({
      logger: silentLogger,
      mlflow: { uri: `sqlite:///${db}` },
    });
    try {
      const strict = await post(gate.url, payload());
      expect(strict.status).toBe(412);
      expect(strict.body.message).toMatch(/safety\/mean=0\.4 < 0\.6/);
      const passing = await post(gate.url, payload({ metrics: 'relevance_to_query/mean>=0.8' }));
      expect(passing.status).toBe(200);
      expect((await fetch(`${gate.url}/readyz`)).status).toBe(200);
    } finally {
      await gate.close();
    }
    expect(sha(db)).toBe(before);
    expect(existsSync(`${db}-journal`) || existsSync(`${db}-wal`)).toBe(false);
  });

  it("builds mlflow.db with MLflow's tables and NaN convention", () => {
    const db = join(tmp.dir, 'nan.db');
    buildSqliteStore(db, [{ name: 'e', runs: [{ metrics: { 'a/v1/mean': NaN, b: [0.1, 0.7] } }] }]);
    const conn = new Database(db, { readonly: true });
    const tables = (
      conn.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
        name: string;
      }[]
    ).map((t) => t.name);
    expect(tables).toEqual(
      expect.arrayContaining([
        'experiments',
        'experiment_tags',
        'runs',
        'metrics',
        'latest_metrics',
        'params',
        'tags',
      ]),
    );
    expect(
      conn.prepare("SELECT value, is_nan FROM latest_metrics WHERE key = 'a/v1/mean'").get(),
    ).toEqual({ value: 0, is_nan: 1 });
    expect(conn.prepare("SELECT value FROM latest_metrics WHERE key = 'b'").get()).toEqual({
      value: 0.7,
    });
    expect(conn.prepare("SELECT count(*) AS n FROM metrics WHERE key = 'b'").get()).toEqual({
      n: 2,
    });
    expect(conn.prepare('SELECT name FROM experiments WHERE experiment_id = 0').get()).toEqual({
      name: 'Default',
    });
    conn.close();
  });

  it('reads an mlruns/ folder (plain path) laid out as MLflow writes it', async () => {
    const root = join(tmp.dir, 'mlruns');
    const res = buildFileStore(root, goodData());
    const expId = res.experiments['recif/agents/support-bot']!;
    const runId = res.runs['recif/agents/support-bot']![1]!;
    expect(readFileSync(join(root, expId, runId, 'meta.yaml'), 'utf8')).toMatch(/status: 3/);
    expect(readFileSync(join(root, expId, runId, 'metrics', 'safety', 'mean'), 'utf8')).toMatch(
      /^\d+ 0\.92 0\n$/,
    );
    expect(readFileSync(join(root, expId, runId, 'tags', 'recif.agent_version'), 'utf8')).toBe('4');
    expect(readdirSync(root).sort()).toEqual(['0', expId].sort());
    const gate = await startGateServer({ logger: silentLogger, mlflow: { uri: root } });
    try {
      const a = await post(gate.url, payload());
      expect(a.status).toBe(200);
      expect(a.body.message).toMatch(/^Quality gate passed \(score=0\.87\)$/);
    } finally {
      await gate.close();
    }
  });

  it('defaults to ./mlflow.db when present, else ./mlruns', () => {
    const both = tempDir();
    try {
      expect(createSource({ cwd: both.dir }).kind).toBe('file');
      buildSqliteStore(join(both.dir, 'mlflow.db'), []);
      expect(createSource({ cwd: both.dir }).kind).toBe('sqlite');
      expect(() => createSource({ uri: 's3://bucket/x' })).toThrow(/not supported; allowed: http/);
    } finally {
      both.cleanup();
    }
  });
});

describe('search grammar, identical through REST, SQLite and mlruns/', () => {
  const tmp = tempDir();
  let standin: Standin;
  const sources: Record<string, MlflowSource> = {};
  beforeAll(async () => {
    const data = [
      {
        name: 'exp',
        runs: Array.from({ length: 7 }, (_, i) => ({
          status: i === 6 ? ('FAILED' as const) : ('FINISHED' as const),
          tags: { 'recif.agent_version': String(i % 2), 'team-name': i < 3 ? 'a' : 'b' },
          params: { model: i % 2 ? 'gpt-4o' : 'gpt-4o-mini' },
          metrics: { 'answer_relevance/v1/mean': i, ...(i === 2 ? { 'x/mean': NaN } : {}) },
        })),
      },
    ];
    const now = 1_700_000_000_000;
    buildSqliteStore(join(tmp.dir, 'mlflow.db'), data, now);
    buildFileStore(join(tmp.dir, 'mlruns'), data, now);
    standin = await startStandin({ store: 'file', path: join(tmp.dir, 'standin-mlruns') });
    seed(standin.writer, data, now);
    sources.rest = createSource({ uri: standin.url });
    sources.sqlite = createSource({ uri: `sqlite:///${join(tmp.dir, 'mlflow.db')}` });
    sources.file = createSource({ uri: `file://${join(tmp.dir, 'mlruns')}` });
  });
  afterAll(async () => {
    for (const s of Object.values(sources)) await s.close();
    await standin.close();
    tmp.cleanup();
  });

  const values = async (
    src: MlflowSource,
    filter: string,
    order_by?: string[],
    max_results?: number,
  ) => {
    const exp = await src.getExperimentByName('exp');
    const res = await src.searchRuns({
      experiment_ids: [exp!.experiment_id],
      filter,
      order_by,
      max_results,
    });
    return res.runs.map(
      (r) => r.data.metrics!.find((m) => m.key === 'answer_relevance/v1/mean')!.value,
    );
  };

  it.each(['rest', 'sqlite', 'file'])(
    '%s: backticks, tags, params, attributes, order_by, pagination',
    async (name) => {
      const src = sources[name]!;
      expect(await values(src, 'metrics.`answer_relevance/v1/mean` >= 4')).toEqual([6, 5, 4]);
      expect(
        await values(src, "attributes.status = 'FINISHED' AND tags.`recif.agent_version` = '1'"),
      ).toEqual([5, 3, 1]);
      expect(await values(src, "tags.\"team-name\" = 'a' AND params.model LIKE '%mini'")).toEqual([
        2, 0,
      ]);
      expect(await values(src, "status != 'FINISHED'")).toEqual([6]);
      expect(
        await values(
          src,
          "attributes.run_name ILIKE '%'",
          ['metrics.`answer_relevance/v1/mean` ASC'],
          2,
        ),
      ).toEqual([0, 1]);
      expect(await values(src, 'metrics.`x/mean` > 0')).toEqual([]);
      const exp = await src.getExperimentByName('exp');
      const seen: number[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const res = await src.searchRuns({
          experiment_ids: [exp!.experiment_id],
          max_results: 3,
          page_token: token,
        });
        seen.push(...res.runs.map((r) => r.data.metrics![0]!.value));
        token = res.next_page_token;
        pages++;
      } while (token);
      expect(pages).toBe(3);
      expect(seen).toEqual([6, 5, 4, 3, 2, 1, 0]);
      const nan = (
        await src.searchRuns({
          experiment_ids: [exp!.experiment_id],
          filter: 'metrics.`answer_relevance/v1/mean` = 2',
        })
      ).runs[0]!;
      expect(nan.data.metrics!.find((m) => m.key === 'x/mean')!.value).toBeNaN();
    },
  );

  it.each(['rest', 'sqlite', 'file'])('%s: MLflow errors for a bad filter', async (name) => {
    const src = sources[name]!;
    await expect(
      src.searchRuns({ experiment_ids: ['1'], filter: "metrics.a = 'x'" }),
    ).rejects.toMatchObject({ errorCode: 'INVALID_PARAMETER_VALUE' });
    await expect(
      src.searchRuns({ experiment_ids: ['1'], filter: "tags.a = 'x' OR tags.b = 'y'" }),
    ).rejects.toThrow(/AND/);
    expect(await src.getExperimentByName('missing')).toBeNull();
  });

  it("the stand-in speaks MLflow's JSON: omitted empty lists, error codes, NaN as a string", async () => {
    const empty = await fetch(`${standin.url}/api/2.0/mlflow/runs/search`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ experiment_ids: ['1'], filter: "tags.none = 'x'" }),
    });
    expect(await empty.json()).toEqual({});
    const missing = await fetch(
      `${standin.url}/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope`,
    );
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      error_code: 'RESOURCE_DOES_NOT_EXIST',
      message: "Could not find experiment with name 'nope'",
    });
    const text = await (
      await fetch(`${standin.url}/api/2.0/mlflow/runs/search`, {
        method: 'POST',
        body: JSON.stringify({
          experiment_ids: ['1'],
          filter: 'metrics.`answer_relevance/v1/mean` = 2',
        }),
      })
    ).text();
    expect(text).toContain('"value":"NaN"');
  });

  it('the stand-in accepts writes the way an eval job logs them', async () => {
    const api = (p: string, body: unknown) =>
      fetch(`${standin.url}/api/2.0/mlflow/${p}`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      }).then((r) => r.json() as Promise<Record<string, any>>);
    const { experiment_id } = await api('experiments/create', { name: 'written' });
    const { run } = await api('runs/create', {
      experiment_id,
      start_time: 5,
      tags: [{ key: 'recif.agent_version', value: '9' }],
    });
    const runId = run.info.run_id as string;
    await api('runs/log-batch', {
      run_id: runId,
      metrics: [{ key: 'safety/mean', value: 0.5, timestamp: 6, step: 0 }],
      params: [{ key: 'p', value: 'v' }],
    });
    await api('runs/log-metric', {
      run_id: runId,
      key: 'safety/mean',
      value: 0.8,
      timestamp: 7,
      step: 1,
    });
    await api('runs/set-tag', { run_id: runId, key: 'checksum', value: 'c9' });
    const updated = await api('runs/update', { run_id: runId, status: 'FINISHED', end_time: 8 });
    expect(updated.run_info.status).toBe('FINISHED');
    const got = (await (
      await fetch(`${standin.url}/api/2.0/mlflow/runs/get?run_id=${runId}`)
    ).json()) as Record<string, any>;
    expect(got.run.data.metrics).toEqual([
      { key: 'safety/mean', value: 0.8, timestamp: 7, step: 1 },
    ]);
    const history = (await (
      await fetch(
        `${standin.url}/api/2.0/mlflow/metrics/get-history?run_id=${runId}&metric_key=safety/mean`,
      )
    ).json()) as Record<string, any>;
    expect(history.metrics.map((m: { value: number }) => m.value)).toEqual([0.5, 0.8]);
    const bad = await fetch(`${standin.url}/api/2.0/mlflow/runs/log-metric`, {
      method: 'POST',
      body: JSON.stringify({ run_id: 'nope', key: 'a', value: 1, timestamp: 1 }),
    });
    expect(bad.status).toBe(404);
    expect(((await bad.json()) as { error_code: string }).error_code).toBe(
      'RESOURCE_DOES_NOT_EXIST',
    );
  });
});

describe('data faults read straight from mlflow.db and mlruns/, both modes', () => {
  const tmp = tempDir();
  afterAll(() => tmp.cleanup());
  const RECIF_DOWN = 'Quality gate passed (MLflow unavailable, default approve)';
  const cases = {
    'no experiment': {
      data: [],
      strict: /^Quality gate failed \(no data\): experiment/,
      recif: RECIF_DOWN,
    },
    'no runs': {
      data: [{ name: 'recif/agents/support-bot' }],
      strict: /^Quality gate failed \(no data\): no evaluation of the canary/,
      recif: RECIF_DOWN,
    },
    'NaN metric': {
      data: goodData({ canary: { 'safety/mean': NaN } }),
      strict: /safety\/mean is not a number \(NaN\)/,
      recif: 'Quality gate passed (score=20.41)',
    },
    'runs of another revision': {
      data: [
        {
          name: 'recif/agents/support-bot',
          runs: [
            {
              tags: { 'recif.agent_version': '2', checksum: 'zz' },
              metrics: { 'safety/mean': 0.3 },
            },
          ],
        },
      ],
      strict:
        /^Quality gate failed \(no data\): no evaluation of the canary: nothing found for run tag checksum=c4 or run tag recif\.agent_version=4/,
      recif: 'Quality gate failed (score=0.30)',
    },
  } as const;
  let i = 0;
  for (const store of ['sqlite', 'file'] as const) {
    for (const [name, c] of Object.entries(cases)) {
      it(`${store}: ${name}`, async () => {
        const path = join(tmp.dir, `${i++}-${store === 'sqlite' ? 'mlflow.db' : 'mlruns'}`);
        if (store === 'sqlite') buildSqliteStore(path, c.data);
        else buildFileStore(path, c.data);
        const gate = await startGateServer({
          logger: silentLogger,
          mlflow: { uri: store === 'sqlite' ? `sqlite:///${path}` : path },
        });
        try {
          const strict = await post(gate.url, payload());
          expect(strict.status).toBe(412);
          expect(strict.body.message).toMatch(c.strict);
          const recif = await post(gate.url, payload({ mode: 'recif' }));
          expect(recif.body.message).toBe(c.recif);
          expect(recif.status).toBe(c.recif.startsWith('Quality gate passed') ? 200 : 412);
        } finally {
          await gate.close();
        }
      });
    }
  }

  it('an unreadable store is "unavailable": strict rejects, Recif approves, /readyz says 503', async () => {
    const corrupt = join(tmp.dir, 'corrupt.db');
    writeFileSync(corrupt, 'this is not a database');
    for (const uri of [`sqlite:///${corrupt}`, join(tmp.dir, 'no-such-mlruns')]) {
      const gate = await startGateServer({ logger: silentLogger, mlflow: { uri } });
      try {
        const strict = await post(gate.url, payload());
        expect(strict.status).toBe(412);
        expect(strict.body.outcome).toBe('unavailable');
        expect((await post(gate.url, payload({ mode: 'recif' }))).body.message).toBe(RECIF_DOWN);
        expect((await fetch(`${gate.url}/readyz`)).status).toBe(503);
      } finally {
        await gate.close();
      }
    }
  });
});
