/**
 * bench/autopilot.ts: one autopilot pass over a fleet of 1,000 manual agents, and the commits per
 * second the loop sustains.
 *
 *   npx tsx bench/autopilot.ts [--agents 1000] [--history 5000] [--advance 40] [--passes 5]
 *
 * Builds N manual-mode agents (canary at 5 %, step holds 5m), seeds a Git repository
 * (`synthToRepo`), adds `--history` commits each editing one agent's fleet file (a repository
 * that has lived: the pass's one `git log` reads all of them, since canaries seeded by synth
 * have no `AgentCanaryStarted` commit to stop at; `git fast-import`, so building it is quick),
 * then measures in the same run:
 * - baseline: a bare `git log --name-only` of the repository (the one history read a pass makes);
 * - a pass where every canary is still in its hold (read the fleet files and policies, one
 *   streamed `git log`, decide each canary; no MLflow or Prometheus is asked): median of
 *   `--passes`;
 * - a pass where `--advance` canaries' holds are over and the evidence passes (a quality judge
 *   and a traffic checker that answer at once: no MLflow or Prometheus latency), so each commits
 *   its next step through the GitOps operations (edit, re-synthesize, validate, commit): the
 *   commits per second the loop sustains.
 * Target: a pass over 1,000 agents <= 2 s without MLflow/Prometheus latency.
 */
import { execFileSync } from 'node:child_process';

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Assessor } from '../src/autopilot/assess.js';
import { Autopilot } from '../src/autopilot/autopilot.js';
import { QualityJudge, type QualityEvidence } from '../src/autopilot/quality.js';
import { TrafficChecker, type TrafficEvidence } from '../src/autopilot/traffic.js';
import { defaultEngine } from '../src/gitops/default-engine.js';
import { GitOps } from '../src/gitops/operations.js';
import { GitRepo } from '../src/gitops/repo.js';
import { synthToRepo } from '../src/gitops/synth-to-repo.js';

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    history: { type: 'string', default: '5000' },
    advance: { type: 'string', default: '40' },
    passes: { type: 'string', default: '5' },
  },
});
const AGENTS = Number(values.agents);
const ADVANCE = Math.min(Number(values.advance), AGENTS);
const PASSES = Number(values.passes);
const HISTORY = Number(values.history);

const POLICY = `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  steps:
    - { weight: 5, hold: 5m }
    - { weight: 10, hold: 5m }
    - { weight: 25, hold: 10m }
    - { weight: 50, hold: 15m }
`;

