/**
 * The canary API over the shared HTTP layer (createListener + createHttpServer, as the gate
 * mounts it) on 127.0.0.1, over real repositories with a bare remote: Recif's routes and
 * response shapes, problem+json errors, 503 without a repository (and recovery when it can be
 * opened later), 401 without the token, malformed input as 400, and 50 concurrent weight changes
 * giving 50 pushed commits and a clean `git fsck`.
 *
 * Every describe block seeds its own repository in its own beforeAll: no test reads what another
 * test wrote. Assertions are about counts and states, never durations.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitopsRoutes, type GitOpsApiOptions } from '../../src/gitops/api.js';
import { GitRepo } from '../../src/gitops/repo.js';
import type { GitOps } from '../../src/gitops/operations.js';
import { createListener } from '../../src/http/handler.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/http/log.js';
import { gitopsFor, seededRepo, type AgentFixture } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

const TOKEN = 's3cret-token';

interface Served {
  readonly url: string;
  close(): Promise<void>;
}

/** The routes behind the project's listener and server, as `agent-canary gate --repo` serves them. */
async function serve(opts: GitOpsApiOptions): Promise<Served> {
  const listener = createListener(gitopsRoutes({ onError: () => undefined, ...opts }), {
    logger: silentLogger,
  });
  // The 50 concurrent changes queue on the repository lock: on a busy 2-core machine the last
  // answer can come minutes after its request, past the default 120 s silent-socket limit.
  const server: Server = createHttpServer(listener, silentLogger, { socketTimeoutMs: 900_000 });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((r) => {
        server.close(() => r());
        server.closeIdleConnections();
      }),
  };
}

interface Fresh extends Served {
  readonly root: string;
  readonly repo: GitRepo;
  readonly bare: string;
  readonly gitops: GitOps;
  canary(id: string): string;
  dispose(): Promise<void>;
}

/** A new repository seeded with `agents`, pushed to a new bare remote, and an API server over a clone. */
async function freshApi(agents: readonly AgentFixture[]): Promise<Fresh> {
  const root = tempDir();
  const seeded = await seededRepo(root, agents, join(root, 'seed'));
  const bare = join(root, 'remote.git');
  git(root, 'clone', '-q', '--bare', seeded.repo.dir, bare);
  git(root, 'clone', '-q', `file://${bare}`, join(root, 'work'));
  const repo = await GitRepo.open(join(root, 'work'));
  const gitops = gitopsFor(repo);
  const served = await serve({ gitops, token: TOKEN });
  return {
    ...served,
    root,
    repo,
    bare,
    gitops,
    canary: (id) => `${served.url}/api/v1/agents/${id}/canary`,
    dispose: async () => {
      await served.close();
      removeDir(root);
    },
  };
}

