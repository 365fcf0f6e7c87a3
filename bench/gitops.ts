/**
 * bench/gitops.ts: the cost of one GitOps weight change on a fleet of 1,000 agents.
 *
 *   npx tsx bench/gitops.ts [--agents 1000] [--changes 60] [--remote]
 *
 * Builds a project of N manual-mode agents (canary at 5 %), seeds a Git repository with it
 * (`synthToRepo`: fleet/, policies/, dist/ of every agent), then times:
 * - one weight change through `GitOps.setWeight` (lock, edit the fleet file keeping comments,
 *   re-synthesize that agent, validate its output, commit fleet file + output), each on a
 *   different agent (5 -> 10, the policy's next step);
 * - a bare `git add <files>` + `git commit` of the same files (the same edit made by hand),
 *   spawned directly: the floor any Git-backed operation pays in this repository.
 * With --remote the repository is a clone of a bare remote over file:// and each change is
 * pushed too. Prints median and p95 of each series. Target: weight change median <= 300 ms.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultEngine } from '../src/gitops/default-engine.js';
import { GitOps } from '../src/gitops/operations.js';
import { GitRepo } from '../src/gitops/repo.js';
import { synthToRepo } from '../src/gitops/synth-to-repo.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    changes: { type: 'string', default: '60' },
    remote: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
  },
});
const AGENTS = Number(values.agents);
const CHANGES = Math.min(Number(values.changes), Math.floor(AGENTS / 2));

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

function agentFile(ns: string, name: string): string {
  return `# ${name}: benchmark agent (comments must survive every edit)
apiVersion: agents.recif.dev/v1
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
  systemPrompt: You answer questions about ${name}.
  version: "3"
  # challenger
  canary:
    enabled: true
    weight: 5     # first step
    modelId: gpt-4.1-mini
    version: "4"
rollout:
  mode: manual
  policy: default
`;
}

function git(cwd: string, ...args: string[]): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args],
    // `git status` of 10,000 agents can be several MB: past execFileSync's default 1 MB (ENOBUFS).
    { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1024 * 1024 * 1024 },
  );
}

/**
 * How many files Git tracks, counted as `git ls-files -z` streams (NUL-separated names): never
 * the whole listing in one buffer, which at 10,000 agents is past any fixed limit (ENOBUFS).
 */
function trackedFiles(cwd: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['ls-files', '-z'], { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let count = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(0); i !== -1; i = chunk.indexOf(0, i + 1)) count++;
    });
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(count) : reject(new Error(`git ls-files exited ${code}`)),
    );
  });
}

function quantile(xs: readonly number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
}

