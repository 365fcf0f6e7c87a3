/**
 * Fuzz: 5,000 generated requests (seeded PRNG, fixed count) against one gate server that also
 * serves the canary API over a temporary repository, the way `agent-canary gate --repo` runs.
 * Requests mix valid and mutated Flagger payloads, canary API calls with good and bad tokens,
 * malformed percent-escapes, deep and truncated JSON, odd media types and methods, plus a few
 * hundred raw byte streams that are not HTTP at all. Asserted: the server answers every request
 * (no crash, no reset), never with a 5xx, and still serves /healthz afterwards.
 */
import http from 'node:http';
import { connect } from 'node:net';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateServer, type StartedGate } from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { silentLogger } from '../../src/http/log.js';
import { agentToken } from '../../src/http/auth.js';
import { WEBHOOK_PATH } from '../../src/gate/webhook.js';
import { seededRepo } from '../gitops/fixtures.js';
import { removeDir, tempDir } from '../gitops/git-helpers.js';
import { seededRandom } from '../seeded-random.js';

const REQUESTS = 5000;
const RAW_STREAMS = 200;
const API_TOKEN = 'fuzz-api-token';
const GATE_SECRET = 'fuzz-gate-secret';

interface Req {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

function generator(seed: number) {
  const rnd = seededRandom(seed);
  const int = (n: number): number => Math.floor(rnd() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const str = (max: number): string => {
    const alphabet = 'abcXYZ019-._~%/{}<>=,:;"\\\' \t\u00e9\u4e2d\u{1F600}\u0000\u00a0';
    const chars = [...alphabet];
    let s = '';
    const n = int(max + 1);
    for (let i = 0; i < n; i++) s += pick(chars);
    return s;
  };
  const segment = (): string =>
    pick([
      'team-a.bot',
      'bot',
      'team-a%2Fbot',
      'nobody',
      'ns.x',
      '%E0%A4%A',
      '%',
      '%zz',
      '%FF%FE',
      '..',
      '%2E%2E',
      'a'.repeat(1 + int(300)),
      '%C3%A9',
      'Team_A.Bot',
      '-x.y',
      encodeURIComponent(str(20)),
    ]);
  /** A path and the method that usually goes with it (another method one time in eight). */
  const target = (): [string, string] =>
    pick<() => [string, string]>([
      () => [WEBHOOK_PATH, 'POST'],
      () => [WEBHOOK_PATH, 'POST'],
      () => [WEBHOOK_PATH, 'POST'],
      () => [`${WEBHOOK_PATH}${pick(['/', '?x=1', '%', '/%E0'])}`, 'POST'],
      () => [`/api/v1/agents/${segment()}/canary`, pick(['GET', 'POST', 'PATCH'])],
      () => [
        `/api/v1/agents/${segment()}/canary/${pick(['promote', 'rollback', 'x', '%E0'])}`,
        'POST',
      ],
      () => [
        `/api/v1/agents/${segment()}/canary?branch=${pick(['main', '%E0%A4%A', 'x'.repeat(300), '', '..'])}`,
        pick(['GET', 'PATCH']),
      ],
      () => [
        pick([
          '/healthz',
          '/readyz',
          '/metrics',
          '/',
          '/nope',
          '//',
          '/%',
          '/api/v1/agents//canary',
        ]),
        'GET',
      ],
    ])();
  const json = (v: unknown): string => JSON.stringify(v);
  const deep = (n: number): string =>
    pick([`${'['.repeat(n)}${']'.repeat(n)}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`]);
  const meta = (): Record<string, unknown> => {
    const m: Record<string, unknown> = {};
    const keys = [
      'check',
      'mode',
      'agent',
      'experiment',
      'metrics',
      'passThreshold',
      'minSamples',
      'maxRegression',
      'onUnavailable',
      'cacheTtl',
      'timeout',
      'versionTag',
      'canaryVersion',
      'stableVersion',
      'token',
      'stepWeights',
      'stepHolds',
      'samplesKey',
      'checksumTag',
    ];
    const n = int(8);
    for (let i = 0; i < n; i++) {
      const k = pick(keys);
      m[k] = pick([
        () => str(30),
        () =>
          pick([
            'quality',
            'step-hold',
            'strict',
            'recif',
            'approve',
            'reject',
            '5,10,25',
            '0s,1s,1s,1s',
            '10000h',
            '1ms',
            '-1',
            'NaN',
            '1e309',
          ]),
        () => '{name}'.repeat(int(2000)),
        () => ' '.repeat(int(20_000)) + pick(['', '>=1', 'x']),
        () => 'safety/mean>=0.8,' + 'a'.repeat(int(5000)),
        () => int(100),
        () => null,
        () => ({ nested: str(5) }),
        () => agentToken(GATE_SECRET, 'team-a', 'bot'),
        () => agentToken(GATE_SECRET, 'team-a', 'bot'),
      ])();
    }
    return m;
  };
  const payloadBody = (): string => {
    const base: Record<string, unknown> = {
      name: pick(['bot', 'bot', 'support-bot', 'a'.repeat(int(300)), str(10), 7]),
      namespace: pick(['team-a', 'team-a', 'team-support', 'Team_A', str(5)]),
      phase: pick(['Progressing', 'Progressing', '', 3, str(5)]),
      checksum: pick(['c4', 'c5', undefined, '', 'x'.repeat(300), 5]),
      metadata: pick([
        meta,
        meta,
        meta,
        () => ({ check: 'quality', token: agentToken(GATE_SECRET, 'team-a', 'bot') }),
        () => undefined,
        () => 'text',
        () => [1, 2],
      ])(),
    };
    if (rnd() < 0.1) delete base[pick(Object.keys(base))];
    return json(base);
  };
  /** A payload Flagger could send, with one or two metadata values from the mutation set. */
  const nearlyValid = (): string => {
    const m = meta();
    for (const k of Object.keys(m)) if (rnd() < 0.5) delete m[k];
    const check = pick(['quality', 'quality', 'step-hold']);
    const steps = check === 'step-hold' ? { stepWeights: '5,10', stepHolds: '0s,0s,0s' } : {};
    return json({
      name: 'bot',
      namespace: 'team-a',
      phase: 'Progressing',
      checksum: `c${int(20)}`,
      metadata: { check, token: agentToken(GATE_SECRET, 'team-a', 'bot'), ...steps, ...m },
    });
  };
  const body = (): string | undefined =>
    pick([
      () => undefined,
      nearlyValid,
      nearlyValid,
      nearlyValid,
      payloadBody,
      payloadBody,
      payloadBody,
      () => json({ weight: pick([5, 10, 25, 99, 0, 100, -1, 'x', null, 2.5]) }),
      () =>
        json({
          config: pick([{ modelId: str(8) }, { replicas: 3 }, 'x', null, { weight: 200 }]),
          branch: pick([undefined, 'main', 5]),
        }),
      () => deep(50 + int(3000)),
      () => payloadBody().slice(0, int(40)),
      () => str(200),
      () => '',
      () => 'null',
      () => '[]',
      () => '"x"',
    ])();
  return (): Req => {
    const b = body();
    const headers: Record<string, string> = {};
    const type = pick([
      'application/json',
      'application/json',
      'application/json',
      'application/json; charset=utf-8',
      'application/cloudevents+json',
      'text/plain',
      undefined,
      'application/x-www-form-urlencoded',
      'application/json'.repeat(20),
    ]);
    if (type !== undefined) headers['content-type'] = type;
    const auth = pick([
      undefined,
      `Bearer ${API_TOKEN}`,
      'Bearer wrong',
      'Basic Zm9vOmJhcg==',
      `Bearer ${'x'.repeat(5000)}`,
      'bearer',
      'Bearer ',
    ]);
    if (auth !== undefined) headers.authorization = auth;
    if (rnd() < 0.1)
      headers['x-request-id'] = pick(['ok-1', 'bad id with spaces', 'x'.repeat(300)]);
    if (rnd() < 0.05) headers['x-agent-canary-actor'] = str(300).replace(/[^\x20-\x7e]/g, 'a');
    const [path, usual] = target();
    const method =
      rnd() < 0.125 ? pick(['GET', 'POST', 'PATCH', 'PUT', 'DELETE', 'OPTIONS', 'HEAD']) : usual;
    return { method, path, headers, body: b };
  };
}

function send(base: URL, agent: http.Agent, r: Req): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        method: r.method,
        path: r.path,
        headers: r.headers,
        agent,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(r.body);
  });
}

