/**
 * Before/after benchmark comparison of two revisions (`npm run bench:compare -- --before REV`).
 *
 *   npx tsx bench/compare.ts --before REV [--after HEAD] [--runs 3] [--pick best|median]
 *       [--benches synth,validate,gate,gitops] [--args 'validate=--synthetic --runs 2']
 *       [--script-from own|before|after] [--timeout 20] [--save DIR] [--verbose] [--keep]
 *
 * Checks out both revisions as detached git worktrees in a temporary folder (the project's
 * node_modules linked in, a cache folder of their own, `npm run build` where the CLI runs lib/),
 * then runs each bench that exists in both with the same arguments, interleaved: round 1 runs
 * before then after, round 2 after then before, and so on, so a change in the machine's load hits
 * both sides alike. Each figure is the best (default) or the median of the runs. Prints one
 * table: bench, figure, before, after, change, and whether the change is within 5 % (issue 9's
 * budget), faster/smaller or SLOWER/LARGER; the load average at the start and the end.
 *
 * The figures are read from what each bench prints (bench/compare/figures.ts); a figure a run
 * did not print is "n/a" with the reason. `--script-from before` runs the before revision's bench
 * scripts on both code trees (the same workload when a bench's generated input changed since).
 *
 * Exit codes: 0 when the comparison ran (slower figures are reported, not failed), 1 when it
 * could not (a git or build error), 2 for bad arguments.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { figuresOf, KNOWN_BENCHES, type RunOutput } from './compare/figures.js';
import { compare, formatTable, pickReading, type Comparison, type Pick } from './compare/table.js';
import {
  addCheckout,
  git,
  hasFile,
  removeCheckout,
  resolveRev,
  sameFile,
  type Checkout,
} from './compare/worktree.js';

const USAGE = `usage: npx tsx bench/compare.ts --before REV [--after REV] [--runs N] [--pick best|median]
       [--benches ${KNOWN_BENCHES.join(',')}] [--args 'BENCH=ARGS'] [--script-from own|before|after]
       [--timeout MINUTES] [--save DIR] [--verbose] [--keep]`;

/**
 * Arguments every run of a bench gets on both sides unless --args replaces them. validate:
 * `--synthetic` is the generated corpus every revision has (older ones ignore the flag and use
 * it by default; newer ones otherwise copy their own dist/, a different workload per revision).
 */
const DEFAULT_ARGS: Readonly<Record<string, readonly string[]>> = {
  validate: ['--synthetic'],
};

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const log = (s: string) => process.stderr.write(`compare: ${s}\n`);
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');

class UsageError extends Error {}

interface Options {
  readonly before: string;
  readonly after: string;
  readonly runs: number;
  readonly pick: Pick;
  readonly benches: readonly string[];
  readonly args: Readonly<Record<string, readonly string[]>>;
  readonly scriptFrom: 'own' | 'before' | 'after';
  readonly timeoutMs: number;
  readonly verbose: boolean;
  readonly keep: boolean;
  /** Folder for each run's raw output (`<bench>-<side>-<round>.txt`). */
  readonly save?: string;
}

