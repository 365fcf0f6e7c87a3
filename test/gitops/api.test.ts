/**
 * The canary HTTP API over a real server on 127.0.0.1 and a real repository with a bare remote:
 * Recif's routes and response shapes, problem+json errors, 503 without a repository, 401 without
 * the token, and 50 concurrent weight changes giving 50 commits and a clean `git fsck`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { Router, type Route } from '../../src/http/router.js';
import { gitopsFor, seededRepo, type AgentFixture } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

const TOKEN = 's3cret-token';

/** A bare node:http server over the router, as the gate server mounts the routes. */
async function serve(routes: readonly Route[]): Promise<{ url: string; close(): Promise<void> }> {
  const router = new Router(routes);
  const server: Server = createServer((req, res) => {
    const m = router.match(req.method ?? 'GET', (req.url ?? '/').split('?')[0]!);
    if (m.kind === 'found') return void m.route.handler(req, res, m.params);
    res.writeHead(m.kind === 'not-found' ? 404 : 405).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) };
}

function call(url: string, method: string, body?: unknown, token: string | null = TOKEN, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method,
    headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

const MANY = 50;
let root: string;
let repo: GitRepo;
let bare: string;
let api: { url: string; close(): Promise<void> };

beforeAll(async () => {
  root = tempDir();
  const agents: AgentFixture[] = [
    ...Array.from({ length: MANY }, (_, i) => ({ namespace: `ns-${i % 5}`, name: `agent-${i}`, weight: 10 })),
    { namespace: 'team-x', name: 'fresh' },
    { namespace: 'team-x', name: 'ending', weight: 50 },
  ];
  const seeded = await seededRepo(root, agents, join(root, 'seed'));
  // The server works in a clone of a bare remote, so every commit is also pushed.
  bare = join(root, 'remote.git');
  git(root, 'clone', '-q', '--bare', seeded.repo.dir, bare);
  git(root, 'clone', '-q', `file://${bare}`, join(root, 'work'));
  repo = await GitRepo.open(join(root, 'work'));
  api = await serve(gitopsRoutes({ gitops: gitopsFor(repo), token: TOKEN, onError: () => undefined }));
});
afterAll(async () => {
  await api?.close();
  removeDir(root);
});

const canary = (id: string) => `${api.url}/api/v1/agents/${id}/canary`;

describe('canary API', () => {
  it('answers 50 concurrent weight changes to different agents with 50 pushed commits and a clean fsck', async () => {
    const before = commitCount(repo.dir);
    const answers = await Promise.all(Array.from({ length: MANY }, (_, i) => call(canary(`ns-${i % 5}.agent-${i}`), 'PATCH', { weight: 25 })));
    const bodies = await Promise.all(answers.map((r) => r.json() as Promise<{ data: { weight: number }; commit: { pushed: boolean } }>));
    expect(answers.map((r) => r.status)).toEqual(Array(MANY).fill(200));
    expect(bodies.every((b) => b.data.weight === 25 && b.commit.pushed)).toBe(true);
    expect(commitCount(repo.dir)).toBe(before + MANY);
    expect(commitCount(bare, 'main')).toBe(before + MANY);
    const events = git(repo.dir, 'log', `-${MANY}`, '--format=%(trailers:key=Agent-Canary-Event,valueonly)%(trailers:key=Agent-Canary-Agent,valueonly)');
    const agents = new Set(events.split('\n').filter((l) => l.startsWith('ns-')));
    expect(agents.size).toBe(MANY);
    for (const dir of [repo.dir, bare]) {
      expect(() => git(dir, 'fsck', '--full', '--strict', '--no-progress')).not.toThrow();
    }
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
  });

  it('GET returns the Recif status shape without a token', async () => {
    const r = await call(canary('ns-1.agent-1'), 'GET', undefined, null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await r.json()) as { data: Record<string, unknown> };
    expect(body.data).toEqual({
      agent_id: 'ns-1/agent-1',
      enabled: true,
      config: { modelId: 'gpt-4.1-mini' },
      stable_version: '3',
      canary_version: '4',
      weight: 25,
      mode: 'manual',
    });
  });

  it('refuses a skipped step as problem+json with no commit', async () => {
    const before = git(repo.dir, 'rev-parse', 'HEAD');
    const r = await call(canary('ns-0.agent-0'), 'PATCH', { weight: 99 });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const p = (await r.json()) as Record<string, unknown>;
    expect(p).toMatchObject({ type: 'https://agent-canary.dev/problems/refused', title: 'Refused By Policy', status: 422, instance: '/api/v1/agents/ns-0.agent-0/canary' });
    expect(String(p['detail'])).toMatch(/skips step 50/);
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(before);
    expect(git(bare, 'rev-parse', 'main')).toBe(before);
  });

  it('starts with a config body, then promote promotes and is idempotent', async () => {
    const start = await call(canary('fresh'), 'POST', { config: { modelId: 'gpt-4.1', challenger_version: 7 } });
    expect(start.status).toBe(200);
    const started = (await start.json()) as { data: Record<string, unknown>; commit: { event: string } };
    expect(started.data).toMatchObject({ enabled: true, weight: 5, canary_version: '7', config: { modelId: 'gpt-4.1' } });
    expect(started.commit.event).toBe('AgentCanaryStarted');

    const p1 = await call(`${canary('team-x.ending')}/promote`, 'POST');
    expect(p1.status).toBe(200);
    expect(await p1.json()).toMatchObject({ status: 'promoted', agent_id: 'team-x/ending', changed: true, data: { enabled: false, stable_version: '4' } });
    const count = commitCount(repo.dir);
    const p2 = await call(`${canary('team-x.ending')}/promote`, 'POST');
    expect(p2.status).toBe(200);
    expect(await p2.json()).toMatchObject({ status: 'promoted', agent_id: 'team-x/ending', changed: false, commit: null, detail: expect.stringMatching(/no canary is running/) });
    expect(commitCount(repo.dir)).toBe(count);
  });

  it('rolls back, and a second rollback makes no commit', async () => {
    const r1 = await call(`${canary('team-x.fresh')}/rollback`, 'POST');
    expect(await r1.json()).toMatchObject({ status: 'rolled_back', agent_id: 'team-x/fresh', changed: true });
    const count = commitCount(repo.dir);
    const r2 = await call(`${canary('team-x.fresh')}/rollback`, 'POST');
    expect(await r2.json()).toMatchObject({ status: 'rolled_back', changed: false, commit: null });
    expect(commitCount(repo.dir)).toBe(count);
  });

  it('401 on every mutating route without the right token; nothing committed', async () => {
    const count = commitCount(repo.dir);
    for (const [path, method, body] of [
      [canary('ns-2.agent-2'), 'PATCH', { weight: 50 }],
      [canary('ns-2.agent-2'), 'POST', { config: {} }],
      [`${canary('ns-2.agent-2')}/promote`, 'POST', undefined],
      [`${canary('ns-2.agent-2')}/rollback`, 'POST', undefined],
    ] as const) {
      const none = await call(path, method, body, null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await none.json()) as { status: number }).status).toBe(401);
      const wrong = await call(path, method, body, 'not-the-token');
      expect(wrong.status).toBe(401);
      await wrong.body?.cancel();
    }
    expect(commitCount(repo.dir)).toBe(count);
  });

  it('400 for ids that are not DNS-1123 or try to leave the fleet folder; 404 for unknown agents', async () => {
    for (const id of ['..%2F..%2Fetc%2Fpasswd', 'ns-0.Agent-0', 'a.b.c', '-x.y', 'ns-0%2F..']) {
      const r = await call(canary(id), 'GET', undefined, null);
      expect(r.status, id).toBe(400);
      expect(((await r.json()) as { type: string }).type).toBe('https://agent-canary.dev/problems/bad-request');
    }
    const missing = await call(canary('ns-0.nobody'), 'GET', undefined, null);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
  });

  it('400 for unknown config fields and bad weights, 415 for a non-JSON body', async () => {
    const unknown = await call(canary('ns-3.agent-3'), 'POST', { config: { modelId: 'x', replicas: 3 } });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ field: 'config.replicas' });
    const bad = await call(canary('ns-3.agent-3'), 'PATCH', { weight: 'fifty' });
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
    const text = await call(canary('ns-3.agent-3'), 'PATCH', 'weight=50', TOKEN, { 'content-type': 'text/plain' });
    expect(text.status).toBe(415);
    await text.body?.cancel();
  });

  it('503 on every route when no repository is configured', async () => {
    const bare503 = await serve(gitopsRoutes({ token: TOKEN }));
    try {
      const get = await call(`${bare503.url}/api/v1/agents/a.b/canary`, 'GET', undefined, null);
      expect(get.status).toBe(503);
      expect(await get.json()).toMatchObject({ status: 503, title: 'GitOps Repository Not Configured' });
      const patch = await call(`${bare503.url}/api/v1/agents/a.b/canary`, 'PATCH', { weight: 5 });
      expect(patch.status).toBe(503);
      await patch.body?.cancel();
    } finally {
      await bare503.close();
    }
  });
});
