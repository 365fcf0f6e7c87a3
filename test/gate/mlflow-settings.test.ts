/**
 * MLflow client settings users already have: TLS (insecure, server CA, client certificate), the
 * workspace, timeouts, and a warning for MLflow settings the gate does not support.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startStandin, type Standin } from '../../src/mlflow-standin/server.js';
import { seed } from '../../src/mlflow-standin/writer.js';
import { createSource } from '../../src/mlflow/source.js';
import { readMlflowEnv } from '../../src/mlflow/env.js';
import { goodData, tempDir } from './helpers.js';

const TLS = join(dirname(fileURLToPath(import.meta.url)), '../fixtures/tls');
const pem = (f: string): string => readFileSync(join(TLS, f), 'utf8');

describe('readMlflowEnv', () => {
  it('reads the workspace, TLS files and timeouts, and warns about unsupported settings', () => {
    const env = readMlflowEnv({
      MLFLOW_WORKSPACE: 'team-a',
      MLFLOW_TRACKING_SERVER_CERT_PATH: join(TLS, 'server.crt'),
      MLFLOW_TRACKING_CLIENT_CERT_PATH: join(TLS, 'client.pem'),
      MLFLOW_HTTP_REQUEST_TIMEOUT: '20',
      MLFLOW_HTTP_REQUEST_MAX_RETRIES: '2',
      MLFLOW_TRACKING_AWS_SIGV4: 'true',
      MLFLOW_S3_ENDPOINT_URL: 'http://minio',
    });
    expect(env).toMatchObject({
      workspace: 'team-a',
      callTimeoutMs: 20_000,
      retries: 2,
      tls: { verify: true },
    });
    expect(env.tls.ca).toContain('BEGIN CERTIFICATE');
    expect(env.tls.key).toContain('PRIVATE KEY');
    expect(env.warnings).toEqual([
      expect.stringMatching(/^MLFLOW_TRACKING_AWS_SIGV4 is set but the gate does not support it/),
    ]);
  });

  it('names the variable and the fix for a bad value', () => {
    expect(() =>
      readMlflowEnv({ MLFLOW_TRACKING_SERVER_CERT_PATH: '/nonexistent/ca.pem' }),
    ).toThrow(
      /MLFLOW_TRACKING_SERVER_CERT_PATH=\/nonexistent\/ca\.pem: cannot read the file \(ENOENT\)/,
    );
    expect(() =>
      readMlflowEnv({ MLFLOW_TRACKING_CLIENT_CERT_PATH: join(TLS, 'client.crt') }),
    ).toThrow(/holds no private key. Fix: concatenate/);
    expect(() =>
      readMlflowEnv({
        MLFLOW_TRACKING_INSECURE_TLS: 'true',
        MLFLOW_TRACKING_SERVER_CERT_PATH: join(TLS, 'server.crt'),
      }),
    ).toThrow(/both set/);
    expect(() => readMlflowEnv({ MLFLOW_WORKSPACE: 'Team A' })).toThrow(
      /MLFLOW_WORKSPACE=Team A: not a workspace name/,
    );
    expect(() => readMlflowEnv({ MLFLOW_HTTP_REQUEST_TIMEOUT: 'soon' })).toThrow(
      /MLFLOW_HTTP_REQUEST_TIMEOUT=soon/,
    );
  });
});

describe('TLS to an HTTPS MLflow', () => {
  const tmp = tempDir('mlflow-tls-');
  let plain: Standin;
  let mutual: Standin;
  beforeAll(async () => {
    plain = await startStandin({
      store: 'sqlite',
      path: join(tmp.dir, 'a.db'),
      tls: { cert: pem('server.crt'), key: pem('server.key') },
    });
    mutual = await startStandin({
      store: 'sqlite',
      path: join(tmp.dir, 'b.db'),
      tls: { cert: pem('server.crt'), key: pem('server.key'), ca: pem('client.crt') },
    });
    seed(plain.writer, goodData());
    seed(mutual.writer, goodData());
  });
  afterAll(async () => {
    await plain.close();
    await mutual.close();
    tmp.cleanup();
  });

  const read = async (uri: string, env: NodeJS.ProcessEnv): Promise<string> => {
    const e = readMlflowEnv(env);
    const source = createSource({ uri, tls: e.tls, retries: 0 });
    try {
      return (await source.getExperimentByName('recif/agents/support-bot'))?.name ?? 'none';
    } catch (err) {
      return (err as Error).message;
    } finally {
      await source.close();
    }
  };

  it('refuses an unknown certificate, trusts it with the CA file or with insecure TLS', async () => {
    expect(await read(plain.url, {})).toMatch(/self[- ]signed|unable to verify|SELF_SIGNED/i);
    expect(
      await read(plain.url, { MLFLOW_TRACKING_SERVER_CERT_PATH: join(TLS, 'server.crt') }),
    ).toBe('recif/agents/support-bot');
    expect(await read(plain.url, { MLFLOW_TRACKING_INSECURE_TLS: 'true' })).toBe(
      'recif/agents/support-bot',
    );
  });

  it('presents the client certificate when the server requires one', async () => {
    const ca = { MLFLOW_TRACKING_SERVER_CERT_PATH: join(TLS, 'server.crt') };
    expect(await read(mutual.url, ca)).not.toBe('recif/agents/support-bot');
    expect(
      await read(mutual.url, { ...ca, MLFLOW_TRACKING_CLIENT_CERT_PATH: join(TLS, 'client.pem') }),
    ).toBe('recif/agents/support-bot');
  });
});
