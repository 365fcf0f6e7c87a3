/**
 * bench/scale.ts: a fleet of 10,000 agents on this machine (issue 15).
 *
 *   npm run bench:scale -- [--agents 10000] [--namespaces 100] [--rows a,b] [--repeat 3] [--keep] [--no-build]
 *
 * Builds N agents in M namespaces (half manual, half progressive: bench/scale-fleet.ts) in a temp
 * folder and times, each in a fresh process of the compiled CLI (`npm run build` first) with its
 * peak resident memory (bench/peak-rss.mjs, preloaded; the gate server's from /proc). Rows
 * (`--rows`, comma-separated; default all):
 *
 *   cp             baseline: `cp -r` of the project tree (fleet/, policies/, dist/)
 *   status         baseline: `git status` in its repository
 *   synth          full synth (empty dist/ and cache), no-change synth, one-agent synth
 *   validate       `validate dist` (every object)
 *   validate-base  `validate --base main` on a branch whose commit changes one agent
 *   weight-cli     `canary weight <agent> 25` (10 -> 25, through the guard), `--repeat` times, each
 *                  beside a bare `git add` + `git commit` of the same two files (interleaved)
 *   weight-api     PATCH /api/v1/agents/<id>/canary on a running `gate --repo`: the first call
 *                  (opens the repository) and the median of `--repeat` more
 *
 * The full synth runs whatever the rows (the others need its dist/); it is a row only with
 * `synth`. A weight increase asks the guard (the step's hold, the quality gate): the seed commit
 * is dated an hour back, so the 10 % step's hold is over, and the quality gate reads a local
 * `mlflow.db` with passing evaluations (bench/scale-evidence.ts), so nothing is forced and no
 * network latency is measured. Targets (issue 15): full synth <= 15 s, one-agent synth <= 1 s,
 * validate <= 5 s, validate --base <= 2 s, weight change <= 1.5 s (CLI) / 0.5 s (API) and at
 * most 3x the bare commit, every peak <= 400 MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { scaleAgent, writeScaleProject, type ScaleAgent } from './scale-fleet.js';
import { writeGuardEvidence } from './scale-evidence.js';
import {
  ApiServer,
  cli,
  git,
  loadAverage,
  median,
  Report,
  ROOT,
  timed,
  type Measured,
} from './scale-run.js';

const ROWS = ['cp', 'status', 'synth', 'validate', 'validate-base', 'weight-cli', 'weight-api'];

const { values } = parseArgs({
  options: {
    agents: { type: 'string', default: '10000' },
    namespaces: { type: 'string', default: '100' },
    rows: { type: 'string', default: ROWS.join(',') },
    repeat: { type: 'string', default: '3' },
    keep: { type: 'boolean', default: false },
    'no-build': { type: 'boolean', default: false },
  },
});
const AGENTS = Number(values.agents);
const NAMESPACES = Number(values.namespaces);
const REPEAT = Math.max(1, Number(values.repeat));
const rows = new Set(
  values.rows
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean),
);
for (const r of rows)
  if (!ROWS.includes(r)) {
    console.error(`bench/scale: unknown row '${r}' in --rows; allowed: ${ROWS.join(', ')}`);
    process.exit(2);
  }
const want = (r: string) => rows.has(r);

/**
 * Agents whose weight can go 10 -> 25 and whose route is an Istio VirtualService: manual mode
 * (i even), istio routing (i % 4 == 0), a running canary (not blue-green: (i / 4) % 4 != 3).
 * Agent 0 is taken by the one-agent synth row.
 */
function weightable(count: number): ScaleAgent[] {
  const out: ScaleAgent[] = [];
  for (let i = 4; out.length < count && i < AGENTS; i += 4)
    if (Math.floor(i / 4) % 4 !== 3) out.push(scaleAgent(i, NAMESPACES));
  if (out.length < count) throw new Error(`--agents ${AGENTS} is too small for --repeat ${REPEAT}`);
  return out;
}

const idOf = (a: ScaleAgent) => `${a.ns}/${a.name}`;
const indexOf = (a: ScaleAgent) => Number(a.name.slice('agent-'.length));

/** The fleet file and VirtualService of `a` edited 10 -> 25 by hand (what a weight change writes). */
function handEdit(project: string, a: ScaleAgent): string[] {
  const fleet = join(project, 'fleet', a.rel);
  const vs = join(project, 'dist', a.ns, a.name, `VirtualService.${a.name}.yaml`);
  writeFileSync(fleet, readFileSync(fleet, 'utf8').replace('weight: 10', 'weight: 25'));
  writeFileSync(
    vs,
    readFileSync(vs, 'utf8')
      .replace('weight: 90', 'weight: 75')
      .replace('weight: 10', 'weight: 25'),
  );
  return [fleet, vs];
}