const fmt = (ms: number) => `${ms.toFixed(1).padStart(7)} ms`;

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'agent-canary-bench-gitops-'));
  try {
    const project = join(root, 'project');
    mkdirSync(join(project, 'policies'), { recursive: true });
    writeFileSync(join(project, 'policies', 'default.yaml'), POLICY);
    const ids: string[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const ns = `team-${String(i % 20).padStart(2, '0')}`;
      const name = `agent-${String(i).padStart(4, '0')}`;
      mkdirSync(join(project, 'fleet', ns), { recursive: true });
      writeFileSync(join(project, 'fleet', ns, `${name}.yaml`), agentFile(ns, name));
      ids.push(`${ns}/${name}`);
    }

    let t = performance.now();
    const seedDir = join(root, values.remote ? 'seed' : 'gitops');
    const seedRepo = await GitRepo.init(seedDir);
    const seeded = await synthToRepo(seedRepo, { projectDir: project });
    const seedMs = performance.now() - t;
    let repo = seedRepo;
    if (values.remote) {
      git(root, 'clone', '-q', '--bare', seedDir, join(root, 'remote.git'));
      git(root, 'clone', '-q', `file://${join(root, 'remote.git')}`, join(root, 'gitops'));
      repo = await GitRepo.open(join(root, 'gitops'));
    }
    const files = await trackedFiles(repo.dir);
    console.log(
      `gitops bench: ${AGENTS} agents, ${seeded.result.objects} objects, ${files} tracked files; seeding took ${(seedMs / 1000).toFixed(1)} s${values.remote ? '; pushing to a bare remote over file://' : ''}`,
    );

    const engine = defaultEngine();
    const spent = new Map<string, number[]>();
    const record = (k: string, ms: number) => {
      let l = spent.get(k);
      if (!l) spent.set(k, (l = []));
      l.push(ms);
    };
    if (values.profile) {
      // --profile: time every git command and every engine step of the measured changes.
      const g = repo.git as unknown as { raw(args: string[]): Promise<string> };
      const raw = g.raw.bind(g);
      g.raw = async (args: string[]) => {
        const s0 = performance.now();
        try {
          return await raw(args);
        } finally {
          record(`git ${args[0]}`, performance.now() - s0);
        }
      };
      const e = engine as unknown as Record<string, unknown>;
      for (const k of Object.keys(e)) {
        const fn = e[k];
        if (typeof fn !== 'function') continue;
        e[k] = (...a: unknown[]) => {
          const s0 = performance.now();
          const r = (fn as (...x: unknown[]) => unknown)(...a);
          if (r instanceof Promise) return r.finally(() => record(k, performance.now() - s0));
          record(k, performance.now() - s0);
          return r;
        };
      }
    }
    const ops = new GitOps(repo, { engine });
    // Warm-up (module loading, compiling the validator's schemas): not what a running server pays per change.
    t = performance.now();
    await ops.setWeight({ namespace: 'team-00', name: 'agent-0000' }, 10);
    console.log(
      `first change (warm-up, compiles the validator's schemas): ${fmt(performance.now() - t)}`,
    );

    spent.clear();
    // Weight changes, each on another agent.
    const change: number[] = [];
    for (let k = 1; k <= CHANGES; k++) {
      const [namespace, name] = ids[k * 2]!.split('/') as [string, string];
      t = performance.now();
      const o = await ops.setWeight({ namespace, name }, 10);
      change.push(performance.now() - t);
      if (!o.changed || !o.commit) throw new Error(`change ${k} made no commit`);
    }

    if (values.profile) {
      console.log('\nper change, mean ms (count per change):');
      for (const [k, l] of [...spent].sort(
        (a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0),
      )) {
        console.log(
          `  ${k.padEnd(20)} ${(l.reduce((x, y) => x + y, 0) / CHANGES).toFixed(1).padStart(7)}  (${(l.length / CHANGES).toFixed(1)}x)`,
        );
      }
    }

    // Bare git add + commit of the same files (same edit by hand), on other agents.
    const bare: number[] = [];
    for (let k = 1; k <= CHANGES; k++) {
      const id = ids[k * 2 + 1]!;
      const fleet = `fleet/${id}.yaml`;
      const out = `dist/${id}`;
      const p = join(repo.dir, fleet);
      writeFileSync(p, readFileSync(p, 'utf8').replace('weight: 5 ', 'weight: 10'));
      const vs = join(repo.dir, out, `VirtualService.${id.split('/')[1]}.yaml`);
      writeFileSync(
        vs,
        readFileSync(vs, 'utf8')
          .replace('weight: 95', 'weight: 90')
          .replace('weight: 5', 'weight: 10'),
      );
      t = performance.now();
      git(repo.dir, 'add', '-A', '--', fleet, out);
      git(repo.dir, 'commit', '-q', '-m', `bare commit ${id}`);
      if (values.remote) git(repo.dir, 'push', '-q', 'origin', 'HEAD:main');
      bare.push(performance.now() - t);
    }
    if (git(repo.dir, 'status', '--porcelain').trim() !== '')
      throw new Error('working tree not clean after the bench');

    console.log(`\n${CHANGES} changes each                      median       p95`);
    console.log(
      `weight change (edit+synth+validate+commit${values.remote ? '+push' : ''}) ${fmt(quantile(change, 0.5))} ${fmt(quantile(change, 0.95))}`,
    );
    console.log(
      `bare git add + commit${values.remote ? ' + push' : ''} (same files)        ${fmt(quantile(bare, 0.5))} ${fmt(quantile(bare, 0.95))}`,
    );
    const median = quantile(change, 0.5);
    console.log(
      `\ntarget: median <= 300 ms -> ${median <= 300 ? 'met' : 'NOT met'} (${median.toFixed(0)} ms; overhead over bare git: ${(median - quantile(bare, 0.5)).toFixed(0)} ms)`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
