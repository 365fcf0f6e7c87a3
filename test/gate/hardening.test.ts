/**
 * The gate under hostile input: a caller cannot steer or pin the verdict Flagger gets, every
 * request's work is bounded (templates, metric lists, metadata sizes, metric label values), MLflow's
 * own words never reach an answer, MLflow answers are read with a size cap, and connections that
 * never finish their request are closed by the server.
 */
import http from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, goodData, payload, post, type Fixture } from './helpers.js';
import { startGateServer } from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { RestSource } from '../../src/mlflow/rest.js';
import { parseMetricList } from '../../src/gate/settings.js';
import { silentLogger } from '../../src/http/log.js';
import { agentToken } from '../../src/http/auth.js';

async function listen(
  handler: http.RequestListener,
): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

describe('verdicts cannot be steered or pinned by a caller', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(goodData());
  });
  afterAll(() => f.close());

  it('onUnavailable from another caller does not change what Flagger gets while MLflow is down', async () => {
    f.standin.faults.fail500 = 1000;
    f.standin.faults.delayMs = 200;
    try {
      // The attacker asks first, with approve, and Flagger (reject) asks while that MLflow query
      // is in flight: sharing it must not hand Flagger the attacker's setting.
      const attacker = post(
        f.gate.url,
        payload({ onUnavailable: 'approve', timeout: '4s' }, { checksum: 'c-steer' }),
      );
      await new Promise((r) => setTimeout(r, 50));
      const flagger = post(
        f.gate.url,
        payload({ onUnavailable: 'reject', timeout: '4s' }, { checksum: 'c-steer' }),
      );
      const [a, b] = await Promise.all([attacker, flagger]);
      expect(a.status).toBe(200);
      expect(b.status).toBe(412);
      expect(b.body.outcome).toBe('unavailable');
    } finally {
      f.standin.faults.fail500 = 0;
      f.standin.faults.delayMs = 0;
    }
  });

  it('a different cacheTtl is a different cache entry, and one over 10m is refused', async () => {
    const pinned = await post(f.gate.url, payload({ cacheTtl: '10m' }, { checksum: 'c4' }));
    expect(pinned.body.cache).toBe('miss');
    const flagger = await post(f.gate.url, payload({ cacheTtl: '60s' }, { checksum: 'c4' }));
    expect(flagger.body.cache).toBe('miss');
    const again = await post(f.gate.url, payload({ cacheTtl: '60s' }, { checksum: 'c4' }));
    expect(again.body.cache).toBe('hit');
    const tooLong = await post(f.gate.url, payload({ cacheTtl: '10000h' }));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.field).toBe('metadata.cacheTtl');
  });

  it('a cached answer says the same as a fresh one, apart from the cache member', async () => {
    const body = payload({}, { checksum: 'c4-render' });
    const first = await post(f.gate.url, body);
    const second = await post(f.gate.url, body);
    expect(second.body.cache).toBe('hit');
    expect({ ...second.body, cache: undefined }).toEqual({ ...first.body, cache: undefined });
  });
});

describe('bounded work per request', () => {
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(goodData());
  });
  afterAll(() => f.close());

  it.each([
    ['experiment', '{name}'.repeat(5000)],
    ['experiment', `x${'{name}{namespace}'.repeat(40)}`],
    ['agent', 'a'.repeat(30_000)],
    ['agent', 'Not_A_Label'],
    ['metrics', `${' '.repeat(60_000)}x`],
    ['metrics', Array.from({ length: 60 }, (_, i) => `m${i}>=1`).join(',')],
  ])('answers 400 naming metadata.%s for an oversized or malformed value', async (key, value) => {
    const a = await post(f.gate.url, payload({ [key]: value }));
    expect(a.status).toBe(400);
    expect(a.body.field).toBe(`metadata.${key}`);
  });

  it('refuses too many metadata keys', async () => {
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'v']));
    const a = await post(f.gate.url, payload(many));
    expect(a.status).toBe(400);
    expect(a.body.field).toBe('metadata');
  });

  it('parses metric lists without backtracking: long runs of spaces are rejected, spaced items read', () => {
    expect(() => parseMetricList(`${' '.repeat(200_000)}x`)).toThrow(
      /is not 'key>=n|characters \(at most 4096\)/,
    );
    expect(() => parseMetricList(`a${' '.repeat(200_000)}>`)).toThrow(
      /is not 'key>=n|characters \(at most 4096\)/,
    );
    expect(parseMetricList('  safety/mean  >=  0.8 , latency/mean<=2e3 ')).toEqual([
      { key: 'safety/mean', direction: 'higher', threshold: 0.8 },
      { key: 'latency/mean', direction: 'lower', threshold: 2000 },
    ]);
  });

  it('keeps /metrics bounded whatever check, mode and token values callers send', async () => {
    for (let i = 0; i < 200; i++) {
      await post(f.gate.url, payload({ check: `check-${i}`, mode: `mode-${i}` }));
      await post(f.gate.url, payload({ mode: `mode-${i}`, passThreshold: 'x' }));
    }
    const text = await (await fetch(`${f.gate.url}/metrics`)).text();
    expect(text).not.toMatch(/check-\d|mode-\d/);
    expect(
      text.split('\n').filter((l) => l.startsWith('agent_canary_gate_decisions_total{')).length,
    ).toBeLessThan(30);
  });
});

