/**
 * The canary API as the gate server mounts it (`startGateServer({ routes: gitopsRoutes(...) })`),
 * with the repository named the way `agent-canary gate --repo` names it (a path string).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { startGateServer, type StartedGate } from '../../src/gate/server.js';
import { createLogger } from '../../src/http/log.js';
import { seededRepo } from './fixtures.js';
import { commitCount, removeDir, tempDir } from './git-helpers.js';

const TOKEN = 'gate-api-token';
let root: string;
let repoDir: string;
let gate: StartedGate;
let gateNoRepo: StartedGate;

beforeAll(async () => {
  root = tempDir();
  const { repo } = await seededRepo(root, [{ namespace: 'team-a', name: 'bot', weight: 5 }]);
  repoDir = repo.dir;
  const logger = createLogger({ level: 'silent' });
  const mlflow = { uri: join(root, 'mlruns') };
  gate = await startGateServer({
    logger,
    mlflow,
    routes: gitopsRoutes({ repo: repoDir, token: TOKEN, onError: () => undefined }),
  });
  gateNoRepo = await startGateServer({ logger, mlflow, routes: gitopsRoutes({ token: TOKEN }) });
});
afterAll(async () => {
  await gate?.close();
  await gateNoRepo?.close();
  removeDir(root);
});

describe('canary API on the gate server', () => {
  it('changes the weight with the token and refuses without it', async () => {
    const url = `${gate.url}/api/v1/agents/team-a.bot/canary`;
    const denied = await fetch(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"weight":10}',
    });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('content-type')).toMatch(/problem\+json/);
    await denied.body?.cancel();
    const before = commitCount(repoDir);
    const ok = await fetch(url, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{"weight":10,"force":true,"reason":"no gate in this test"}',
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      data: { agent_id: 'team-a/bot', weight: 10 },
      commit: { event: 'AgentCanaryWeightChanged' },
    });
    expect(commitCount(repoDir)).toBe(before + 1);
  });

  it('answers 503 problem+json when the server has no repository, and the webhook routes still work beside it', async () => {
    const r = await fetch(`${gateNoRepo.url}/api/v1/agents/team-a.bot/canary`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({
      type: 'https://agent-canary.dev/problems/unavailable',
      status: 503,
      instance: '/api/v1/agents/team-a.bot/canary',
    });
    const health = await fetch(`${gateNoRepo.url}/healthz`);
    expect(health.status).toBe(200);
    await health.body?.cancel();
  });
});
