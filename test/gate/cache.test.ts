/** Verdict cache per revision, single-flight, and step holds (counted at the stand-in). */
import { afterEach, describe, expect, it } from 'vitest';
import { fixture, goodData, payload, post, type Fixture } from './helpers.js';
import { startGateServer } from '../../src/gate/server.js';
import { silentLogger } from '../../src/http/log.js';
import { createSource } from '../../src/mlflow/source.js';

/**
 * One verdict on goodData() asks `runs/search` three times, each filtered on the server: the
 * checksum tag, the canary's version tag, the stable version tag (MLflow has no OR), plus two
 * `logged-models/search` per version. Counts below are in verdicts.
 */
const RUNS_PER_VERDICT = 3;

let f: Fixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

describe('verdict cache', () => {
  it('answers a repeated revision from the cache, and a new revision from MLflow', async () => {
    f = await fixture(goodData());
    const first = await post(f.gate.url, payload());
    expect(first.body.cache).toBe('miss');
    const again = await post(f.gate.url, payload());
    expect(again.status).toBe(200);
    expect(again.body.cache).toBe('hit');
    expect(again.body.message).toBe(first.body.message);
    expect(f.standin.count('runs/search')).toBe(1 * RUNS_PER_VERDICT);
    await post(f.gate.url, payload({}, { checksum: 'c5' }));
    expect(f.standin.count('runs/search')).toBe(2 * RUNS_PER_VERDICT);
    // The experiment id is reused across revisions of one agent.
    expect(f.standin.count('experiments/get-by-name')).toBe(1);
    // Other settings for the same revision are another question.
    await post(f.gate.url, payload({ passThreshold: '0.9' }));
    expect(f.standin.count('runs/search')).toBe(3 * RUNS_PER_VERDICT);
  });

  it('expires after cacheTtl', async () => {
    f = await fixture(goodData());
    await post(f.gate.url, payload({ cacheTtl: '300ms' }));
    await post(f.gate.url, payload({ cacheTtl: '300ms' }));
    expect(f.standin.count('runs/search')).toBe(1 * RUNS_PER_VERDICT);
    await new Promise((r) => setTimeout(r, 400));
    expect((await post(f.gate.url, payload({ cacheTtl: '300ms' }))).body.cache).toBe('miss');
    expect(f.standin.count('runs/search')).toBe(2 * RUNS_PER_VERDICT);
  });

  it('does not cache "MLflow unavailable": the next call asks again', async () => {
    f = await fixture(goodData());
    f.standin.faults.fail500 = 100;
    expect((await post(f.gate.url, payload({ timeout: '1s' }))).body.outcome).toBe('unavailable');
    f.standin.faults.fail500 = 0;
    const after = await post(f.gate.url, payload({ timeout: '1s' }));
    expect(after.status).toBe(200);
    expect(after.body.outcome).toBe('pass');
  });

  it('single-flight: 100 concurrent requests for one new revision cause the MLflow queries of one verdict', async () => {
    f = await fixture(goodData());
    f.standin.faults.delayMs = 200;
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => post(f!.gate.url, payload())),
    );
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(answers.filter((a) => a.body.cache === 'miss')).toHaveLength(1);
    expect(f.standin.count('runs/search')).toBe(1 * RUNS_PER_VERDICT);
    expect(f.standin.count('experiments/get-by-name')).toBe(1);
    expect(f.standin.count('logged-models/search')).toBe(4);
  });

  it('a request that joins a slow query still answers inside its own budget', async () => {
    f = await fixture(goodData());
    f.standin.faults.delayMs = 400;
    const slow = post(f.gate.url, payload({ timeout: '5s' }));
    await new Promise((r) => setTimeout(r, 50));
    const joiner = await post(f.gate.url, payload({ timeout: '5s' }));
    expect(joiner.status).toBe(200);
    expect(joiner.body.cache).toBe('shared');
    expect((await slow).status).toBe(200);
    // A hook with a 300 ms timeout gets its answer in its own budget, not after MLflow's 400 ms:
    // a gate that waited would have judged the (good) data and passed, so 'unavailable' is the
    // proof (no wall-clock bound, which a busy machine could break).
    const impatient = await post(f.gate.url, payload({ timeout: '300ms' }, { checksum: 'c7' }));
    expect(impatient.body.outcome).toBe('unavailable');
    expect(f.standin.count('runs/search')).toBe(2 * RUNS_PER_VERDICT);
  });
});

describe('step holds', () => {
  it('approves step k only once its hold has elapsed since approval k-1, per revision', async () => {
    let now = 1_000_000;
    const gate = await startGateServer({
      logger: silentLogger,
      source: createSource({ uri: 'http://127.0.0.1:9' }),
      now: () => now,
    });
    const hold = (checksum = 'c4') =>
      post(
        gate.url,
        payload(
          { check: 'step-hold', stepWeights: '5,10,25', stepHolds: '0s,5m,10m,1m' },
          { checksum },
        ),
      );
    // Past the tick window of a freshly started gate (which holds unknown revisions longer).
    now += 120_000;
    try {
      const first = await hold();
      expect(first.status).toBe(200);
      expect(first.body.message).toMatch(/^Step hold passed: approval 1 of 4 \(weight 5%\)/);
      now += 4 * 60_000;
      const early = await hold();
      expect(early.status).toBe(412);
      expect(early.body.message).toBe(
        'Step hold: 1m0s left before weight 10% (approval 2 of 4, hold 5m0s)',
      );
      expect(early.body.waitSeconds).toBe(60);
      now += 60_000;
      expect((await hold()).status).toBe(200);
      expect((await hold()).status).toBe(412);
      // Another revision has its own count.
      expect((await hold('c5')).status).toBe(200);
      now += 10 * 60_000;
      expect((await hold()).body.nextWeight).toBe(25);
      now += 60_000;
      const promote = await hold();
      expect(promote.status).toBe(200);
      expect(promote.body.message).toMatch(/approval 4 of 4 \(promotion\)/);
    } finally {
      await gate.close();
    }
  });
});
