/**
 * The running canary API keeps its repository, engine and schema validators between requests,
 * but never the repository's state: when another writer (a CLI next to the server, here a second
 * GitOps on the same work tree) moves HEAD between two requests, the next request reads the new
 * state and the policy judges the move from it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { createListener } from '../../src/http/handler.js';
import { createHttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/http/log.js';
import { gitopsFor, seededRepo } from './fixtures.js';
import { git, removeDir, tempDir } from './git-helpers.js';

const TOKEN = 'fresh-state-token';
const ID = 'team-a.support-bot';

let root: string;
let server: Server;
let url: string;
let repo: GitRepo;

function call(method: string, body?: unknown): Promise<Response> {
  return fetch(`${url}/api/v1/agents/${ID}/canary`, {
    method,
    headers: {
      authorization: `Bearer ${TOKEN}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  root = tempDir();
  const seeded = await seededRepo(
    root,
    [{ namespace: 'team-a', name: 'support-bot', weight: 50 }],
    join(root, 'gitops'),
  );
  repo = seeded.repo;
  const listener = createListener(
    gitopsRoutes({ gitops: gitopsFor(repo), token: TOKEN, onError: () => undefined }),
    { logger: silentLogger },
  );
  server = createHttpServer(listener, silentLogger);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => {
    server?.close(() => r());
    server?.closeIdleConnections();
  });
  removeDir(root);
});

describe('canary API after another writer moved HEAD', () => {
  it('reads the new state and judges the next move from it', async () => {
    const first = await call('PATCH', { weight: 25 });
    expect(first.status).toBe(200);
    expect(((await first.json()) as { commit: { sha: string } }).commit.sha).toBe(
      git(repo.dir, 'rev-parse', 'HEAD'),
    );

    // Another writer, on the same work tree, moves the canary down to 10 %.
    const other = gitopsFor(await GitRepo.open(repo.dir));
    const moved = await other.setWeight({ namespace: 'team-a', name: 'support-bot' }, 10);
    expect(moved.commit).toBe(git(repo.dir, 'rev-parse', 'HEAD'));

    const status = (await (await call('GET')).json()) as { data: { weight: number } };
    expect(status.data.weight).toBe(10);

    // 10 % is what it has now: nothing to do (not 25 -> 10 from what the server saw before).
    const same = (await (await call('PATCH', { weight: 10 })).json()) as {
      changed: boolean;
      commit: unknown;
    };
    expect(same).toMatchObject({ changed: false, commit: null });

    const down = await call('PATCH', { weight: 5 });
    expect(down.status).toBe(200);
    const body = (await down.json()) as { commit: { sha: string }; data: { weight: number } };
    expect(body.data.weight).toBe(5);
    const trailers = git(
      repo.dir,
      'log',
      '-1',
      '--format=%(trailers:only,unfold)',
      body.commit.sha,
    );
    expect(trailers).toContain('Agent-Canary-Weight-From: 10');
    expect(trailers).toContain('Agent-Canary-Weight-To: 5');
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
  });
});
