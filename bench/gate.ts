/**
 * Gate benchmark (`npx tsx bench/gate.ts`), about 30 s:
 *
 * 1. Load: autocannon, 50 connections, 10 s, POST /api/v1/webhooks/flagger with a warm verdict
 *    cache, and the same load against a bare `node:http` JSON handler (reads the body, parses
 *    it, answers JSON), in alternating 5 s halves. Each server runs in its own process so
 *    autocannon does not share its event loop. Prints requests/s of both, their ratio and p99.
 * 2. Single-flight: 200 concurrent requests for one new revision; prints how many MLflow
 *    queries they caused, counted at the MLflow stand-in.
 *
 * Targets on the 2-core machine: ratio >= 0.7, p99 <= 10 ms, exactly 1 MLflow query.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { decideStrict } from '../src/gate/decide.js';
import { resolveSettings } from '../src/gate/settings.js';
import type { Evaluation, Evidence } from '../src/gate/evaluation.js';
import type { Verdict } from '../src/gate/verdict.js';

interface CannonResult {
  requests: { average: number; total: number };
  duration: number;
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Cannon = (opts: Record<string, unknown>) => Promise<CannonResult>;

const DURATION_S = 10;
const CONNECTIONS = 50;
const me = fileURLToPath(import.meta.url);

const body = (checksum: string): string =>
  JSON.stringify({
    name: 'support-bot',
    namespace: 'team-support',
    phase: 'Progressing',
    checksum,
    metadata: {
      check: 'quality',
      agent: 'support-bot',
      mode: 'strict',
      canaryVersion: '4',
      stableVersion: '3',
      minSamples: '20',
      cacheTtl: '60s',
      timeout: '8s',
    },
  });

/** Child roles: `--serve gate <mlflow-url>` or `--serve bare`; print the URL on stdout. */
async function serve(role: string, mlflow?: string): Promise<void> {
  if (role === 'gate') {
    const { startGateServer } = await import('../src/gate/server.js');
    const { createLogger } = await import('../src/http/log.js');
    const gate = await startGateServer({
      port: 0,
      mlflow: { uri: mlflow },
      logger: createLogger({ level: 'warn' }),
    });
    process.stdout.write(`${gate.url}\n`);
    return;
  }
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const p = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string };
      const out = Buffer.from(
        JSON.stringify({
          status: 'ok',
          message: `Quality gate passed (score=0.85)`,
          agent: p.name,
        }),
      );
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': out.length });
      res.end(out);
    });
  });
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () =>
    process.stdout.write(`http://127.0.0.1:${(server.address() as { port: number }).port}\n`),
  );
}

function child(args: string[]): Promise<{ proc: ChildProcess; url: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', me, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /(http:\/\/\S+)\n/.exec(out);
      if (m) resolve({ proc, url: m[1]! });
    });
    proc.on('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)));
  });
}

