import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import { fixture, goodData, payload, post, type Fixture } from './helpers.js';
import { createLogger } from '../../src/http/log.js';

describe('webhook HTTP contract', () => {
  let f: Fixture;
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk, _e, cb) {
      lines.push(String(chunk));
      cb();
    },
  });
  beforeAll(async () => {
    const boom = {
      method: 'GET' as const,
      path: '/boom',
      handler: () => {
        throw new Error('db password is hunter2');
      },
    };
    f = await fixture(goodData({ canary: { 'safety/mean': 0.5 } }), {
      token: 'tok-3141',
      logger: createLogger({ level: 'debug', stream }),
      routes: [boom],
    });
  });
  afterAll(() => f.close());
  const good = (m: Record<string, string> = {}) => payload({ token: 'tok-3141', ...m });

  it('answers 200 with the Recif message and a per-metric breakdown when the gate passes', async () => {
    const a = await post(f.gate.url, good({ mode: 'recif' }));
    expect(a.status).toBe(200);
    expect(a.body.status).toBe('ok');
    expect(a.body.message).toMatch(/^Quality gate passed \(score=\d+\.\d\d\)$/);
    expect(Array.isArray(a.body.metrics)).toBe(true);
  });

  it('answers 412 with the reason when a metric fails in strict mode', async () => {
    const a = await post(f.gate.url, good());
    expect(a.status).toBe(412);
    expect(a.body.status).toBe('failed');
    expect(a.body.message).toMatch(
      /^Quality gate failed \(score=0\.\d\d\): safety\/mean=0\.5 < 0\.6/,
    );
    const safety = (a.body.metrics as { key: string; passed: boolean; value: number }[]).find(
      (m) => m.key === 'safety/mean',
    );
    expect(safety).toMatchObject({ passed: false, value: 0.5 });
  });

  it('answers 405 with Allow for another method', async () => {
    const a = await post(f.gate.url, undefined, { method: 'GET' });
    expect(a.status).toBe(405);
    expect(a.headers.get('allow')).toBe('POST');
  });

  it('answers 415 for a body that is not declared JSON, before reading it', async () => {
    const a = await post(f.gate.url, good(), { contentType: 'text/plain' });
    expect(a.status).toBe(415);
    expect(a.headers.get('content-type')).toMatch(/application\/problem\+json/);
  });

  it('answers 400 for invalid JSON', async () => {
    const a = await post(f.gate.url, undefined, { raw: '{"name": ' });
    expect(a.status).toBe(400);
    expect(a.body.detail).toMatch(/not valid JSON/);
  });

  it('answers 400 for JSON nested too deep, and keeps serving', async () => {
    for (const raw of [
      `${'['.repeat(20_000)}${']'.repeat(20_000)}`,
      `{"name":"a","metadata":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`,
    ]) {
      const a = await post(f.gate.url, undefined, { raw });
      expect(a.status).toBe(400);
      expect(a.body.detail).toMatch(/nests deeper than/);
    }
    expect((await post(f.gate.url, good({ mode: 'recif' }))).status).toBe(200);
  });

  it.each([
    [{ ...good(), name: undefined }, 'name'],
    [{ ...good(), namespace: 'Team_A' }, 'namespace'],
    [{ ...good(), phase: 3 }, 'phase'],
    [{ ...good(), metadata: { token: 'tok-3141', minSamples: 20 } }, 'metadata.minSamples'],
    [good({ passThreshold: 'high' }), 'metadata.passThreshold'],
    [good({ metrics: 'safety/mean>0.8' }), 'metadata.metrics'],
    [good({ mode: 'lenient' }), 'metadata.mode'],
    [good({ check: 'vibes' }), 'metadata.check'],
    [good({ cacheTtl: '1d' }), 'metadata.cacheTtl'],
    [good({ check: 'step-hold', stepWeights: '5,10', stepHolds: '0s' }), 'metadata.stepHolds'],
  ])('answers 400 naming the field at fault (%#: %s)', async (body, field) => {
    const a = await post(f.gate.url, body);
    expect(a.status).toBe(400);
    expect(a.body.field).toBe(field);
    expect(String(a.body.detail)).toContain(field);
    expect(String(a.body.detail)).toMatch(/Fix:/);
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const a = await post(f.gate.url, good({ padding: 'x'.repeat(70 * 1024) }));
    expect(a.status).toBe(413);
  });

  it('answers 401 when metadata.token is missing or wrong, and never logs the token', async () => {
    const missing = await post(f.gate.url, payload());
    expect(missing.status).toBe(401);
    expect(missing.body.field).toBe('metadata.token');
    const wrong = await post(f.gate.url, payload({ token: 'tok-3142' }));
    expect(wrong.status).toBe(401);
    expect(lines.join('')).not.toContain('tok-314');
    expect(lines.some((l) => l.includes('"requestId"'))).toBe(true);
  });

  it('answers 404 for an unknown path and echoes a sane X-Request-Id', async () => {
    const res = await fetch(`${f.gate.url}/nope`, { headers: { 'X-Request-Id': 'trace-42' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-request-id')).toBe('trace-42');
  });

  it('answers 500 without leaking the cause, which goes to the log with the request id', async () => {
    const res = await fetch(`${f.gate.url}/boom`);
    expect(res.status).toBe(500);
    const body = (await res.json()) as { detail: string };
    expect(body.detail).not.toContain('hunter2');
    expect(body.detail).toContain(res.headers.get('x-request-id')!);
    expect(
      lines.some(
        (l) => l.includes('"unhandled error"') && l.includes(res.headers.get('x-request-id')!),
      ),
    ).toBe(true);
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    expect((await fetch(`${f.gate.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${f.gate.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(((await ready.json()) as { mlflow: { source: string } }).mlflow.source).toBe('rest');
    const metrics = await (await fetch(`${f.gate.url}/metrics`)).text();
    expect(metrics).toMatch(
      /agent_canary_gate_decisions_total\{check="quality",mode="strict",result="fail"\} \d+/,
    );
    expect(metrics).toMatch(/agent_canary_gate_decisions_total\{[^}]*result="unauthorized"\} 2/);
    expect(metrics).toMatch(
      /agent_canary_gate_mlflow_request_duration_seconds_bucket\{source="rest",operation="runs\/search",outcome="ok",le="\+Inf"\} \d+/,
    );
  });

  it('reports not ready when MLflow is down', async () => {
    f.standin.faults.fail500 = 10;
    const ready = await fetch(`${f.gate.url}/readyz`);
    f.standin.faults.fail500 = 0;
    expect(ready.status).toBe(503);
  });
});