async function main(): Promise<void> {
  if (!values['no-build']) {
    console.log('building lib/ (npm run build) ...');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const tmp = mkdtempSync(join(tmpdir(), 'agent-canary-bench-scale-'));
  const project = join(tmp, 'project');
  const env = { AGENT_CANARY_CACHE_DIR: join(tmp, 'cache') };
  const report = new Report();
  try {
    console.log(
      `scale bench: ${AGENTS} agents in ${NAMESPACES} namespaces, rows ${[...rows].join(', ')}, ${cpus().length} CPUs, load average ${loadAverage()}`,
    );
    writeScaleProject(project, AGENTS, NAMESPACES);

    const full = cli(project, ['synth', '--quiet'], env);
    const objects = Number(/(\d+) objects/.exec(full.line)?.[1] ?? 0);
    if (want('synth')) {
      report.record('full synth', full, { targetS: 15 });
      report.record('no-change synth', cli(project, ['synth', '--quiet'], env), { targetS: 1 });
      const changed = scaleAgent(0, NAMESPACES);
      const file = join(project, 'fleet', changed.rel);
      writeFileSync(file, readFileSync(file, 'utf8').replace('weight: 10', 'weight: 25'));
      report.record('one-agent synth', cli(project, ['synth', '--quiet'], env), { targetS: 1 });
    } else {
      console.log(`  (setup) full synth: ${full.seconds.toFixed(2)} s, ${objects} objects`);
    }

    if (want('cp')) {
      const copy = join(tmp, 'copy');
      report.record(
        'baseline: cp -r of the tree',
        timed(() => execFileSync('cp', ['-r', project, copy])),
      );
      rmSync(copy, { recursive: true, force: true });
    }

    if (want('validate'))
      report.record('validate dist', cli(project, ['validate', 'dist'], env), {
        targetS: 5,
        note: `${objects} objects`,
      });

    if (!['status', 'validate-base', 'weight-cli', 'weight-api'].some(want)) return;
    git(project, ['init', '-q', '-b', 'main']);
    git(project, ['config', 'feature.manyFiles', 'true']);
    git(project, ['add', '-A']);
    // An hour back: the holds of the canaries' current steps are over, so the guard lets an
    // increase through on the evidence alone.
    const anHourAgo = `@${Math.floor(Date.now() / 1000) - 3600} +0000`;
    git(project, ['commit', '-q', '-m', 'seed'], {
      GIT_AUTHOR_DATE: anHourAgo,
      GIT_COMMITTER_DATE: anHourAgo,
    });

    if (want('status'))
      report.record(
        'baseline: git status',
        timed(() => git(project, ['status', '--porcelain'])),
      );

    if (want('validate-base')) {
      // A pull request that changes one agent: fleet file + its synthesized output.
      git(project, ['checkout', '-q', '-b', 'pr']);
      const prAgent = scaleAgent(2, NAMESPACES);
      const prFile = join(project, 'fleet', prAgent.rel);
      writeFileSync(prFile, readFileSync(prFile, 'utf8').replace('weight: 10', 'weight: 25'));
      cli(project, ['synth', '--quiet'], env);
      git(project, ['add', '-A']);
      git(project, ['commit', '-q', '-m', 'pr: one agent']);
      report.record(
        'validate --base (one-agent PR)',
        cli(project, ['validate', '--base', 'main'], env, [0, 1]),
        { targetS: 2 },
      );
      git(project, ['checkout', '-q', 'main']);
    }

    if (!want('weight-cli') && !want('weight-api')) return;
    const picked = weightable(3 * REPEAT + 1);
    const cliAgents = picked.slice(0, REPEAT);
    const bareAgents = picked.slice(REPEAT, 2 * REPEAT);
    const apiAgents = picked.slice(2 * REPEAT);
    const db = join(tmp, 'mlflow.db');
    writeGuardEvidence(
      db,
      [...cliAgents, ...apiAgents].map((a) => ({
        name: a.name,
        stableVersion: String(indexOf(a)),
        canaryVersion: String(indexOf(a) + 1),
      })),
    );
    const mlflow = `sqlite:///${db}`;

    // Bare add + commit of the same two files, interleaved with the CLI's changes.
    const bare: number[] = [];
    const bareCommit = (a: ScaleAgent) => {
      const files = handEdit(project, a);
      bare.push(
        timed(() => {
          git(project, ['add', '--', ...files]);
          git(project, ['commit', '-q', '-m', `bare weight change ${idOf(a)}`]);
        }).seconds,
      );
    };

    if (want('weight-cli')) {
      const runs: Required<Measured>[] = [];
      for (let k = 0; k < REPEAT; k++) {
        runs.push(
          cli(
            project,
            ['canary', 'weight', idOf(cliAgents[k]!), '25', '--repo', '.', '--mlflow', mlflow],
            env,
          ),
        );
        bareCommit(bareAgents[k]!);
      }
      const bareS = median(bare);
      report.record('baseline: bare git add + commit of the same files', {
        seconds: bareS,
        line: `median of ${REPEAT}`,
      });
      const w = runs.map((r) => r.seconds);
      report.record(
        'canary weight (CLI)',
        { seconds: median(w), peakMb: Math.max(...runs.map((r) => r.peakMb)) },
        {
          targetS: 1.5,
          ratio: { of: bareS, max: 3 },
          note: `median of ${REPEAT}: ${w.map((s) => s.toFixed(2)).join(', ')} s; ${runs[0]!.line}`,
        },
      );
    }

    if (want('weight-api')) {
      if (bare.length === 0) for (const a of bareAgents) bareCommit(a);
      const bareS = median(bare);
      const server = await ApiServer.start(project, ['--mlflow', mlflow]);
      try {
        const [first, ...rest] = apiAgents;
        report.record('canary weight (API, first call: opens the repository)', {
          seconds: await server.weight(idOf(first!), 25),
        });
        const times: number[] = [];
        for (const a of rest) times.push(await server.weight(idOf(a), 25));
        report.record(
          `canary weight (API, median of calls 2-${REPEAT + 1})`,
          { seconds: median(times), peakMb: server.peakMb() },
          {
            targetS: 0.5,
            ratio: { of: bareS, max: 3 },
            note: `${times.map((s) => s.toFixed(2)).join(', ')} s; server peak RSS`,
          },
        );
      } finally {
        await server.stop();
      }
    }
  } finally {
    report.print();
    if (values.keep) console.log(`kept ${tmp}`);
    else rmSync(tmp, { recursive: true, force: true });
  }
}

await main();
