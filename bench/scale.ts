/**
 * bench/scale.ts: a fleet of 10,000 agents on this machine (issue 15).
 *
 *   npm run bench:scale -- [--agents 10000] [--namespaces 100] [--keep] [--only synth]
 *
 * `--only synth` stops after the synthesis rows and the `cp -r` baseline (no validate, no Git).
 *
 * Builds N agents in M namespaces (half manual, half progressive: bench/scale-fleet.ts) in a temp
 * folder and times, each in a fresh process of the compiled CLI (`npm run build` first) with its
 * peak resident memory (bench/peak-rss.mjs, preloaded; the gate server's from /proc):
 *
 *   full synth          `synth` into an empty dist/ with an empty cache
 *   no-change synth     `synth` again (every agent from the cache)
 *   one-agent synth     `synth` after one fleet file's weight changed
 *   validate            `validate dist` (every object)
 *   validate --base     `validate --base main` on a branch whose commit changes one agent
 *   canary weight (CLI) `canary weight <agent> 25` in the Git repository of that tree
 *   canary weight (API) PATCH /api/v1/agents/<id>/canary on a running `gate --repo` (2nd..4th call)
 *
 * Baselines measured in the same run: `cp -r` of the project tree (fleet/, policies/, dist/),
 * `git status` in its repository, and a bare `git add` + `git commit` of the same two files a
 * weight change commits. Targets (issue 15): full synth <= 15 s, one-agent synth <= 1 s, validate
 * <= 5 s, validate --base <= 2 s, weight change <= 1.5 s (CLI) / 0.5 s (API) and at most 3x the
 * bare commit, every peak <= 400 MB.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { scaleAgent, writeScaleProject } from './scale-fleet.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '100' },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
    only: { type: 'string' },
  },
});
if (values.only !== undefined && values.only !== 'synth')
  throw new Error(`--only ${values.only}: the only group is 'synth'`);
const AGENTS = Number(values.agents);
const NAMESPACES = Number(values.namespaces);
const CLI = join(root, 'bin', 'agent-canary.mjs');
const PRELOAD = join(root, 'bench', 'peak-rss.mjs');

interface Row {
  readonly name: string;
  readonly seconds: number;
  readonly peakMb?: number;
  readonly target?: string;
  readonly ok?: boolean;
  readonly note?: string;
}
const rows: Row[] = [];

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args],
    {
      cwd,
      encoding: 'utf8',
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
}

/** Runs the compiled CLI in `cwd`; wall time, peak RSS and the last stdout line. */
function cli(
  cwd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  okCodes = [0],
): { seconds: number; peakMb: number; line: string } {
  spawnSync('sync');
  const t = performance.now();
  const r = spawnSync(process.execPath, ['--import', PRELOAD, CLI, ...args], {
    cwd,
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  const seconds = (performance.now() - t) / 1000;
  const m = /@@peak-rss-kb (\d+)/.exec(r.stderr);
  if (!okCodes.includes(r.status ?? -1) || !m)
    throw new Error(
      `agent-canary ${args.join(' ')} exited ${r.status}:\n${r.stderr.slice(-3000)}\n${r.stdout.slice(-2000)}`,
    );
  const line = r.stdout.trim().split('\n').filter(Boolean).at(-1) ?? '';
  return { seconds, peakMb: Number(m[1]) / 1024, line };
}

function timed(fn: () => void): number {
  spawnSync('sync');
  const t = performance.now();
  fn();
  return (performance.now() - t) / 1000;
}

function record(
  name: string,
  r: { seconds: number; peakMb?: number; line?: string },
  targetS?: number,
  note?: string,
): void {
  const ok =
    targetS === undefined
      ? undefined
      : r.seconds <= targetS && (r.peakMb === undefined || r.peakMb <= 400);
  rows.push({
    name,
    seconds: r.seconds,
    peakMb: r.peakMb,
    target: targetS === undefined ? undefined : `<= ${targetS} s, <= 400 MB`,
    ok,
    note: note ?? r.line,
  });
  const mb = r.peakMb === undefined ? '' : `, peak ${r.peakMb.toFixed(0)} MB`;
  console.log(
    `  ${name}: ${r.seconds.toFixed(2)} s${mb}${note || r.line ? ` (${note ?? r.line})` : ''}`,
  );
}

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => res(port));
    });
  });
}

