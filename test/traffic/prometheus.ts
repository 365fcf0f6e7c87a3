/**
 * A real Prometheus (/usr/bin/prometheus) on 127.0.0.1 scraping a loopback exporter every second,
 * for tests of the traffic PromQL. The exporter's counters grow by fixed amounts per scrape, so
 * every rate ratio (5xx percent, quantiles) is exact whatever the machine's speed; tests wait for
 * the samples to arrive (an event), never for a duration.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export const PROMETHEUS_BIN = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

/** One counter or bucket series and how much it grows per scrape. */
export interface GrowingSeries {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly perScrape: number;
}

export interface RunningPrometheus {
  readonly url: string;
  query(q: string): Promise<number[]>;
  stop(): Promise<void>;
}

function render(series: readonly GrowingSeries[], scrapes: number): string {
  const lines: string[] = [];
  for (const s of series) {
    const labels = Object.entries(s.labels)
      .map(([k, v]) => `${k}="${v}"`)
      .join(',');
    lines.push(`${s.name}{${labels}} ${s.perScrape * scrapes}`);
  }
  return lines.join('\n') + '\n';
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  limitMs = 60_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - start > limitMs) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Starts the exporter and Prometheus; resolves once every series has at least `samples` samples. */
export async function startPrometheus(
  series: readonly GrowingSeries[],
  samples = 3,
): Promise<RunningPrometheus> {
  let scrapes = 0;
  const exporter: Server = createServer((_req, res) => {
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    res.end(render(series, scrapes));
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', () => r()));
  const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
  const dir = mkdtempSync(join(tmpdir(), 'ac-prom-'));
  writeFileSync(
    join(dir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\nscrape_configs:\n  - job_name: agents\n    honor_labels: true\n    static_configs: [{ targets: ['${target}'] }]\n`,
  );
  const port = await freePort();
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=error',
    ],
    { stdio: 'ignore' },
  );
  const url = `http://127.0.0.1:${port}`;
  const query = async (q: string): Promise<number[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await res.json()) as {
      status: string;
      error?: string;
      data?: { result: { value: [number, string] }[] };
    };
    if (body.status !== 'success') throw new Error(`query failed: ${body.error}`);
    return body.data!.result.map((r) => Number(r.value[1]));
  };
  const stop = async (): Promise<void> => {
    if (child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await new Promise<void>((r) => exporter.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const name = series[0]!.name;
    await until('Prometheus samples', async () => {
      const v = await query(`min(count_over_time(${name}[1m]))`);
      return v.length && v[0]! >= samples ? true : undefined;
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return { url, query, stop };
}
