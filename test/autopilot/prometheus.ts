/**
 * A real Prometheus (`/usr/bin/prometheus`, Debian's package) for the autopilot's tests, scraping
 * two stand-in agent tracks (stable, canary): tiny HTTP servers whose `/metrics` serve Istio's
 * `istio_requests_total` and `istio_request_duration_milliseconds_bucket` with the labels the
 * MetricTemplates query (`reporter`, `destination_workload_namespace`, `destination_workload`,
 * `response_code`, `le`). Each scrape adds 100 requests per workload at its error rate and
 * latency, so rate() over the window gives exactly the configured shares.
 *
 * Start one per test file: Prometheus needs two scrapes (500 ms apart) before rate() has a value.
 * Readiness is waited for through `/-/ready`, the targets through `/api/v1/targets`, the data
 * through queries: no fixed sleeps.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
const BUCKETS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000];
const PER_SCRAPE = 100;

export interface Behaviour {
  /** Share of 5xx answers, 0..1. */
  readonly errorRate: number;
  /** Every request's latency in ms. */
  readonly latencyMs: number;
}

interface Series {
  behaviour: Behaviour;
  ok: number;
  errors: number;
  buckets: number[];
  count: number;
  sum: number;
}

/** One track (stable or canary) serving the Istio metrics of its workloads. */
export class Track {
  private readonly series = new Map<string, Series>();
  private server?: Server;
  url = '';

  /** Sets (or changes) how `namespace/workload` behaves from the next scrape on. */
  set(namespace: string, workload: string, behaviour: Behaviour): void {
    const key = `${namespace}\u0000${workload}`;
    const s = this.series.get(key);
    if (s) s.behaviour = behaviour;
    else
      this.series.set(key, {
        behaviour,
        ok: 0,
        errors: 0,
        buckets: BUCKETS.map(() => 0),
        count: 0,
        sum: 0,
      });
  }

  private scrape(): string {
    const lines = [
      '# TYPE istio_requests_total counter',
      '# TYPE istio_request_duration_milliseconds histogram',
    ];
    for (const [key, s] of this.series) {
      const [ns, wl] = key.split('\u0000') as [string, string];
      const errors = Math.round(PER_SCRAPE * s.behaviour.errorRate);
      s.errors += errors;
      s.ok += PER_SCRAPE - errors;
      s.count += PER_SCRAPE;
      s.sum += PER_SCRAPE * s.behaviour.latencyMs;
      BUCKETS.forEach((le, i) => {
        if (s.behaviour.latencyMs <= le) s.buckets[i]! += PER_SCRAPE;
      });
      const base = `reporter="destination",destination_workload_namespace="${ns}",destination_workload="${wl}"`;
      lines.push(`istio_requests_total{${base},response_code="200"} ${s.ok}`);
      lines.push(`istio_requests_total{${base},response_code="503"} ${s.errors}`);
      BUCKETS.forEach((le, i) =>
        lines.push(
          `istio_request_duration_milliseconds_bucket{${base},le="${le}"} ${s.buckets[i]}`,
        ),
      );
      lines.push(`istio_request_duration_milliseconds_bucket{${base},le="+Inf"} ${s.count}`);
      lines.push(`istio_request_duration_milliseconds_sum{${base}} ${s.sum}`);
      lines.push(`istio_request_duration_milliseconds_count{${base}} ${s.count}`);
    }
    return `${lines.join('\n')}\n`;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
        res.end(this.scrape());
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Polls `check` until it returns a value (each attempt waits for the previous answer). */
export async function until<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export class TestPrometheus {
  readonly stable = new Track();
  readonly canary = new Track();
  url = '';
  private child?: ChildProcess;
  private dir = '';
  private log = '';

  async start(): Promise<void> {
    await this.stable.start();
    await this.canary.start();
    this.dir = mkdtempSync(join(tmpdir(), 'agent-canary-prom-'));
    const config = join(this.dir, 'prometheus.yml');
    writeFileSync(
      config,
      `global:\n  scrape_interval: 500ms\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: tracks\n    static_configs:\n      - targets: ['${this.stable.url}', '${this.canary.url}']\n`,
    );
    const port = await freePort();
    this.url = `http://127.0.0.1:${port}`;
    this.child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(this.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--storage.tsdb.retention.time=1h',
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    this.child.stderr!.on(
      'data',
      (c: Buffer) => (this.log = (this.log + c.toString()).slice(-4000)),
    );
    await until(`Prometheus ready at ${this.url} (log: ${this.log})`, async () =>
      (await fetch(`${this.url}/-/ready`)).ok ? true : undefined,
    );
    await until('both tracks scraped (targets up)', async () => {
      const r = (await (await fetch(`${this.url}/api/v1/targets`)).json()) as {
        data: { activeTargets: { health: string }[] };
      };
      const t = r.data.activeTargets;
      return t.length === 2 && t.every((x) => x.health === 'up') ? true : undefined;
    });
  }

  /** The value of an instant query, or undefined while it has none. */
  async value(query: string): Promise<number | undefined> {
    const r = (await (
      await fetch(`${this.url}/api/v1/query?${new URLSearchParams({ query })}`)
    ).json()) as { data?: { result?: { value: [number, string] }[] } };
    const v = r.data?.result?.[0]?.value[1];
    return v === undefined || Number.isNaN(Number(v)) ? undefined : Number(v);
  }

  /** Waits until every query has a value (rate() needs two scrapes of a series). */
  async waitFor(queries: readonly string[]): Promise<void> {
    for (const q of queries) await until(`a value for ${q}`, () => this.value(q));
  }

  async stop(): Promise<void> {
    if (this.child && this.child.exitCode === null) {
      const exited = new Promise((r) => this.child!.once('exit', r));
      this.child.kill('SIGTERM');
      await exited;
    }
    await this.stable.stop();
    await this.canary.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