function options(argv: readonly string[]): Options | undefined {
  let v;
  try {
    v = parseArgs({
      args: [...argv],
      options: {
        before: { type: 'string' },
        after: { type: 'string', default: 'HEAD' },
        runs: { type: 'string', default: '3' },
        pick: { type: 'string', default: 'best' },
        benches: { type: 'string', default: KNOWN_BENCHES.join(',') },
        args: { type: 'string', multiple: true, default: [] },
        'script-from': { type: 'string', default: 'own' },
        timeout: { type: 'string', default: '20' },
        save: { type: 'string' },
        verbose: { type: 'boolean', default: false },
        keep: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  if (v.help) {
    console.log(USAGE);
    return undefined;
  }
  if (!v.before) throw new UsageError('--before REV is required');
  const runs = Number(v.runs);
  if (!Number.isInteger(runs) || runs < 1)
    throw new UsageError(`--runs: '${v.runs}' is not a whole number >= 1`);
  const timeout = Number(v.timeout);
  if (!(timeout > 0)) throw new UsageError(`--timeout: '${v.timeout}' is not a number of minutes`);
  if (v.pick !== 'best' && v.pick !== 'median')
    throw new UsageError(`--pick: '${v.pick}' is not best or median`);
  const from = v['script-from'];
  if (from !== 'own' && from !== 'before' && from !== 'after')
    throw new UsageError(`--script-from: '${from}' is not own, before or after`);
  const benches = v.benches
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of benches)
    if (!KNOWN_BENCHES.includes(b))
      throw new UsageError(
        `--benches: no figures known for '${b}' (known: ${KNOWN_BENCHES.join(', ')})`,
      );
  const args: Record<string, readonly string[]> = { ...DEFAULT_ARGS };
  for (const a of v.args) {
    const eq = a.indexOf('=');
    const name = a.slice(0, eq);
    if (eq < 1 || !KNOWN_BENCHES.includes(name))
      throw new UsageError(`--args: '${a}' is not BENCH=ARGS with a known bench`);
    args[name] = a
      .slice(eq + 1)
      .split(/\s+/)
      .filter(Boolean);
  }
  return {
    before: v.before,
    after: v.after,
    runs,
    pick: v.pick,
    benches,
    args,
    scriptFrom: from,
    timeoutMs: timeout * 60_000,
    verbose: v.verbose,
    keep: v.keep,
    save: v.save === undefined ? undefined : resolve(v.save),
  };
}

/** The bench process running now, so an interrupt can stop it (its whole process group). */
let running: ChildProcess | undefined;

function stopRunning(): void {
  if (running?.pid !== undefined && running.exitCode === null) {
    try {
      process.kill(-running.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** One bench run in a checkout; never rejects (a failure is part of the output). */
function runBench(
  c: Checkout,
  bench: string,
  args: readonly string[],
  o: Options,
): Promise<RunOutput & { seconds: number }> {
  const t0 = performance.now();
  return new Promise((done) => {
    let stdout = '';
    let stderr = '';
    let failure: string | undefined;
    // detached: its own process group, so a timeout also stops the children it spawned.
    const child = spawn(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`, ...args], {
      cwd: c.dir,
      env: c.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running = child;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (o.verbose) process.stderr.write(d);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (o.verbose) process.stderr.write(d);
    });
    const timer = setTimeout(() => {
      failure = `timed out after ${o.timeoutMs / 60_000} min`;
      stopRunning();
    }, o.timeoutMs);
    const finish = (code: number | null) => {
      clearTimeout(timer);
      running = undefined;
      done({ stdout, stderr, code, failure, seconds: (performance.now() - t0) / 1000 });
    };
    child.on('error', (e) => {
      failure = `could not start: ${e.message}`;
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

async function main(o: Options): Promise<void> {
  const loadStart = load();
  const before = resolveRev(repo, o.before);
  const after = resolveRev(repo, o.after);
  const benches: string[] = [];
  const skipped: string[] = [];
  for (const b of o.benches) {
    const path = `bench/${b}.ts`;
    const missing = [
      ...(hasFile(repo, before.sha, path) ? [] : [`before (${before.sha.slice(0, 7)})`]),
      ...(hasFile(repo, after.sha, path) ? [] : [`after (${after.sha.slice(0, 7)})`]),
    ];
    if (missing.length) skipped.push(`${path} absent in ${missing.join(' and ')}`);
    else benches.push(b);
  }
  for (const s of skipped) log(`skipped: ${s}`);
  if (benches.length === 0) throw new Error('no bench exists in both revisions');

  const base = mkdtempSync(join(tmpdir(), 'agent-canary-compare-'));
  const checkouts: Checkout[] = [];
  const cleanup = () => {
    stopRunning();
    if (o.keep) {
      log(`kept the worktrees in ${base} (remove them with git worktree remove --force)`);
      return;
    }
    for (const c of checkouts) removeCheckout(repo, c.dir, log);
    rmSync(base, { recursive: true, force: true });
    try {
      git(repo, ['worktree', 'prune']);
    } catch {
      // pruning is tidiness only
    }
  };
  const interrupted = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping and removing the worktrees`);
    cleanup();
    process.exit(130);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    checkouts.push(addCheckout(repo, o.before, join(base, 'before'), log));
    checkouts.push(addCheckout(repo, o.after, join(base, 'after'), log));
    const [b, a] = checkouts as [Checkout, Checkout];
    const scriptNotes: string[] = [];
    for (const bench of benches) {
      const path = `bench/${bench}.ts`;
      if (o.scriptFrom !== 'own') {
        const from = o.scriptFrom === 'before' ? b : a;
        const to = o.scriptFrom === 'before' ? a : b;
        writeFileSync(join(to.dir, path), git(repo, ['show', `${from.sha}:${path}`]) + '\n');
      } else if (!sameFile(repo, b.sha, a.sha, path)) {
        scriptNotes.push(path);
      }
    }

    const outputs = new Map<string, RunOutput[]>();
    const loads: number[] = [];
    for (let round = 1; round <= o.runs; round++) {
      // ABBA order: a trend in the machine's load over a round does not favour one side.
      const order = round % 2 === 1 ? [b, a] : [a, b];
      for (const bench of benches) {
        for (const c of order) {
          const side = c === b ? 'before' : 'after';
          const args = o.args[bench] ?? [];
          loads.push(loadavg()[0]!);
          log(
            `round ${round}/${o.runs}: ${bench} ${side} (${c.sha.slice(0, 7)}) ${args.join(' ')} [load ${load()}]`,
          );
          const r = await runBench(c, bench, args, o);
          const why = r.failure ?? (r.code !== 0 ? `exit ${r.code ?? 'by signal'}` : 'ok');
          log(`  ${r.seconds.toFixed(1)} s, ${why}`);
          if (o.save) {
            mkdirSync(o.save, { recursive: true });
            writeFileSync(
              join(o.save, `${bench}-${side}-${round}.txt`),
              `${r.stdout}\n--- stderr (exit ${r.code ?? 'by signal'}${r.failure ? `, ${r.failure}` : ''})\n${r.stderr}`,
            );
          }
          const key = `${bench}:${side}`;
          outputs.set(key, [...(outputs.get(key) ?? []), r]);
        }
      }
    }

    const rows: Comparison[] = benches.flatMap((bench) =>
      figuresOf(bench).map((spec) =>
        compare(
          spec,
          pickReading(spec, outputs.get(`${bench}:before`) ?? [], o.pick),
          pickReading(spec, outputs.get(`${bench}:after`) ?? [], o.pick),
        ),
      ),
    );
    console.log(`before ${b.sha.slice(0, 7)} (${o.before}) ${b.subject}`);
    console.log(`after  ${a.sha.slice(0, 7)} (${o.after}) ${a.subject}`);
    console.log(
      `${o.runs} run(s) per side, interleaved (ABBA), ${o.pick} of each figure; arguments: ${
        benches.map((x) => `${x} [${(o.args[x] ?? []).join(' ')}]`).join(', ') || '-'
      }; bench scripts: ${o.scriptFrom === 'own' ? 'each revision its own' : `${o.scriptFrom}'s on both`}`,
    );
    console.log(
      `load average at start ${loadStart}, at end ${load()} (1-min at each run: ${Math.min(...loads).toFixed(2)}..${Math.max(...loads).toFixed(2)}) on ${cpus().length} cores`,
    );
    console.log('');
    console.log(formatTable(rows));
    for (const s of skipped) console.log(`skipped: ${s}`);
    for (const p of scriptNotes)
      console.log(
        `note: ${p} differs between the revisions; each side ran its own, so a figure may measure a changed workload (--script-from before runs one script on both)`,
      );
    console.log(
      'a control measures no code of the compared revisions (a bare server, a bare git commit, parsing alone): when it moves as much as a figure, the load moved',
    );
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    cleanup();
  }
}

try {
  const o = options(process.argv.slice(2));
  if (o) await main(o);
} catch (e) {
  if (e instanceof UsageError) {
    console.error(`bench/compare: ${e.message}\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(`bench/compare: ${(e as Error).message.split('\n')[0]}`);
    process.exitCode = 1;
  }
}
