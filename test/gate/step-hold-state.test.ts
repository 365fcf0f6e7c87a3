/**
 * Step holds across gate restarts: the state file (atomic, loaded at start, corrupt -> reported and
 * empty), the lost-state rule for revisions without state, and pruning. A restart must never let a
 * canary skip or shorten a hold.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startGateServer, type StartedGate } from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { createLogger, silentLogger, type Logger } from '../../src/http/log.js';
import { StepHolds, parseStepPlan } from '../../src/gate/step-hold.js';
import { payload, post, tempDir } from './helpers.js';

const MIN = 60_000;
const META = { check: 'step-hold', stepWeights: '5,10,25,50', stepHolds: '0s,5m,10m,15m,20m' };
const PLAN = parseStepPlan(META);
const HOLDS = PLAN.holdsMs;

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function dir(): string {
  const t = tempDir('gate-state-');
  cleanups.push(t.cleanup);
  return t.dir;
}

async function gate(
  clock: { now: number },
  stateFile?: string,
  logger: Logger = silentLogger,
): Promise<StartedGate> {
  // MLflow is not needed for step holds; a closed port stands in.
  const g = await startGateServer({
    logger,
    source: createSource({ uri: 'http://127.0.0.1:9' }),
    now: () => clock.now,
    stateFile,
  });
  return g;
}

const hold = (g: StartedGate, checksum = 'c4') => post(g.url, payload(META, { checksum }));

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level: 'info',
    stream: {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) > 0,
    },
  });
  return { logger, lines };
}

describe('state file across a restart', () => {
  it('a restarted gate continues the current hold instead of approving the next step at once', async () => {
    const file = join(dir(), 'state', 'step-holds.json');
    const clock = { now: 10 * MIN };
    let g = await gate(clock, file);
    clock.now += 3 * MIN; // past the tick window of a fresh gate
    expect((await hold(g)).status).toBe(200); // approval 1 (weight 5), stepHolds[0] = 0s
    clock.now += 2 * MIN;
    expect((await hold(g)).body.message).toMatch(/3m0s left before weight 10%/);
    await g.close();

    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      version: number;
      holds: Record<string, { approvals: number; since: number }>;
    };
    expect(saved.version).toBe(1);
    expect(saved.holds['team-support/support-bot/c4']).toMatchObject({
      approvals: 1,
      since: 13 * MIN,
    });
    expect(readdirSync(join(file, '..')).filter((f) => f.endsWith('.tmp'))).toEqual([]);

    clock.now += 1 * MIN; // the gate was down a minute; the hold kept running
    g = await gate(clock, file);
    cleanups.push(() => g.close());
    const after = await hold(g);
    expect(after.status).toBe(412);
    expect(after.body.message).toBe(
      'Step hold: 2m0s left before weight 10% (approval 2 of 5, hold 5m0s)',
    );
    clock.now += 2 * MIN;
    const released = await hold(g);
    expect(released.status).toBe(200);
    expect(released.body.nextWeight).toBe(10);
    expect(released.body.approvals).toBe(2);
  });

  it('without a state file a restarted gate holds an in-flight revision for the longest hold', async () => {
    const clock = { now: 10 * MIN };
    const g = await gate(clock);
    cleanups.push(() => g.close());
    clock.now += 3 * MIN;
    // In flight: Flagger calls the quality hook before the confirm hook on every tick with traffic.
    await post(g.url, payload({ onUnavailable: 'approve' }));
    const held = await hold(g);
    expect(held.status).toBe(412);
    expect(held.body.uncertain).toBe(true);
    expect(held.body.nextWeight).toBeNull();
    // Knowledge began at process start (10m): no unknown approval is later, so 20m after it is safe.
    expect(held.body.message).toBe(
      'Step hold: 17m0s left before the next step (approval 1+ of 5, step unknown after lost gate state: longest remaining hold, hold 20m0s)',
    );
    clock.now += 17 * MIN;
    expect((await hold(g)).status).toBe(200);
    // The real step is unknown, so every later step waits the longest remaining hold too.
    clock.now += 15 * MIN;
    expect((await hold(g)).status).toBe(412);
    clock.now += 5 * MIN;
    expect((await hold(g)).status).toBe(200);
  });
});

describe('corrupt state file', () => {
  it('is reported, kept aside, treated as empty with the lost-state rule, then rewritten', async () => {
    const d = dir();
    const file = join(d, 'step-holds.json');
    writeFileSync(file, '{"version":1,"horizon":12,"holds":{"a/b/c":{"approvals":"two"');
    const { logger, lines } = captureLogger();
    const clock = { now: 100 * MIN };
    const g = await gate(clock, file, logger);
    cleanups.push(() => g.close());
    const report = lines.find(
      (l) =>
        l.msg ===
        'step-hold state file is corrupt: starting empty; revisions already in flight are held by the lost-state rule (longest hold per step)',
    );
    expect(report).toBeDefined();
    expect(String(report!.problem)).toMatch(/not JSON/);
    expect(readdirSync(d).some((f) => f.startsWith('step-holds.json.corrupt-'))).toBe(true);

    clock.now += 3 * MIN;
    // In flight before the gate lost its state: held for the longest hold from the restart.
    await post(g.url, payload({ onUnavailable: 'approve' }, { checksum: 'live' }));
    expect((await hold(g, 'live')).status).toBe(412);
    // A new revision (first call is the confirm hook, at weight 0) starts at approval 0.
    const fresh = await hold(g, 'new');
    expect(fresh.status).toBe(200);
    expect(fresh.body.nextWeight).toBe(5);
    const rewritten = JSON.parse(readFileSync(file, 'utf8')) as {
      horizon: number;
      holds: Record<string, unknown>;
    };
    expect(rewritten.horizon).toBe(100 * MIN);
    expect(Object.keys(rewritten.holds).sort()).toEqual([
      'team-support/support-bot/live',
      'team-support/support-bot/new',
    ]);
  });

  it('a structurally wrong file names the field', () => {
    const d = dir();
    const file = join(d, 's.json');
    writeFileSync(
      file,
      JSON.stringify({
        version: 1,
        horizon: 5,
        holds: { 'a/b/c': { approvals: -1, since: 1, seen: 1 } },
      }),
    );
    const { logger, lines } = captureLogger();
    new StepHolds({ stateFile: file, logger, now: () => 10 });
    expect(lines.find((l) => l.level === 'error')?.problem).toBe(
      'holds["a/b/c"].approvals: expected an integer >= 0, got -1',
    );
  });
});

describe('lost-state rule for a revision without state', () => {
  it('a young gate holds even a revision it saw no quality call for (that call may have reached the old process)', () => {
    let now = 0;
    const h = new StepHolds({ now: () => now });
    now += 30_000;
    const a = h.check('ns/a/c', PLAN);
    expect(a).toMatchObject({ passed: false, uncertain: true, waitMs: 20 * MIN - 30_000 });
  });

  it('an older gate treats a revision first seen through the confirm hook as new', () => {
    let now = 0;
    const h = new StepHolds({ now: () => now });
    now += 2 * MIN;
    expect(h.check('ns/a/c', PLAN)).toMatchObject({
      passed: true,
      uncertain: false,
      nextWeight: 5,
      approvals: 1,
    });
  });

  it('never shortens a hold: Flagger simulated through random gate restarts with and without a state file', () => {
    const d = dir();
    let rnd = 42;
    const random = (): number => (rnd = (rnd * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (let run = 0; run < 300; run++) {
      const withFile = run % 3 !== 0;
      const file = join(d, `s${run}.json`);
      let now = Math.floor(random() * 60) * MIN;
      const interval = [30_000, MIN, 2 * MIN][run % 3]!;
      let holds = new StepHolds({ now: () => now, stateFile: withFile ? file : undefined });
      now += Math.floor(random() * 30) * MIN; // the gate may have been up a while before the canary
      let weightStep = 0; // approvals Flagger received
      let lastApproval = Number.NaN;
      let firstCall = Number.NaN;
      for (let tick = 0; tick < 2000 && weightStep < HOLDS.length; tick++) {
        now += interval;
        if (random() < 0.01) {
          // Restart (state file kept) or lost state (no file: memory only); sometimes mid-tick.
          holds = new StepHolds({ now: () => now, stateFile: withFile ? file : undefined });
        }
        if (weightStep > 0) holds.noteQuality('ns/a/c');
        if (random() < 0.005)
          holds = new StepHolds({ now: () => now, stateFile: withFile ? file : undefined });
        if (Number.isNaN(firstCall)) firstCall = now;
        const a = holds.check('ns/a/c', PLAN);
        if (a.passed) {
          const since = weightStep === 0 ? firstCall : lastApproval;
          expect(now - since, `run ${run}, approval ${weightStep}`).toBeGreaterThanOrEqual(
            HOLDS[weightStep]!,
          );
          lastApproval = now;
          weightStep++;
        }
      }
      expect(weightStep, `run ${run} finished`).toBe(HOLDS.length);
    }
  });
});

describe('pruning', () => {
  it('forgets revisions not seen for forgetMs, in memory and in the file, and moves the horizon', () => {
    const file = join(dir(), 's.json');
    let now = 0;
    const h = new StepHolds({ now: () => now, stateFile: file, forgetMs: 60 * MIN });
    now += 3 * MIN;
    expect(h.check('ns/old/c', PLAN).passed).toBe(true); // approval at 3m
    now += 30 * MIN;
    h.check('ns/other/c', PLAN);
    expect(h.size).toBe(2);
    now += 40 * MIN; // old: last seen 70m ago; other: 40m ago
    h.check('ns/other/c', PLAN);
    expect(h.size).toBe(1);
    const saved = JSON.parse(readFileSync(file, 'utf8')) as {
      horizon: number;
      holds: Record<string, unknown>;
    };
    expect(Object.keys(saved.holds)).toEqual(['ns/other/c']);
    expect(saved.horizon).toBe(3 * MIN);
    // The pruned revision comes back in flight: its step is unknown, but its last approval is
    // before the horizon, long enough ago, so only later steps wait the longest hold.
    h.noteQuality('ns/old/c');
    const back = h.check('ns/old/c', PLAN);
    expect(back).toMatchObject({ passed: true, uncertain: true });
    now += 15 * MIN;
    expect(h.check('ns/old/c', PLAN)).toMatchObject({ passed: false, waitMs: 5 * MIN });
    expect(existsSync(file)).toBe(true);
  });
});

describe('state file write failure', () => {
  it('refuses the approval with 503 (a restart would forget it) and does not count it', async () => {
    const d = dir();
    writeFileSync(join(d, 'not-a-folder'), 'x');
    const clock = { now: 0 };
    const g = await gate(clock, join(d, 'not-a-folder', 'state.json'));
    cleanups.push(() => g.close());
    clock.now += 3 * MIN;
    const a = await hold(g);
    expect(a.status).toBe(503);
    expect(String(a.body.detail)).toMatch(
      /cannot write the step-hold state file .*not-a-folder\/state\.json/,
    );
    // Not counted: had approval 1 been kept in memory, this call would be a 412 (5m hold of step 2).
    expect((await hold(g)).status).toBe(503);
  });
});
