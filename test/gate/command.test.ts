/** `agent-canary gate` as a user runs it: flags, environment, a real process and a signal. */
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../../src/gate/command.js';
import { gitopsRoutes } from '../../src/gitops/api.js';
import { startGateServer } from '../../src/gate/server.js';
import { silentLogger } from '../../src/http/log.js';
import { createSource } from '../../src/mlflow/source.js';
import { startStandin } from '../../src/mlflow-standin/server.js';
import { seed } from '../../src/mlflow-standin/writer.js';
import { CLI_ARGS } from '../cli-entry.js';
import { goodData, payload, post, tempDir } from './helpers.js';

describe('agent-canary gate', () => {
  it('prints usage with --help and refuses bad flags with exit code 2', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(await run(['--mode', 'lenient'])).toBe(2);
    expect(await run(['--port', 'http'])).toBe(2);
    expect(await run(['--bogus'])).toBe(2);
  });

  it('mounts the GitOps API routes on the gate server; a repository that cannot be opened is a 503 that does not name it', async () => {
    const routes = gitopsRoutes({
      repo: '/nonexistent/user:pass@repo',
      token: 't',
      onError: () => undefined,
    });
    expect(routes.some((r) => r.path.startsWith('/api/v1/agents/'))).toBe(true);
    const gate = await startGateServer({
      logger: silentLogger,
      source: createSource({ uri: 'http://127.0.0.1:9' }),
      routes,
    });
    try {
      const res = await fetch(`${gate.url}/api/v1/agents/team.bot/canary`);
      expect(res.status).toBe(503);
      const text = await res.text();
      expect(text).not.toContain('nonexistent');
      expect(text).not.toContain('user:pass');
      expect((await fetch(`${gate.url}/healthz`)).status).toBe(200);
    } finally {
      await gate.close();
    }
  });

  it('serves the webhook from MLFLOW_TRACKING_URI and stops cleanly on SIGTERM, logging no secret', async () => {
    const tmp = tempDir();
    const standin = await startStandin({
      store: 'sqlite',
      path: join(tmp.dir, 'mlflow.db'),
      auth: { token: 'mlflow-bearer-77' },
    });
    seed(standin.writer, goodData());
    const child = spawn(
      process.execPath,
      [...CLI_ARGS, 'gate', '--port', '0', '--token', 'gate-tok-55'],
      {
        env: {
          ...process.env,
          MLFLOW_TRACKING_URI: standin.url,
          MLFLOW_TRACKING_TOKEN: 'mlflow-bearer-77',
          AGENT_CANARY_GATE_STATE: join(tmp.dir, 'state', 'holds.json'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    child.stderr.on('data', (c: Buffer) => (logs += c.toString()));
    child.stdout.on('data', (c: Buffer) => (logs += c.toString()));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`gate did not start: ${logs}`)), 15_000);
        child.stderr.on('data', () => {
          const m = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(logs);
          if (m) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        });
      });
      const a = await post(url, payload({ token: 'gate-tok-55' }));
      expect(a.status).toBe(200);
      expect(a.body.message).toMatch(/^Quality gate passed/);
      // AGENT_CANARY_GATE_STATE: step-hold state is written to that file.
      const h = await post(
        url,
        payload({
          token: 'gate-tok-55',
          check: 'step-hold',
          stepWeights: '5,10',
          stepHolds: '0s,1m,1m',
        }),
      );
      expect(h.status).toBe(412); // in flight (its quality call came first): held by the lost-state rule
      const state = JSON.parse(readFileSync(join(tmp.dir, 'state', 'holds.json'), 'utf8')) as {
        holds: Record<string, unknown>;
      };
      expect(Object.keys(state.holds)).toEqual(['team-support/support-bot/c4']);
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(0);
      expect(logs).toContain('"msg":"quality decision"');
      expect(logs).not.toContain('gate-tok-55');
      expect(logs).not.toContain('mlflow-bearer-77');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await standin.close();
      tmp.cleanup();
    }
  }, 30_000);
});