function call(
  url: string,
  method: string,
  body?: unknown,
  token: string | null = TOKEN,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method,
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('canary API: 50 concurrent weight changes', () => {
  const MANY = 50;
  let f: Fresh;
  beforeAll(async () => {
    f = await freshApi(
      Array.from({ length: MANY }, (_, i) => ({
        namespace: `ns-${i % 5}`,
        name: `agent-${i}`,
        weight: 10,
      })),
    );
  });
  afterAll(() => f?.dispose());

  // Generous timeout: this test is about counts and states; a busy machine may take long.
  it(
    'answers 50 concurrent weight changes to different agents with 50 pushed commits and a clean fsck',
    { timeout: 900_000 },
    async () => {
      const before = commitCount(f.repo.dir);
      const answers = await Promise.all(
        Array.from({ length: MANY }, (_, i) =>
          call(f.canary(`ns-${i % 5}.agent-${i}`), 'PATCH', {
            weight: 25,
            force: true,
            reason: 'load test of the API',
          }),
        ),
      );
      const bodies = await Promise.all(
        answers.map(
          (r) => r.json() as Promise<{ data: { weight: number }; commit: { pushed: boolean } }>,
        ),
      );
      expect(answers.map((r) => r.status)).toEqual(Array(MANY).fill(200));
      expect(bodies.filter((b) => b.data.weight === 25 && b.commit.pushed)).toHaveLength(MANY);
      expect(commitCount(f.repo.dir)).toBe(before + MANY);
      expect(commitCount(f.bare, 'main')).toBe(before + MANY);
      const forced = git(
        f.repo.dir,
        'log',
        `-${MANY}`,
        '--format=%(trailers:key=Agent-Canary-Forced,valueonly)',
      )
        .split('\n')
        .filter(Boolean);
      expect(forced).toEqual(Array(MANY).fill('load test of the API'));
      const events = git(
        f.repo.dir,
        'log',
        `-${MANY}`,
        '--format=%(trailers:key=Agent-Canary-Agent,valueonly)',
      );
      expect(new Set(events.split('\n').filter((l) => l.startsWith('ns-'))).size).toBe(MANY);
      // The state each answer claims is the state in Git.
      for (let i = 0; i < MANY; i++) {
        const fleet = readFileSync(
          join(f.repo.dir, 'fleet', `ns-${i % 5}`, `agent-${i}.yaml`),
          'utf8',
        );
        expect(fleet, `agent-${i}`).toMatch(/^ {4}weight: 25\b/m);
      }
      for (const dir of [f.repo.dir, f.bare]) {
        expect(() => git(dir, 'fsck', '--full', '--strict', '--no-progress')).not.toThrow();
      }
      expect(git(f.repo.dir, 'status', '--porcelain')).toBe('');
    },
  );
});

describe('canary API: reads and refusals (nothing is committed)', () => {
  let f: Fresh;
  let head: string;
  beforeAll(async () => {
    f = await freshApi([
      { namespace: 'ns-0', name: 'agent-0', weight: 25 },
      { namespace: 'ns-1', name: 'agent-1', weight: 25 },
    ]);
    head = git(f.repo.dir, 'rev-parse', 'HEAD');
  });
  afterAll(() => f?.dispose());

  it('GET returns the Recif status shape without a token', async () => {
    const r = await call(f.canary('ns-1.agent-1'), 'GET', undefined, null);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^application\/json/);
    expect(r.headers.get('cache-control')).toBe('no-store');
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
    const r = await call(f.canary('ns-0.agent-0'), 'PATCH', { weight: 99 });
    expect(r.status).toBe(422);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const p = (await r.json()) as Record<string, unknown>;
    expect(p).toMatchObject({
      type: 'https://agent-canary.dev/problems/refused',
      title: 'Refused By Policy',
      status: 422,
      instance: '/api/v1/agents/ns-0.agent-0/canary',
    });
    expect(String(p['detail'])).toMatch(/skips step 50/);
    expect(git(f.repo.dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(f.bare, 'rev-parse', 'main')).toBe(head);
  });

  it('refuses an increase and a promotion with no quality gate wired in (422, saying so), and a force without a reason (400); nothing committed', async () => {
    const up = await call(f.canary('ns-0.agent-0'), 'PATCH', { weight: 50 });
    expect(up.status).toBe(422);
    const p = (await up.json()) as Record<string, unknown>;
    expect(p['type']).toBe('https://agent-canary.dev/problems/refused');
    expect(String(p['detail'])).toMatch(/no quality gate is configured here \(no MLflow\)/);
    expect(String(p['detail'])).toMatch(/"force": true/);
    const promote = await call(`${f.canary('ns-0.agent-0')}/promote`, 'POST', {});
    expect(promote.status).toBe(422);
    await promote.body?.cancel();
    const noReason = await call(f.canary('ns-0.agent-0'), 'PATCH', { weight: 50, force: true });
    expect(noReason.status).toBe(400);
    expect(((await noReason.json()) as { field: string }).field).toBe('"reason"');
    expect(git(f.repo.dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('401 on every mutating route without the right token; nothing committed', async () => {
    for (const [path, method, body] of [
      [f.canary('ns-0.agent-0'), 'PATCH', { weight: 50 }],
      [f.canary('ns-0.agent-0'), 'POST', { config: {} }],
      [`${f.canary('ns-0.agent-0')}/promote`, 'POST', undefined],
      [`${f.canary('ns-0.agent-0')}/rollback`, 'POST', undefined],
    ] as const) {
      const none = await call(path, method, body, null);
      expect(none.status).toBe(401);
      expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(((await none.json()) as { status: number }).status).toBe(401);
      const wrong = await call(path, method, body, 'not-the-token');
      expect(wrong.status).toBe(401);
      await wrong.body?.cancel();
    }
    expect(git(f.repo.dir, 'rev-parse', 'HEAD')).toBe(head);
  });

  it('400 for ids that are not DNS-1123, try to leave the fleet folder or are not valid percent-encoding; 404 for unknown agents', async () => {
    for (const id of [
      '..%2F..%2Fetc%2Fpasswd',
      'ns-0.Agent-0',
      'a.b.c',
      '-x.y',
      'ns-0%2F..',
      '%E0%A4%A',
      '%',
      'ns-0.%FF',
    ]) {
      const r = await call(f.canary(id), 'GET', undefined, null);
      expect(r.status, id).toBe(400);
      expect(((await r.json()) as { type: string }).type).toBe(
        'https://agent-canary.dev/problems/bad-request',
      );
    }
    const missing = await call(f.canary('ns-0.nobody'), 'GET', undefined, null);
    expect(missing.status).toBe(404);
    await missing.body?.cancel();
    // The server is still there after all of it.
    expect((await call(f.canary('ns-1.agent-1'), 'GET', undefined, null)).status).toBe(200);
  });

  it('400 for unknown config fields, bad weights and JSON nested too deep; 415 for a non-JSON body; 413 past the size limit', async () => {
    const unknown = await call(f.canary('ns-0.agent-0'), 'POST', {
      config: { modelId: 'x', replicas: 3 },
    });
    expect(unknown.status).toBe(400);
    expect(await unknown.json()).toMatchObject({ field: 'config.replicas' });
    const bad = await call(f.canary('ns-0.agent-0'), 'PATCH', { weight: 'fifty' });
    expect(bad.status).toBe(400);
    await bad.body?.cancel();
    const deep = await call(
      f.canary('ns-0.agent-0'),
      'PATCH',
      `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
    );
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ field: '(body)' });
    const text = await call(f.canary('ns-0.agent-0'), 'PATCH', 'weight=50', TOKEN, {
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
    await text.body?.cancel();
    const big = await call(f.canary('ns-0.agent-0'), 'PATCH', {
      weight: 50,
      pad: 'x'.repeat(70_000),
    });
    expect(big.status).toBe(413);
    await big.body?.cancel();
    expect(git(f.repo.dir, 'rev-parse', 'HEAD')).toBe(head);
  });
});

describe('canary API: start, promote, rollback', () => {
  let f: Fresh;
  beforeAll(async () => {
    f = await freshApi([
      { namespace: 'team-x', name: 'fresh' },
      { namespace: 'team-x', name: 'ending', weight: 50 },
      { namespace: 'team-x', name: 'failing', weight: 10 },
    ]);
  });
  afterAll(() => f?.dispose());

  it('starts with a config body', async () => {
    const start = await call(f.canary('fresh'), 'POST', {
      config: { modelId: 'gpt-4.1', challenger_version: 7 },
    });
    expect(start.status).toBe(200);
    const started = (await start.json()) as {
      data: Record<string, unknown>;
      commit: { event: string };
    };
    expect(started.data).toMatchObject({
      enabled: true,
      weight: 5,
      canary_version: '7',
      config: { modelId: 'gpt-4.1' },
    });
    expect(started.commit.event).toBe('AgentCanaryStarted');
  });

  it('promotes, and a second promote makes no commit', async () => {
    const p1 = await call(`${f.canary('team-x.ending')}/promote`, 'POST', {
      force: true,
      reason: 'release approved',
    });
    expect(p1.status).toBe(200);
    expect(await p1.json()).toMatchObject({
      status: 'promoted',
      agent_id: 'team-x/ending',
      changed: true,
      data: { enabled: false, stable_version: '4' },
    });
    const count = commitCount(f.repo.dir);
    const p2 = await call(`${f.canary('team-x.ending')}/promote`, 'POST', {
      force: true,
      reason: 'release approved',
    });
    expect(p2.status).toBe(200);
    expect(await p2.json()).toMatchObject({
      status: 'promoted',
      agent_id: 'team-x/ending',
      changed: false,
      commit: null,
      detail: expect.stringMatching(/no canary is running/),
    });
    expect(commitCount(f.repo.dir)).toBe(count);
  });

  it('rolls back, and a second rollback makes no commit', async () => {
    const r1 = await call(`${f.canary('team-x.failing')}/rollback`, 'POST');
    expect(await r1.json()).toMatchObject({
      status: 'rolled_back',
      agent_id: 'team-x/failing',
      changed: true,
    });
    const count = commitCount(f.repo.dir);
    const r2 = await call(`${f.canary('team-x.failing')}/rollback`, 'POST');
    expect(await r2.json()).toMatchObject({ status: 'rolled_back', changed: false, commit: null });
    expect(commitCount(f.repo.dir)).toBe(count);
  });
});

describe('canary API: repository availability', () => {
  it('503 on every route when no repository is configured', async () => {
    const api = await serve({ token: TOKEN });
    try {
      const get = await call(`${api.url}/api/v1/agents/a.b/canary`, 'GET', undefined, null);
      expect(get.status).toBe(503);
      expect(await get.json()).toMatchObject({
        status: 503,
        type: 'https://agent-canary.dev/problems/unavailable',
      });
      const patch = await call(`${api.url}/api/v1/agents/a.b/canary`, 'PATCH', { weight: 5 });
      expect(patch.status).toBe(503);
      await patch.body?.cancel();
    } finally {
      await api.close();
    }
  });

  it('a repository that cannot be opened at start is opened again later; its 503 never names it', async () => {
    const root = tempDir();
    const { repo } = await seededRepo(root, [{ namespace: 'team-a', name: 'bot', weight: 5 }]);
    const spec = 'https://user:hunter2@git.example.com/fleet.git';
    let attempts = 0;
    let remoteUp = false;
    const errors: unknown[] = [];
    const api = await serve({
      repo: spec,
      token: TOKEN,
      reopenAfterMs: 0,
      onError: (err) => errors.push(err),
      open: async (s) => {
        attempts++;
        expect(s).toBe(spec);
        if (!remoteUp) throw new Error(`cannot clone ${s}: connection refused`);
        return gitopsFor(repo);
      },
    });
    try {
      const url = `${api.url}/api/v1/agents/team-a.bot/canary`;
      const down = await call(url, 'GET', undefined, null);
      expect(down.status).toBe(503);
      expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
      const text = await down.text();
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain('git.example.com');
      remoteUp = true;
      const up = await call(url, 'GET', undefined, null);
      expect(up.status).toBe(200);
      expect(await up.json()).toMatchObject({ data: { agent_id: 'team-a/bot', weight: 5 } });
      expect(attempts).toBeGreaterThanOrEqual(2);
      expect(errors.length).toBeGreaterThanOrEqual(1);
    } finally {
      await api.close();
      removeDir(root);
    }
  });
});
