/**
 * bench/dashboard.ts: the time to serve the fleet overview of 1,000 agents, beside a bare
 * `git log` of the same repository in the same run.
 *
 *   npx tsx bench/dashboard.ts [--agents 1000] [--changes 40] [--runs 30]
 *
 * Builds a project of N manual-mode agents, seeds a Git repository with it (`synthToRepo`), gives
 * it a history (`--changes` weight changes through `GitOps.setWeight`, each a commit with its
 * trailers), and serves the dashboard routes on 127.0.0.1 as `agent-canary gate --repo` does.
 * Then times, over HTTP:
 * - cold: the first overview request (reads every fleet file and the whole history);
 * - warm: the same request again (`--runs` times; the page's first screen, 50 rows, and all rows);
 * - after a commit: the first request after one more weight change (the history and the fleet
 *   are brought up to date incrementally: one `git log old..new`, one file parsed again);
 * - baseline: `git log` of the same repository, spawned bare (default format), and with the
 *   dashboard's format (trailers and file names), each `--runs` times.
 * Prints medians and p95s. Target: warm overview <= 200 ms.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultEngine } from '../src/gitops/default-engine.js';
import { GitOps } from '../src/gitops/operations.js';
import { GitRepo } from '../src/gitops/repo.js';
import { synthToRepo } from '../src/gitops/synth-to-repo.js';
import { dashboardRoutes } from '../src/dashboard/routes.js';
import { QualityEngine } from '../src/gate/engine.js';
import { createSource } from '../src/mlflow/source.js';
import { createListener } from '../src/http/handler.js';
import { createHttpServer } from '../src/http/server.js';
import { silentLogger } from '../src/http/log.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '40' },
    runs: { type: 'string', default: '30' },
  },
});
const AGENTS = Number(values.agents);
const CHANGES = Math.min(Number(values.changes), AGENTS);
const RUNS = Number(values.runs);

const POLICY = `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  steps:
    - { weight: 5, hold: 0s }
    - { weight: 10, hold: 5m }
    - { weight: 25, hold: 10m }
    - { weight: 50, hold: 15m }
`;

function agentFile(ns: string, name: string, canary: boolean): string {
  return `apiVersion: agents.recif.dev/v1
kind: Agent
metadata:
  name: ${name}
  namespace: ${ns}
spec:
  name: ${name}
  framework: corail
  image: ghcr.io/recif-platform/corail:v0.3.1
  modelType: openai
  modelId: gpt-4o-mini
  version: "3"
${
  canary
    ? `  canary:
    enabled: true
    weight: 5
    modelId: gpt-4.1-mini
    version: "4"
`
    : ''
}rollout:
  mode: manual
  policy: default
`;
}

function ms(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(1)} ms, p95 ${q(0.95).toFixed(1)} ms (n=${s.length})`;
}

async function timeGet(url: string): Promise<{ ms: number; rows: number; bytes: number }> {
  const t = process.hrtime.bigint();
  const res = await fetch(url);
  const text = await res.text();
  const took = ms(t);
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return {
    ms: took,
    rows: (JSON.parse(text) as { data: unknown[] }).data.length,
    bytes: text.length,
  };
}

function timeGit(cwd: string, args: string[]): number {
  const t = process.hrtime.bigint();
  execFileSync('git', args, { cwd, maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
  return ms(t);
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'agent-canary-bench-dashboard-'));
  let server: Server | undefined;
  try {
    const project = join(root, 'project');
    mkdirSync(join(project, 'policies'), { recursive: true });
    writeFileSync(join(project, 'policies', 'default.yaml'), POLICY);
    const namespaces = Math.max(1, Math.ceil(AGENTS / 100));
    for (let i = 0; i < AGENTS; i++) {
      const ns = `team-${String(i % namespaces).padStart(2, '0')}`;
      mkdirSync(join(project, 'fleet', ns), { recursive: true });
      writeFileSync(
        join(project, 'fleet', ns, `agent-${String(i).padStart(4, '0')}.yaml`),
        agentFile(ns, `agent-${String(i).padStart(4, '0')}`, i % 2 === 0),
      );
    }
    let t = process.hrtime.bigint();
    const repo = await GitRepo.init(join(root, 'gitops'));
    await synthToRepo(repo, { projectDir: project });
    console.log(`seeded ${AGENTS} agents in ${(ms(t) / 1000).toFixed(1)} s`);
    const gitops = new GitOps(repo, { engine: defaultEngine({ validate: false }) });
    t = process.hrtime.bigint();
    for (let i = 0; i < CHANGES; i++) {
      const k = (i * 2) % AGENTS;
      const ns = `team-${String(k % namespaces).padStart(2, '0')}`;
      await gitops.setWeight(
        await gitops.resolve(`${ns}/agent-${String(k).padStart(4, '0')}`),
        10,
        { actor: 'bench' },
      );
    }
    const commits = execFileSync('git', ['rev-list', '--count', 'HEAD'], {
      cwd: repo.dir,
      encoding: 'utf8',
    }).trim();
    console.log(
      `history: ${CHANGES} weight changes in ${(ms(t) / 1000).toFixed(1)} s (${commits} commits)`,
    );

    const engine = new QualityEngine({ source: createSource({ uri: join(root, 'mlruns') }) });
    const listener = createListener(
      dashboardRoutes({ access: () => Promise.resolve(gitops), engine }),
      { logger: silentLogger },
    );
    server = createHttpServer(listener, silentLogger);
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/dashboard/agents`;
    const first = `${base}?offset=0&limit=50`;
    const all = `${base}?offset=0&limit=1000`;

    const cold = await timeGet(first);
    const warmFirst: number[] = [];
    const warmAll: number[] = [];
    let allRows = 0;
    let allBytes = 0;
    for (let i = 0; i < RUNS; i++) warmFirst.push((await timeGet(first)).ms);
    for (let i = 0; i < RUNS; i++) {
      const r = await timeGet(all);
      warmAll.push(r.ms);
      allRows = r.rows;
      allBytes = r.bytes;
    }
    const afterCommit: number[] = [];
    for (let i = 0; i < 5; i++) {
      const k = (2 * CHANGES + 2 * i) % AGENTS;
      const ns = `team-${String(k % namespaces).padStart(2, '0')}`;
      await gitops.setWeight(
        await gitops.resolve(`${ns}/agent-${String(k).padStart(4, '0')}`),
        10,
        { actor: 'bench' },
      );
      afterCommit.push((await timeGet(first)).ms);
    }

    const bareLog: number[] = [];
    const formatLog: number[] = [];
    for (let i = 0; i < RUNS; i++) bareLog.push(timeGit(repo.dir, ['log']));
    for (let i = 0; i < RUNS; i++)
      formatLog.push(
        timeGit(repo.dir, [
          'log',
          '--format=%x1e%H%x1f%ct%x1f%an%x1f%s%x1f%(trailers:only,unfold)%x1f',
          '--name-only',
          '--no-renames',
        ]),
      );

    console.log(`\noverview of ${AGENTS} agents (GET /api/v1/dashboard/agents over HTTP):`);
    console.log(
      `  cold, first request (every fleet file, whole history):  ${cold.ms.toFixed(1)} ms`,
    );
    console.log(`  warm, first page (50 rows):                             ${stats(warmFirst)}`);
    console.log(
      `  warm, all rows (${allRows} rows, ${(allBytes / 1024).toFixed(0)} KiB):                  ${stats(warmAll)}`,
    );
    console.log(`  first page after a new commit (incremental):            ${stats(afterCommit)}`);
    console.log(`baseline, the same repository (${Number(commits) + 5} commits):`);
    console.log(`  bare \`git log\`:                                         ${stats(bareLog)}`);
    console.log(`  \`git log\` with trailers and file names (as the reader): ${stats(formatLog)}`);
    const warm = [...warmAll].sort((a, b) => a - b)[Math.floor(warmAll.length / 2)]!;
    console.log(
      `\ntarget: warm overview <= 200 ms: ${warm <= 200 ? 'met' : 'NOT met'} (${warm.toFixed(1)} ms for all rows)`,
    );
  } finally {
    if (server) {
      const s = server;
      await new Promise<void>((r) => {
        s.close(() => r());
        s.closeIdleConnections();
      });
    }
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
