/**
 * Every MLflow fault, and the answer each gets under both modes: Recif approves whatever goes
 * wrong (with its exact message); strict mode answers `onUnavailable` when MLflow cannot be read
 * and fails "no data".
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { fixture, goodData, EXPERIMENT, payload, post, type Fixture } from './helpers.js';
import { startGateServer } from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { silentLogger } from '../../src/http/log.js';

const RECIF_DOWN = 'Quality gate passed (MLflow unavailable, default approve)';
let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

async function freePortThatRefuses(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('MLflow faults', () => {
  it('connection refused: strict rejects (or approves when told), Recif approves', async () => {
    const port = await freePortThatRefuses();
    const gate = await startGateServer({
      logger: silentLogger,
      mlflow: { uri: `http://127.0.0.1:${port}`, retries: 1, backoffMs: 5 },
    });
    try {
      const strict = await post(gate.url, payload());
      expect(strict.status).toBe(412);
      expect(strict.body.outcome).toBe('unavailable');
      expect(strict.body.message).toMatch(
        /^Quality gate failed \(MLflow unavailable\): cannot reach MLflow at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
      );
      const approve = await post(gate.url, payload({ onUnavailable: 'approve' }));
      expect(approve.status).toBe(200);
      expect(approve.body.message).toMatch(
        /^Quality gate passed \(MLflow unavailable, onUnavailable=approve\)/,
      );
      const recif = await post(gate.url, payload({ mode: 'recif' }));
      expect(recif.status).toBe(200);
      expect(recif.body.message).toBe(RECIF_DOWN);
    } finally {
      await gate.close();
    }
  });

  it('slow MLflow with metadata timeout 2s (the generator writes the hook timeout): answered under 2 s with onUnavailable', async () => {
    f = await fixture(goodData());
    f.standin.faults.delayMs = 5000;
    const approve = await post(f.gate.url, payload({ timeout: '2s', onUnavailable: 'approve' }));
    expect(approve.status).toBe(200);
    // 'unavailable' is the proof the gate stopped waiting at its budget: MLflow answers after 5 s,
    // and a gate that waited would have judged the (good) data and passed. No upper wall-clock
    // bound: on a busy machine the round trip around the budget may take longer.
    expect(approve.body.outcome).toBe('unavailable');
    // Above the 1 s it would take under a 1 s budget: the gate used the 2 s it was given, not less.
    expect(approve.ms).toBeGreaterThan(1000);
    const reject = await post(
      f.gate.url,
      payload({ timeout: '2s', onUnavailable: 'reject', cacheTtl: '0s' }),
    );
    expect(reject.status).toBe(412);
    expect(reject.body.outcome).toBe('unavailable');
  });

  it('hang past the timeout: answered inside the hook timeout, strict rejects, Recif approves', async () => {
    f = await fixture(goodData());
    f.standin.faults.hang = 100;
    const strict = await post(f.gate.url, payload({ timeout: '1s' }));
    expect(strict.status).toBe(412);
    // MLflow never answers these requests: 'unavailable' means the gate answered at its own budget.
    expect(strict.body.outcome).toBe('unavailable');
    const recif = await post(f.gate.url, payload({ timeout: '1s', mode: 'recif' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toBe(RECIF_DOWN);
  });

  it('500s then success: retried within the budget, then judged (both modes)', async () => {
    f = await fixture(goodData());
    f.standin.faults.fail500 = 2;
    const strict = await post(f.gate.url, payload());
    expect(strict.status).toBe(200);
    expect(strict.body.outcome).toBe('pass');
    expect(f.standin.count('experiments/get-by-name')).toBe(3);
    f.standin.faults.fail500 = 2;
    const recif = await post(f.gate.url, payload({ mode: 'recif' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toMatch(/^Quality gate passed \(score=\d+\.\d\d\)$/);
  });

  it('malformed JSON: strict rejects as unavailable, Recif approves', async () => {
    f = await fixture(goodData());
    f.standin.faults.malformed = 1;
    const strict = await post(f.gate.url, payload());
    expect(strict.status).toBe(412);
    expect(strict.body.message).toMatch(/MLflow unavailable.*malformed JSON/);
    f.standin.faults.malformed = 1;
    const recif = await post(f.gate.url, payload({ mode: 'recif', agent: 'other-name' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toBe(RECIF_DOWN);
  });

  it('no experiment: strict fails "no data", Recif approves', async () => {
    f = await fixture([]);
    const strict = await post(f.gate.url, payload());
    expect(strict.status).toBe(412);
    expect(strict.body.outcome).toBe('no-data');
    expect(strict.body.message).toBe(
      `Quality gate failed (no data): experiment '${EXPERIMENT}' not found in MLflow`,
    );
    const recif = await post(f.gate.url, payload({ mode: 'recif' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toBe(RECIF_DOWN);
  });

  it('no runs: strict fails "no data", Recif approves', async () => {
    f = await fixture([
      {
        name: EXPERIMENT,
        runs: [
          {
            status: 'RUNNING',
            tags: { 'recif.agent_version': '4' },
            metrics: { 'safety/mean': 1 },
          },
        ],
      },
    ]);
    const strict = await post(f.gate.url, payload());
    expect(strict.status).toBe(412);
    expect(strict.body.outcome).toBe('no-data');
    const recif = await post(f.gate.url, payload({ mode: 'recif' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toBe(RECIF_DOWN);
  });

  it.each([false, true])(
    'NaN metrics (bare NaN tokens on the wire: %s): strict fails the metric, Recif averages the numbers',
    async (bare) => {
      f = await fixture(
        goodData({ canary: { 'safety/mean': NaN, 'relevance_to_query/mean': 0.7 } }),
      );
      f.standin.faults.bareNaN = bare;
      const strict = await post(f.gate.url, payload());
      expect(strict.status).toBe(412);
      expect(strict.body.message).toMatch(/safety\/mean is not a number \(NaN\)/);
      // Recif mean of the finite metrics: (0.7 + 40 samples) / 2 >= 0.6 -> pass; safety is ignored.
      const recif = await post(f.gate.url, payload({ mode: 'recif' }));
      expect(recif.status).toBe(200);
      expect(recif.body.message).toBe('Quality gate passed (score=20.35)');
    },
  );

  it('runs of another revision only: strict fails "no data", Recif judges them anyway', async () => {
    f = await fixture([
      {
        name: EXPERIMENT,
        runs: [
          { tags: { 'recif.agent_version': '3' }, metrics: { 'safety/mean': 0.9, samples: 50 } },
          {
            tags: { 'recif.agent_version': '2', checksum: 'old' },
            metrics: { 'safety/mean': 0.95, samples: 50 },
          },
        ],
      },
    ]);
    const strict = await post(f.gate.url, payload());
    expect(strict.status).toBe(412);
    expect(strict.body.outcome).toBe('no-data');
    expect(strict.body.message).toMatch(
      /no evaluation of the canary: nothing found for run tag checksum=c4 or run tag recif\.agent_version=4 or LoggedModel 'support-bot-v4'/,
    );
    const recif = await post(f.gate.url, payload({ mode: 'recif' }));
    expect(recif.status).toBe(200);
    expect(recif.body.message).toBe('Quality gate passed (score=25.48)');
  });

  it('MLflow auth: Basic credentials are sent; without them the answer is "unavailable" naming the fix', async () => {
    const { startStandin } = await import('../../src/mlflow-standin/server.js');
    const { seed } = await import('../../src/mlflow-standin/writer.js');
    const { tempDir } = await import('./helpers.js');
    const tmp = tempDir();
    const standin = await startStandin({
      store: 'file',
      path: `${tmp.dir}/mlruns`,
      auth: { username: 'gate', password: 'pw-9' },
    });
    seed(standin.writer, goodData());
    const ok = await startGateServer({
      logger: silentLogger,
      source: createSource({
        uri: standin.url,
        username: 'gate',
        password: 'pw-9',
        token: 'ignored',
      }),
    });
    const noAuth = await startGateServer({
      logger: silentLogger,
      source: createSource({ uri: standin.url }),
    });
    try {
      expect((await post(ok.url, payload())).status).toBe(200);
      const denied = await post(noAuth.url, payload());
      expect(denied.status).toBe(412);
      expect(denied.body.message).toMatch(/HTTP 401.*MLFLOW_TRACKING_USERNAME/);
    } finally {
      for (const g of [ok, noAuth]) {
        await g.close();
        await g.source.close();
      }
      await standin.close();
      tmp.cleanup();
    }
  });
});
