/**
 * The canary API retries opening its repository: a repository that could not be opened when the
 * server started (not there yet, its remote down) answers 503 only until it can be opened.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { reopening } from '../../src/gitops/reopen.js';
import { startGateServer } from '../../src/gate/server.js';
import { createLogger } from '../../src/http/log.js';
import { seededRepo } from './fixtures.js';
import { removeDir, tempDir } from './git-helpers.js';

describe('reopening', () => {
  it('shares one attempt, keeps a success, and retries a failure only after the interval', async () => {
    let clock = 0;
    let calls = 0;
    let fail = true;
    const get = reopening(
      async () => {
        calls++;
        if (fail) throw new Error(`attempt ${calls} failed`);
        return calls;
      },
      { retryAfterMs: 1000, now: () => clock },
    );
    await expect(Promise.all([get(), get()])).rejects.toThrow('attempt 1 failed');
    expect(calls).toBe(1);
    clock = 999;
    await expect(get()).rejects.toThrow('attempt 1 failed');
    expect(calls).toBe(1);
    fail = false;
    clock = 1000;
    expect(await get()).toBe(2);
    clock = 99_999;
    expect(await get()).toBe(2);
    expect(calls).toBe(2);
  });
});

describe('canary API whose repository was not there at start-up', () => {
  it('answers 503 saying why, then serves the repository once it exists, without a restart', async () => {
    const root = tempDir();
    const logger = createLogger({ level: 'silent' });
    const repoDir = join(root, 'gitops');
    const gate = await startGateServer({
      logger,
      mlflow: { uri: join(root, 'mlruns') },
      routes: gitopsRoutes({ repo: repoDir, token: 't', onError: () => undefined, reopenAfterMs: 0 }),
    });
    try {
      const url = `${gate.url}/api/v1/agents/team-a.bot/canary`;
      const down = await fetch(url);
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({ type: 'https://agent-canary.dev/problems/unavailable', detail: expect.stringMatching(/does not exist/) });
      await seededRepo(root, [{ namespace: 'team-a', name: 'bot', weight: 5 }], repoDir);
      const up = await fetch(url);
      expect(up.status).toBe(200);
      expect(await up.json()).toMatchObject({ data: { agent_id: 'team-a/bot', weight: 5 } });
    } finally {
      await gate.close();
      removeDir(root);
    }
  });
});