function agentFile(ns: string, name: string): string {
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
  canary:
    enabled: true
    weight: 5
    modelId: gpt-4.1-mini
    version: "4"
rollout:
  mode: manual
  policy: default
`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Evidence that passes at once: the loop's own cost, without MLflow or Prometheus latency. */
class InstantJudge extends QualityJudge {
  constructor() {
    super(undefined);
  }
  override judge(): Promise<QualityEvidence> {
    return Promise.resolve({
      status: 'judged',
      passed: true,
      message: 'Quality gate passed (bench)',
    });
  }
}
class InstantTraffic extends TrafficChecker {
  override check(): Promise<TrafficEvidence> {
    return Promise.resolve({
      status: 'checked',
      passed: true,
      message: 'traffic checks passed (bench)',
      checks: [],
    });
  }
}

/**
 * HISTORY commits on top of the seed, commit k editing agent k's fleet file (a comment line
 * appended, so the file stays valid), all dated at the seed's second so every hold still runs.
 */
function lived(dir: string, at: number): void {
  const branch = execFileSync('git', ['symbolic-ref', '--short', 'HEAD'], {
    cwd: dir,
    encoding: 'utf8',
  }).trim();
  const parts: string[] = [];
  for (let k = 0; k < HISTORY; k++) {
    const i = k % AGENTS;
    const ns = `ns-${i % 20}`;
    const body = `${agentFile(ns, `agent-${i}`)}# edit ${k}\n`;
    const msg = `fleet(${ns}/agent-${i}): edit ${k}\n`;
    parts.push(
      `commit refs/heads/${branch}\ncommitter bench <bench@example.com> ${at} +0000\n` +
        `data ${Buffer.byteLength(msg)}\n${msg}` +
        (k === 0 ? `from refs/heads/${branch}^0\n` : '') +
        `M 100644 inline fleet/${ns}/agent-${i}.yaml\ndata ${Buffer.byteLength(body)}\n${body}\n`,
    );
  }
  execFileSync('git', ['fast-import', '--quiet', '--force'], {
    cwd: dir,
    input: parts.join(''),
    maxBuffer: 1 << 28,
  });
  execFileSync('git', ['reset', '--hard', '-q'], { cwd: dir });
}

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'agent-canary-bench-autopilot-'));
  try {
    const project = join(root, 'project');
    mkdirSync(join(project, 'policies'), { recursive: true });
    writeFileSync(join(project, 'policies', 'default.yaml'), POLICY);
    for (let i = 0; i < AGENTS; i++) {
      const ns = `ns-${i % 20}`;
      mkdirSync(join(project, 'fleet', ns), { recursive: true });
      writeFileSync(join(project, 'fleet', ns, `agent-${i}.yaml`), agentFile(ns, `agent-${i}`));
    }
    const repo = await GitRepo.init(join(root, 'gitops'));
    let t = performance.now();
    await synthToRepo(repo, { projectDir: project });
    console.log(`seeded ${AGENTS} agents in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const seededAt =
      Number(
        execFileSync('git', ['log', '-1', '--format=%at'], { cwd: repo.dir, encoding: 'utf8' }),
      ) * 1000;
    t = performance.now();
    lived(repo.dir, seededAt / 1000);
    console.log(
      `added ${HISTORY} commits of history in ${((performance.now() - t) / 1000).toFixed(1)} s`,
    );

    const gitops = new GitOps(repo, { engine: defaultEngine({ repoDir: repo.dir }) });
    let now = seededAt + 60_000; // one minute in: every 5m hold is still running
    const autopilot = new Autopilot({
      gitops,
      assessor: new Assessor({
        judge: new InstantJudge(),
        traffic: new InstantTraffic(),
        clock: () => now,
      }),
      decidedBy: 'autopilot (bench)',
    });

    const baseline: number[] = [];
    const passes: number[] = [];
    for (let i = 0; i < PASSES; i++) {
      t = performance.now();
      execFileSync('git', ['log', '--no-renames', '--name-only', '--format=%H %at'], {
        cwd: repo.dir,
        maxBuffer: 1 << 28,
      });
      baseline.push(performance.now() - t);
      t = performance.now();
      const r = await autopilot.pass();
      passes.push(performance.now() - t);
      if (r.canaries !== AGENTS || r.commits !== 0)
        throw new Error(`unexpected pass: ${r.canaries} canaries, ${r.commits} commits`);
    }
    console.log(
      `\nbaseline: bare git log --name-only of the repository: median ${median(baseline).toFixed(0)} ms`,
    );
    console.log(
      `autopilot pass over ${AGENTS} agents (all in their hold, no MLflow/Prometheus asked): median ${median(passes).toFixed(0)} ms (${passes.map((p) => p.toFixed(0)).join(', ')}) target <= 2000 ms`,
    );

    // Every hold over and the evidence passing: the pass commits the next step of ADVANCE
    // canaries (its commit budget), each through the GitOps operations.
    const only = new Autopilot({
      gitops,
      assessor: new Assessor({
        judge: new InstantJudge(),
        traffic: new InstantTraffic(),
        clock: () => now,
      }),
      decidedBy: 'autopilot (bench)',
      maxCommits: ADVANCE,
    });
    now = seededAt + 6 * 60_000;
    t = performance.now();
    const r = await only.pass();
    const ms = performance.now() - t;
    console.log(
      `autopilot pass with every hold over (${r.commits} commits: 5% -> 10%, each edit + synth + validate + commit): ${(ms / 1000).toFixed(1)} s = ${((r.commits * 1000) / ms).toFixed(1)} commits/s`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