/** Writes bytes that are not valid HTTP and waits for the server to answer or close. */
function raw(base: URL, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect(Number(base.port), base.hostname, () => s.end(bytes));
    s.on('data', () => undefined);
    s.on('close', () => resolve());
    s.on('error', () => resolve());
  });
}

describe('fuzz: the gate webhook and the canary API', () => {
  let root: string;
  let gate: StartedGate;
  beforeAll(async () => {
    root = tempDir('agent-canary-fuzz-');
    const { repo } = await seededRepo(root, [{ namespace: 'team-a', name: 'bot', weight: 5 }]);
    mkdirSync(join(root, 'mlruns', '0'), { recursive: true });
    gate = await startGateServer({
      logger: silentLogger,
      // A local MLflow store with no experiment: quality checks answer no-data, fast and offline.
      source: createSource({ uri: join(root, 'mlruns') }),
      secret: GATE_SECRET,
      routes: gitopsRoutes({ repo: repo.dir, token: API_TOKEN, onError: () => undefined }),
    });
  });
  afterAll(async () => {
    await gate?.close();
    removeDir(root);
  });

  it(
    `answers ${REQUESTS} generated requests, none with a 5xx, and survives ${RAW_STREAMS} non-HTTP streams`,
    { timeout: 600_000 },
    async () => {
      const base = new URL(gate.url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
      const next = generator(20261202);
      const statuses = new Map<number, number>();
      const fivexx: string[] = [];
      let failures = 0;
      try {
        // Four at a time: enough to interleave requests, bounded so the machine's load cannot matter.
        for (let i = 0; i < REQUESTS; i += 4) {
          const batch = Array.from({ length: Math.min(4, REQUESTS - i) }, () => next());
          const answers = await Promise.allSettled(batch.map((r) => send(base, agent, r)));
          answers.forEach((a, j) => {
            if (a.status === 'rejected') {
              failures++;
              return;
            }
            statuses.set(a.value, (statuses.get(a.value) ?? 0) + 1);
            if (a.value >= 500 && fivexx.length < 10)
              fivexx.push(
                `${a.value} ${batch[j]!.method} ${batch[j]!.path.slice(0, 80)} ${String(batch[j]!.body).slice(0, 120)}`,
              );
          });
        }
        const rnd = seededRandom(7);
        for (let i = 0; i < RAW_STREAMS; i++) {
          const bytes = Buffer.from(
            Array.from({ length: 1 + Math.floor(rnd() * 400) }, () => Math.floor(rnd() * 256)),
          );
          const prefix =
            i % 2 === 0
              ? Buffer.from(
                  `POST ${WEBHOOK_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: ${Math.floor(rnd() * 100)}\r\n`,
                )
              : Buffer.alloc(0);
          await raw(base, Buffer.concat([prefix, bytes]));
        }
      } finally {
        agent.destroy();
      }
      expect(fivexx).toEqual([]);
      expect(failures).toBe(0);
      expect([...statuses.values()].reduce((a, b) => a + b, 0)).toBe(REQUESTS);
      // Both parts were exercised, with answers of several kinds.
      expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThanOrEqual(
        5,
      );
      expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
      expect(statuses.get(412) ?? 0).toBeGreaterThan(0);
      console.log(
        `fuzz statuses: ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`,
      );
      expect((await fetch(`${gate.url}/healthz`)).status).toBe(200);
    },
  );
});