async function postOnce(url: string, payload: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/webhooks/flagger`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: payload,
  });
  await res.arrayBuffer();
  return res.status;
}

/** `agent_canary_gate_cache_total{result="miss"}` from the gate's /metrics: verdicts computed. */
async function cacheMisses(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = /^agent_canary_gate_cache_total\{result="miss"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/**
 * The decision on 10,000 per-row assessments per side (Mann-Whitney U over 20,000 values) beside
 * the same decision on aggregates only; medians of 21 runs in this process.
 */
function statisticalVerdictMs(): {
  stats: number;
  aggregate: number;
  runs: number;
  outcome: string;
} {
  const n = 10_000;
  let seedN = 42;
  const rand = (): number => (seedN = (seedN * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  // Judge-like scores: 1..5 ratings scaled to 0..1 (many ties), the canary slightly worse.
  const rows = (shift: number): number[] =>
    Array.from({ length: n }, () => Math.min(1, Math.max(0, Math.round(rand() * 4 + shift) / 4)));
  const canaryRows = rows(-0.2);
  const stableRows = rows(0);
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
  const run = (id: string, values: number[]): Evaluation => ({
    via: 'bench',
    run: {
      info: {
        run_id: id,
        run_uuid: id,
        experiment_id: '1',
        status: 'FINISHED',
        lifecycle_stage: 'active',
      },
      data: {},
    },
    metrics: new Map([['safety/mean', mean(values)]]),
    samples: { n, from: 'assessments' },
    rows: new Map([['safety', values]]),
    notes: [],
  });
  const s = resolveSettings(
    { canaryVersion: '4', stableVersion: '3', passThreshold: '0' },
    { name: 'bot', namespace: 'ns' },
  );
  const withRows: Evidence = {
    canary: { evaluation: run('c', canaryRows), unfinished: [], lookedFor: '' },
    stable: { evaluation: run('s', stableRows), unfinished: [], lookedFor: '' },
  };
  const noRows: Evidence = {
    canary: {
      evaluation: { ...withRows.canary.evaluation!, rows: new Map() },
      unfinished: [],
      lookedFor: '',
    },
    stable: {
      evaluation: { ...withRows.stable!.evaluation!, rows: new Map() },
      unfinished: [],
      lookedFor: '',
    },
  };
  const median = (ev: Evidence): { ms: number; v: Verdict } => {
    const times: number[] = [];
    let v: Verdict | undefined;
    for (let i = 0; i < 21; i++) {
      const t = process.hrtime.bigint();
      v = decideStrict(s, ev, { checksum: 'x' });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
    times.sort((a, b) => a - b);
    return { ms: times[10]!, v: v! };
  };
  const st = median(withRows);
  return {
    stats: st.ms,
    aggregate: median(noRows).ms,
    runs: 21,
    outcome: st.v.message.slice(0, 160),
  };
}

async function main(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as Cannon;
  const { startStandin } = await import('../src/mlflow-standin/server.js');
  const { seed } = await import('../src/mlflow-standin/writer.js');
  const dir = mkdtempSync(join(tmpdir(), 'bench-gate-'));
  const standin = await startStandin({ store: 'sqlite', path: join(dir, 'mlflow.db') });
  seed(standin.writer, [
    {
      name: 'recif/agents/support-bot',
      runs: [
        ...Array.from({ length: 40 }, (_, i) => ({
          tags: { 'recif.agent_version': String(i % 3) },
          metrics: { 'safety/mean': 0.9, samples: 50 },
        })),
        {
          tags: { 'recif.agent_version': '3' },
          metrics: { 'safety/mean': 0.9, 'relevance_to_query/mean': 0.8, samples: 50 },
        },
        {
          tags: { 'recif.agent_version': '4' },
          metrics: { 'safety/mean': 0.92, 'relevance_to_query/mean': 0.82, samples: 40 },
        },
      ],
    },
  ]);
  const procs: ChildProcess[] = [];
  try {
    const [gate, bare] = await Promise.all([
      child(['--serve', 'gate', standin.url]),
      child(['--serve', 'bare']),
    ]);
    procs.push(gate.proc, bare.proc);
    const warm = body('rev-warm');
    if ((await postOnce(gate.url, warm)) !== 200) throw new Error('warm-up request did not pass');
    const load = (url: string, seconds: number) =>
      autocannon({
        url: `${url}/api/v1/webhooks/flagger`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: warm,
        connections: CONNECTIONS,
        duration: seconds,
      });
    // A short warm-up of both, so the JIT is not measured.
    await autocannon({
      url: `${gate.url}/api/v1/webhooks/flagger`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: warm,
      connections: 10,
      amount: 2000,
    });
    await autocannon({
      url: `${bare.url}/api/v1/webhooks/flagger`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: warm,
      connections: 10,
      amount: 2000,
    });
    // The machine is shared: run the 10 s of each in alternating halves so a load spike from
    // elsewhere hits both sides alike. req/s = all requests / all seconds; p99 = the worse half.
    const halves: { gate: CannonResult[]; bare: CannonResult[] } = { gate: [], bare: [] };
    for (let round = 0; round < 2; round++) {
      halves.gate.push(await load(gate.url, DURATION_S / 2));
      halves.bare.push(await load(bare.url, DURATION_S / 2));
    }
    const combine = (rs: CannonResult[]) => ({
      rps: rs.reduce((a, r) => a + r.requests.total, 0) / rs.reduce((a, r) => a + r.duration, 0),
      p99: Math.max(...rs.map((r) => r.latency.p99)),
      avg: rs.reduce((a, r) => a + r.latency.average, 0) / rs.length,
      non2xx: rs.reduce((a, r) => a + r.non2xx, 0),
      errors: rs.reduce((a, r) => a + r.errors + r.timeouts, 0),
    });
    const g = combine(halves.gate);
    const b = combine(halves.bare);
    const ratio = g.rps / b.rps;
    console.log(`load: ${CONNECTIONS} connections, ${DURATION_S} s each (warm verdict cache)`);
    console.log(
      `  gate        ${g.rps.toFixed(0).padStart(7)} req/s   p99 ${g.p99} ms   avg ${g.avg.toFixed(2)} ms   non-2xx ${g.non2xx}   errors ${g.errors}`,
    );
    console.log(
      `  bare http   ${b.rps.toFixed(0).padStart(7)} req/s   p99 ${b.p99} ms   avg ${b.avg.toFixed(2)} ms`,
    );
    console.log(
      `  ratio gate/bare ${ratio.toFixed(2)} (target >= 0.7)   gate p99 ${g.p99} ms (target <= 10 ms)`,
    );

    // One verdict's MLflow requests (a revision asked once), the baseline for the 200 below.
    standin.resetCounts();
    if ((await postOnce(gate.url, body('rev-single'))) !== 200)
      throw new Error('single request did not pass');
    const perVerdict = standin.count();
    const missesBefore = await cacheMisses(gate.url);
    standin.resetCounts();
    const fresh = body('rev-new');
    const started = Date.now();
    const statuses = await Promise.all(
      Array.from({ length: 200 }, () => postOnce(gate.url, fresh)),
    );
    const ms = Date.now() - started;
    const verdicts = (await cacheMisses(gate.url)) - missesBefore;
    const byEndpoint = [...standin.requests].map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(
      `single-flight: 200 concurrent requests for one new revision in ${ms} ms, ${statuses.filter((s) => s === 200).length} x 200`,
    );
    console.log(
      `  verdicts computed: ${verdicts} (target 1)   MLflow requests: ${standin.count()} (${byEndpoint}); one request alone: ${perVerdict}`,
    );
    const stat = statisticalVerdictMs();
    console.log(
      `statistical verdict, 10,000 assessments per side: median ${stat.stats.toFixed(2)} ms of ${stat.runs} (target <= 50 ms)`,
    );
    console.log(
      `  baseline, the same verdict on aggregates only: median ${stat.aggregate.toFixed(3)} ms   -> ${stat.outcome}`,
    );
    const ok =
      ratio >= 0.7 &&
      g.p99 <= 10 &&
      verdicts === 1 &&
      standin.count() === perVerdict &&
      stat.stats <= 50;
    console.log(ok ? 'all targets met' : 'TARGET MISSED');
    process.exitCode = ok ? 0 : 1;
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await standin.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const i = process.argv.indexOf('--serve');
if (i !== -1) void serve(process.argv[i + 1]!, process.argv[i + 2]);
else await main();
