/** Shared fixtures: a seeded MLflow stand-in, a gate in front of it, and a Flagger-shaped POST. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startStandin, type Standin } from '../../src/mlflow-standin/server.js';
import { seed, type SeedExperiment } from '../../src/mlflow-standin/writer.js';
import {
  startGateServer,
  type GateServerOptions,
  type StartedGate,
} from '../../src/gate/server.js';
import { createSource } from '../../src/mlflow/source.js';
import { silentLogger } from '../../src/http/log.js';

export const EXPERIMENT = 'recif/agents/support-bot';

/** Stable v3 (good), canary v4 / checksum c4 (good on every metric). */
export function goodData(
  overrides: { canary?: Record<string, number>; stable?: Record<string, number> } = {},
): SeedExperiment[] {
  return [
    {
      name: EXPERIMENT,
      runs: [
        {
          tags: { 'recif.agent_version': '3' },
          metrics: {
            'safety/mean': 0.9,
            'relevance_to_query/mean': 0.8,
            samples: 50,
            ...overrides.stable,
          },
        },
        {
          tags: { 'recif.agent_version': '4', checksum: 'c4' },
          metrics: {
            'safety/mean': 0.92,
            'relevance_to_query/mean': 0.82,
            samples: 40,
            ...overrides.canary,
          },
        },
      ],
    },
  ];
}

export function tempDir(prefix = 'gate-test-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Fixture {
  readonly standin: Standin;
  readonly gate: StartedGate;
  close(): Promise<void>;
}

/** A stand-in (SQLite layout unless told) seeded with `data`, and a gate reading it over REST. */
export async function fixture(
  data: readonly SeedExperiment[],
  gateOpts: GateServerOptions = {},
  store: 'sqlite' | 'file' = 'sqlite',
): Promise<Fixture> {
  const tmp = tempDir();
  const standin = await startStandin({
    store,
    path: join(tmp.dir, store === 'sqlite' ? 'mlflow.db' : 'mlruns'),
  });
  seed(standin.writer, data);
  const gate = await startGateServer({
    logger: silentLogger,
    source:
      gateOpts.source ??
      createSource({
        uri: standin.url,
        retries: 3,
        backoffMs: 10,
        callTimeoutMs: 2000,
        ...gateOpts.mlflow,
      }),
    ...gateOpts,
  });
  return {
    standin,
    gate,
    close: async () => {
      await gate.close();
      await gate.source.close();
      await standin.close();
      tmp.cleanup();
    },
  };
}

export interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly headers: Headers;
  readonly ms: number;
}

export function payload(
  metadata: Record<string, string> = {},
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name: 'support-bot',
    namespace: 'team-support',
    phase: 'Progressing',
    checksum: 'c4',
    metadata: {
      check: 'quality',
      agent: 'support-bot',
      canaryVersion: '4',
      stableVersion: '3',
      ...metadata,
    },
    ...extra,
  };
}

export async function post(
  url: string,
  body: unknown,
  init: { contentType?: string; raw?: string; method?: string } = {},
): Promise<Answer> {
  const started = Date.now();
  const res = await fetch(`${url}/api/v1/webhooks/flagger`, {
    method: init.method ?? 'POST',
    headers: { 'Content-Type': init.contentType ?? 'application/json' },
    body: init.method === 'GET' ? undefined : (init.raw ?? JSON.stringify(body)),
  });
  const text = await res.text();
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed, headers: res.headers, ms: Date.now() - started };
}
