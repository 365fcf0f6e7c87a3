/** The REST client against a scripted server: retries, Retry-After, error codes, auth, deadlines. */
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { RestSource } from '../../src/mlflow/rest.js';
import { MlflowApiError, MlflowUnavailableError } from '../../src/mlflow/types.js';

type Reply = { status: number; body: string; headers?: Record<string, string> };
let server: http.Server | undefined;
const seen: { path: string; auth?: string; body: string }[] = [];

async function scripted(replies: Reply[]): Promise<string> {
  seen.length = 0;
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      seen.push({ path: req.url ?? '', auth: req.headers.authorization, body });
      const r = replies.shift() ?? { status: 200, body: '{}' };
      res.writeHead(r.status, { 'Content-Type': 'application/json', ...r.headers });
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const run = (id: string, extra: Record<string, unknown> = {}) => ({
  info: {
    run_id: id,
    experiment_id: '1',
    status: 'FINISHED',
    lifecycle_stage: 'active',
    start_time: '1700000000000',
  },
  data: extra,
});

describe('RestSource', () => {
  it('retries 429 (honouring Retry-After) and 503, then returns the page', async () => {
    const url = await scripted([
      {
        status: 429,
        body: '{"error_code":"REQUEST_LIMIT_EXCEEDED","message":"slow down"}',
        headers: { 'Retry-After': '0' },
      },
      { status: 503, body: '{"error_code":"TEMPORARILY_UNAVAILABLE","message":"x"}' },
      {
        status: 200,
        body: JSON.stringify({
          runs: [run('a', { metrics: [{ key: 'k', value: 'Infinity', timestamp: 1, step: '2' }] })],
          next_page_token: 'tok',
        }),
      },
    ]);
    const src = new RestSource({ uri: url, backoffMs: 5 });
    const res = await src.searchRuns({
      experiment_ids: ['1'],
      filter: "attributes.status = 'FINISHED'",
      order_by: ['attributes.start_time DESC'],
      max_results: 5,
    });
    expect(seen).toHaveLength(3);
    expect(JSON.parse(seen[0]!.body)).toEqual({
      experiment_ids: ['1'],
      filter: "attributes.status = 'FINISHED'",
      order_by: ['attributes.start_time DESC'],
      max_results: 5,
    });
    expect(res.next_page_token).toBe('tok');
    expect(res.runs[0]!.info.start_time).toBe(1700000000000);
    expect(res.runs[0]!.data.metrics).toEqual([
      { key: 'k', value: Infinity, timestamp: 1, step: 2 },
    ]);
    expect(res.runs[0]!.data.tags).toEqual([]);
    await src.close();
  });

  it('gives up after the retry limit, and never retries 501 or a 4xx MLflow error', async () => {
    const url = await scripted(
      Array.from({ length: 5 }, () => ({
        status: 500,
        body: '{"error_code":"INTERNAL_ERROR","message":"boom"}',
      })),
    );
    const src = new RestSource({ uri: url, retries: 2, backoffMs: 1 });
    await expect(src.searchRuns({ experiment_ids: ['1'] })).rejects.toMatchObject({
      kind: 'service-unavailable',
      reason: 'http',
      httpStatus: 500,
      errorCode: 'INTERNAL_ERROR',
    });
    expect(seen).toHaveLength(3);
    await src.close();
    await new Promise<void>((r) => server!.close(() => r()));
    const url2 = await scripted([
      { status: 400, body: '{"error_code":"INVALID_PARAMETER_VALUE","message":"bad filter"}' },
      { status: 501, body: '' },
    ]);
    const src2 = new RestSource({ uri: url2, backoffMs: 1 });
    const err = await src2
      .searchRuns({ experiment_ids: ['1'], filter: 'x' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MlflowApiError);
    expect(err).toMatchObject({
      kind: 'upstream',
      httpStatus: 400,
      errorCode: 'INVALID_PARAMETER_VALUE',
    });
    await expect(src2.searchRuns({ experiment_ids: ['1'] })).rejects.toBeInstanceOf(
      MlflowUnavailableError,
    );
    expect(seen).toHaveLength(2);
    await src2.close();
  });

  it('does not start a retry the deadline cannot hold', async () => {
    const url = await scripted([
      { status: 503, body: '{}', headers: { 'Retry-After': '600' } },
      { status: 200, body: '{}' },
    ]);
    const src = new RestSource({ uri: url });
    // Retry-After asks for 10 minutes, the deadline allows 10 s: the client must fail now with the
    // server's answer. A client that slept instead would outlive the test's timeout, and one that
    // retried would have read the scripted 200; no wall-clock bound is needed (busy machines).
    await expect(
      src.searchRuns({ experiment_ids: ['1'] }, { deadline: Date.now() + 10_000 }),
    ).rejects.toMatchObject({ reason: 'http', httpStatus: 503 });
    expect(seen).toHaveLength(1);
    await src.close();
  });

  it('maps 404 RESOURCE_DOES_NOT_EXIST to "no experiment", and a deleted experiment too', async () => {
    const url = await scripted([
      { status: 404, body: '{"error_code":"RESOURCE_DOES_NOT_EXIST","message":"nope"}' },
      {
        status: 200,
        body: '{"experiment":{"experiment_id":"7","name":"a b/c","lifecycle_stage":"deleted"}}',
      },
    ]);
    const src = new RestSource({ uri: `${url}/prefix/` });
    expect(await src.getExperimentByName('a b/c')).toBeNull();
    expect(await src.getExperimentByName('a b/c')).toBeNull();
    expect(seen[0]!.path).toBe(
      '/prefix/api/2.0/mlflow/experiments/get-by-name?experiment_name=a%20b%2Fc',
    );
    await src.close();
  });

  it('sends Basic when a username and password are set, else Bearer; URI credentials never show', async () => {
    const url = await scripted([]);
    const port = new URL(url).port;
    const basic = new RestSource({ uri: `http://u:p%40ss@127.0.0.1:${port}`, token: 'tok' });
    await basic.ping();
    expect(seen[0]!.auth).toBe(`Basic ${Buffer.from('u:p@ss').toString('base64')}`);
    expect(basic.location).toBe(`http://127.0.0.1:${port}`);
    const bearer = new RestSource({ uri: url, username: 'only-user', token: 'tok' });
    await bearer.ping();
    expect(seen[1]!.auth).toBe('Bearer tok');
    await basic.close();
    await bearer.close();
  });

  it('reports malformed JSON and unexpected shapes as unavailable', async () => {
    const url = await scripted([
      { status: 200, body: '<html>proxy error</html>' },
      { status: 200, body: '{"runs":[{"info":{"run_id":"x","status":"DONE"}}]}' },
    ]);
    const src = new RestSource({ uri: url });
    await expect(src.searchRuns({ experiment_ids: ['1'] })).rejects.toMatchObject({
      reason: 'malformed',
    });
    await expect(src.searchRuns({ experiment_ids: ['1'] })).rejects.toThrow(
      /status 'DONE' is not a run status/,
    );
    await src.close();
  });
});
