/**
 * bench/cli.ts: cold-start times of the `agent-canary` command, as CI and people pay them on
 * every call, in one run:
 * - the compiled CLI (`node bin/agent-canary.mjs`, lib/ from `npm run build`, run first here);
 * - the TypeScript entry through tsx (`node --import tsx src/cli.ts`, what the bin ran before);
 * - the baseline: `node -e 0`, the floor of any Node process on this machine.
 *
 *   npx tsx bench/cli.ts [--runs 7]
 *
 * Commands: `--help`; `validate dist/` (the example's 35 manifests); `synth` of the example fleet
 * into a temp folder. Each is run once to fill the user cache (compiled schemas, as after the
 * first CI run), then timed `--runs` times; the median is printed beside its target:
 * --help <= 0.25 s, validate <= 0.6 s, synth <= 1.2 s (compiled).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
const runs = Math.max(1, Number(values.runs));
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const tmp = mkdtempSync(join(tmpdir(), 'bench-cli-'));
const env = { ...process.env, XDG_CACHE_HOME: join(tmp, 'cache'), AGENT_CANARY_CACHE_DIR: '' };
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

console.log('building lib/ (npm run build) ...');
execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', 'build'], {
  cwd: root,
  stdio: 'inherit',
});

const entries = {
  compiled: [join(root, 'bin', 'agent-canary.mjs')],
  tsx: ['--import', tsx, join(root, 'src', 'cli.ts')],
} as const;
const commands: { name: string; args: string[]; target: number }[] = [
  { name: '--help', args: ['--help'], target: 0.25 },
  { name: 'validate dist/', args: ['validate', 'dist/'], target: 0.6 },
  {
    name: 'synth (example fleet)',
    args: ['synth', '--out', join(tmp, 'dist'), '--quiet'],
    target: 1.2,
  },
];

function time(argv: readonly string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, argv, {
    cwd: root,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(`node ${argv.join(' ')} exited ${r.status}: ${r.stderr.toString()}`);
  return s;
}

function median(argv: readonly string[]): number {
  time(argv); // warm: the user cache and the OS file cache, as in a CI run after the first
  const xs = Array.from({ length: runs }, () => time(argv)).sort((a, b) => a - b);
  return xs[Math.floor(xs.length / 2)]!;
}

try {
  const floor = median(['-e', '0']);
  const f = (s: number) => `${s.toFixed(3)} s`.padStart(9);
  console.log(
    `\nmedian of ${runs} cold starts each (2-core machine); baseline node -e 0: ${f(floor).trim()}\n`,
  );
  console.log(
    `${'command'.padEnd(24)}${'compiled'.padStart(9)}${'tsx'.padStart(9)}${'node -e 0'.padStart(10)}${'target'.padStart(9)}  compiled vs target`,
  );
  for (const c of commands) {
    const compiled = median([...entries.compiled, ...c.args]);
    const viaTsx = median([...entries.tsx, ...c.args]);
    const verdict = compiled <= c.target ? 'ok' : 'OVER';
    console.log(
      `${c.name.padEnd(24)}${f(compiled)}${f(viaTsx)}${f(floor).padStart(10)}${f(c.target)}  ${verdict} (tsx ${(viaTsx / compiled).toFixed(1)}x slower)`,
    );
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