describe('MLflow answers', () => {
  it('never copies MLflow error text (here an echoed Authorization header) into the webhook answer', async () => {
    let seen = '';
    const mlflow = await listen((req, res) => {
      seen = req.headers.authorization ?? '';
      const status = req.url?.includes('get-by-name') ? 403 : 500;
      res.writeHead(status, { 'Content-Type': 'application/json' });
      res.end(
        JSON.stringify({
          error_code: 'PERMISSION_DENIED',
          message: `proxy saw Authorization: ${seen}`,
        }),
      );
    });
    const gate = await startGateServer({
      logger: silentLogger,
      source: createSource({ uri: mlflow.url, username: 'svc', password: 'pa55-w0rd', retries: 0 }),
    });
    try {
      const a = await post(gate.url, payload());
      expect(seen).toMatch(/^Basic /);
      expect(a.status).toBe(412);
      const text = JSON.stringify(a.body);
      expect(text).not.toContain(seen.slice(6));
      expect(text).not.toContain('pa55-w0rd');
      expect(text).not.toContain('proxy saw');
      expect(String(a.body.message)).toMatch(/HTTP 403/);
    } finally {
      await gate.close();
      await gate.source.close();
      await mlflow.close();
    }
  });

  it('reads MLflow answers with a size cap: a larger answer is an unavailable source, not memory', async () => {
    const big = await listen((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent < 400 && res.write(chunk)) sent++;
        if (sent < 400) res.once('drain', more);
        else res.end('{}');
      };
      more();
    });
    const source = new RestSource({ uri: big.url, retries: 0, maxResponseBytes: 1024 * 1024 });
    try {
      await expect(source.getExperimentByName('x')).rejects.toMatchObject({
        reason: 'malformed',
        message: expect.stringMatching(/larger than 1048576 bytes/),
      });
    } finally {
      await source.close();
      await big.close();
    }
  });
});

describe('connections that never finish', () => {
  it('closes a connection whose body never arrives, and one whose headers never end', async () => {
    const gate = await startGateServer({
      logger: silentLogger,
      source: createSource({ uri: 'http://127.0.0.1:9', retries: 0 }),
      limits: { requestTimeoutMs: 1000, headersTimeoutMs: 1000 },
    });
    try {
      const { port } = new URL(gate.url);
      const closed = (bytes: string): Promise<string> =>
        new Promise((resolve) => {
          let answer = '';
          const s = connect(Number(port), '127.0.0.1', () => s.write(bytes));
          s.on('data', (d) => (answer += String(d)));
          s.on('close', () => resolve(answer));
          s.on('error', () => undefined);
        });
      const partialBody = await closed(
        'POST /api/v1/webhooks/flagger HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"name"',
      );
      expect(partialBody).toMatch(/^HTTP\/1\.1 408/);
      const partialHeaders = await closed('POST /api/v1/webhooks/flagger HTTP/1.1\r\nHost: x\r\n');
      expect(partialHeaders).toMatch(/^HTTP\/1\.1 408/);
      expect((await fetch(`${gate.url}/healthz`)).status).toBe(200);
    } finally {
      await gate.close();
    }
  });
});

describe('per-agent webhook tokens', () => {
  const SECRET = 'gate-secret-42';
  let f: Fixture;
  beforeAll(async () => {
    f = await fixture(goodData(), { secret: SECRET, token: 'legacy-shared' });
  });
  afterAll(() => f.close());

  it("accepts an agent's derived token only for that agent's namespace/name, and the shared token for any", async () => {
    const own = agentToken(SECRET, 'team-support', 'support-bot');
    expect(own).toMatch(/^[0-9a-f]{64}$/);
    expect((await post(f.gate.url, payload({ token: own }))).status).toBe(200);
    // The same token, read from Git by someone who wants to call for another agent.
    const other = await post(f.gate.url, payload({ token: own }, { name: 'billing-bot' }));
    expect(other.status).toBe(401);
    expect(other.body.detail).toMatch(/not valid for team-support\/billing-bot/);
    expect(
      (await post(f.gate.url, payload({ token: own }, { namespace: 'team-other' }))).status,
    ).toBe(401);
    expect((await post(f.gate.url, payload({ token: SECRET }))).status).toBe(401);
    expect((await post(f.gate.url, payload())).status).toBe(401);
    expect(
      (await post(f.gate.url, payload({ token: 'legacy-shared' }, { name: 'billing-bot' }))).status,
    ).not.toBe(401);
  });
});