function vmHwmMb(pid: number): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function apiWeights(
  project: string,
  ids: readonly string[],
): Promise<{ first: number; rest: number[]; peakMb?: number }> {
  const port = await freePort();
  const token = 'bench-token';
  const child = spawn(
    process.execPath,
    [CLI, 'gate', '--port', String(port), '--repo', project, '--api-token', token],
    { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  try {
    // Wait until it answers.
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        break;
      } catch {
        if (i > 600 || child.exitCode !== null) throw new Error(`gate did not start:\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const times: number[] = [];
    for (const id of ids) {
      const t = performance.now();
      const res = await fetch(
        `http://127.0.0.1:${port}/api/v1/agents/${id.replace('/', '.')}/canary`,
        {
          method: 'PATCH',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify({ weight: 25 }),
        },
      );
      const body = await res.text();
      times.push((performance.now() - t) / 1000);
      if (res.status !== 200) throw new Error(`PATCH ${id}: ${res.status} ${body}`);
    }
    return { first: times[0]!, rest: times.slice(1), peakMb: vmHwmMb(child.pid!) };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  if (!values['no-build']) {
    console.log('building lib/ (npm run build) ...');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'agent-canary-bench-scale-'));
  const project = join(tmp, 'project');
  const cache = join(tmp, 'cache');
  const env = { AGENT_CANARY_CACHE_DIR: cache };
  try {
    console.log(
      `scale bench: ${AGENTS} agents in ${NAMESPACES} namespaces, ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
    );
    writeScaleProject(project, AGENTS, NAMESPACES);

    const full = cli(project, ['synth', '--quiet'], env);
    const objects = Number(/(\d+) objects/.exec(full.line)?.[1] ?? 0);
    record('full synth', full, 15);
    record('no-change synth', cli(project, ['synth', '--quiet'], env), 1);
    const changed = scaleAgent(0, NAMESPACES);
    const file = join(project, 'fleet', changed.rel);
    writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 10', 'weight: 25'));
    record('one-agent synth', cli(project, ['synth', '--quiet'], env), 1);

    // Baselines on the same tree.
    const copy = join(tmp, 'copy');
    record('baseline: cp -r of the tree', {
      seconds: timed(() => execFileSync('cp', ['-r', project, copy])),
    });
    rmSync(copy, { recursive: true, force: true });
    if (values.only === 'synth') return printRows();

    record('validate dist', cli(project, ['validate', 'dist'], env), 5, `${objects} objects`);

    git(project, 'init', '-q', '-b', 'main');
    git(project, 'config', 'feature.manyFiles', 'true');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'seed');
    record('baseline: git status', { seconds: timed(() => git(project, 'status', '--porcelain')) });

    // A pull request that changes one agent: fleet file + its synthesized output.
    git(project, 'checkout', '-q', '-b', 'pr');
    const prAgent = scaleAgent(2, NAMESPACES);
    const prFile = join(project, 'fleet', prAgent.rel);
    writeFileSync(prFile, readFileSync(prFile, 'utf8').replace('weight: 10', 'weight: 25'));
    cli(project, ['synth', '--quiet'], env);
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'pr: one agent');
    record(
      'validate --base (one-agent PR)',
      cli(project, ['validate', '--base', 'main'], env, [0, 1]),
      2,
    );
    git(project, 'checkout', '-q', 'main');

    // GitOps weight changes on main: the CLI, a bare commit of the same files, the API.
    const weightAgent = scaleAgent(4, NAMESPACES);
    const w = cli(project, [
      'canary',
      'weight',
      `${weightAgent.ns}/${weightAgent.name}`,
      '25',
      '--repo',
      '.',
    ]);
    const bare = scaleAgent(8, NAMESPACES);
    const bareFleet = join(project, 'fleet', bare.rel);
    const bareDist = join(project, 'dist', bare.ns, bare.name, `VirtualService.${bare.name}.yaml`);
    writeFileSync(bareFleet, readFileSync(bareFleet, 'utf8').replace('weight: 10', 'weight: 25'));
    writeFileSync(
      bareDist,
      readFileSync(bareDist, 'utf8')
        .replace('weight: 90', 'weight: 75')
        .replace('weight: 10', 'weight: 25'),
    );
    const bareS = timed(() => {
      git(project, 'add', '--', bareFleet, bareDist);
      git(project, 'commit', '-q', '-m', 'bare weight change');
    });
    record('baseline: bare git add + commit of the same files', { seconds: bareS });
    record('canary weight (CLI)', w, 1.5, `${(w.seconds / bareS).toFixed(1)}x the bare commit`);

    // Manual, Istio, with a canary at 10 %: i % 4 == 0 and not every fourth group of four.
    const apiIds = [16, 20, 24, 32].map((i) => {
      const a = scaleAgent(i, NAMESPACES);
      return `${a.ns}/${a.name}`;
    });
    const api = await apiWeights(project, apiIds);
    record('canary weight (API, first call: opens the repository)', { seconds: api.first });
    const apiMedian = median(api.rest);
    record(
      'canary weight (API, median of calls 2-4)',
      { seconds: apiMedian, peakMb: api.peakMb },
      0.5,
      `${(apiMedian / bareS).toFixed(1)}x the bare commit; server peak RSS`,
    );

    printRows();
  } finally {
    if (values.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

function printRows(): void {
  console.log('\nfigure | seconds | peak MB | target | met');
  console.log('---|---|---|---|---');
  for (const r of rows)
    console.log(
      `${r.name} | ${r.seconds.toFixed(2)} | ${r.peakMb === undefined ? '' : r.peakMb.toFixed(0)} | ${r.target ?? 'baseline'} | ${r.ok === undefined ? '' : r.ok ? 'yes' : 'NO'}`,
    );
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  );
}

await main();
