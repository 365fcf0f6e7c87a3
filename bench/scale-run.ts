/**
 * How bench/scale.ts runs and reports what it measures: git and the compiled CLI as child
 * processes (wall time and peak resident memory each, bench/peak-rss.mjs preloaded), a running
 * `gate --repo` server for the canary API (its peak from /proc), and the table of rows.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(ROOT, 'bin', 'agent-canary.mjs');
const PRELOAD = join(ROOT, 'bench', 'peak-rss.mjs');
/** Every figure's memory target (issue 15). */
export const PEAK_MB = 400;

export interface Measured {
  readonly seconds: number;
  readonly peakMb?: number;
  /** The last line the command printed. */
  readonly line?: string;
}

interface Row extends Measured {
  readonly name: string;
  readonly target?: string;
  readonly ok?: boolean;
  readonly note?: string;
}

export function git(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): string {
  return execFileSync(
    'git',
    ['-c', 'user.name=bench', '-c', 'user.email=bench@localhost', ...args],
    {
      cwd,
      encoding: 'utf8',
      // `git ls-files` or `git status` of 100,000 files is several MB (past the 1 MB default).
      maxBuffer: 1024 * 1024 * 1024,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    },
  );
}

/** Runs the compiled CLI in `cwd`: wall time, peak RSS and the last stdout line. */
export function cli(
  cwd: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  okCodes: readonly number[] = [0],
): Required<Measured> {
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

export function timed(fn: () => void): Measured {
  spawnSync('sync');
  const t = performance.now();
  fn();
  return { seconds: (performance.now() - t) / 1000 };
}

export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** The rows printed so far, and the table at the end. */
export class Report {
  private readonly rows: Row[] = [];

  /**
   * Prints and keeps a row. `targetS`: the time target (the memory target applies with it);
   * `ratio`: the most this figure may be of a baseline measured in the same run.
   */
  record(
    name: string,
    m: Measured,
    opts: { targetS?: number; note?: string; ratio?: { of: number; max: number } } = {},
  ): void {
    const { targetS, ratio } = opts;
    const note =
      [
        ratio ? `${(m.seconds / ratio.of).toFixed(1)}x the bare commit` : undefined,
        opts.note ?? m.line,
      ]
        .filter(Boolean)
        .join('; ') || undefined;
    const ok =
      targetS === undefined
        ? undefined
        : m.seconds <= targetS &&
          (m.peakMb === undefined || m.peakMb <= PEAK_MB) &&
          (ratio === undefined || m.seconds <= ratio.max * ratio.of);
    const target =
      targetS === undefined
        ? undefined
        : `<= ${targetS} s${ratio ? `, <= ${ratio.max}x bare` : ''}, <= ${PEAK_MB} MB`;
    this.rows.push({ name, ...m, target, ok, note });
    const mb = m.peakMb === undefined ? '' : `, peak ${m.peakMb.toFixed(0)} MB`;
    console.log(`  ${name}: ${m.seconds.toFixed(2)} s${mb}${note ? ` (${note})` : ''}`);
  }

  print(): void {
    console.log('\nfigure | seconds | peak MB | target | met');
    console.log('---|---|---|---|---');
    for (const r of this.rows)
      console.log(
        `${r.name} | ${r.seconds.toFixed(2)} | ${r.peakMb === undefined ? '' : r.peakMb.toFixed(0)} | ${r.target ?? 'baseline'} | ${r.ok === undefined ? '' : r.ok ? 'yes' : 'NO'}`,
      );
    console.log(`load average at the end: ${loadAverage()}`);
  }
}

export function loadAverage(): string {
  return loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
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

/** A running `agent-canary gate --repo` and its canary API. */
export class ApiServer {
  private log = '';
  private constructor(
    private readonly child: ReturnType<typeof spawn>,
    private readonly port: number,
    private readonly token: string,
  ) {
    child.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
  }

  static async start(project: string, extraArgs: readonly string[]): Promise<ApiServer> {
    const port = await freePort();
    const token = 'bench-token';
    const child = spawn(
      process.execPath,
      [CLI, 'gate', '--port', String(port), '--repo', project, '--api-token', token, ...extraArgs],
      { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new ApiServer(child, port, token);
    for (let i = 0; ; i++) {
      try {
        await fetch(`http://127.0.0.1:${port}/healthz`);
        return server;
      } catch {
        if (i > 600 || child.exitCode !== null) {
          await server.stop();
          throw new Error(`gate did not start:\n${server.log}`);
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** PATCH /api/v1/agents/<ns>.<name>/canary {"weight": w}: its wall time (must answer 200). */
  async weight(id: string, weight: number): Promise<number> {
    const t = performance.now();
    const res = await fetch(
      `http://127.0.0.1:${this.port}/api/v1/agents/${id.replace('/', '.')}/canary`,
      {
        method: 'PATCH',
        headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ weight }),
      },
    );
    const body = await res.text();
    const seconds = (performance.now() - t) / 1000;
    if (res.status !== 200) throw new Error(`PATCH ${id}: ${res.status} ${body}\n${this.log}`);
    return seconds;
  }

  peakMb(): number | undefined {
    return this.child.pid === undefined ? undefined : vmHwmMb(this.child.pid);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGTERM');
    await exited;
  }
}
