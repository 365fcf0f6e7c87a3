/**
 * `agent-canary autopilot` and `agent-canary gate --autopilot` as a user runs them: a separate
 * process (the CLI through tsx, test/cli-entry.ts) against a real Git repository in a temp
 * folder, the MLflow stand-in's `mlflow.db` and a real Prometheus. Holds are 0s so the real
 * clock needs no waiting; the hold logic itself is tested with an injected clock in
 * autopilot.test.ts. Assertions read the repository and parse the command's output.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI_ARGS } from '../cli-entry.js';
import { events, git, seeded, startWorld, trailers, type World } from './fixtures.js';
import { until, type TestPrometheus } from './prometheus.js';

const NS = 'team-c';
const AGENTS = {
  steady: { stable: 0.01, canary: 0.01, eval: true },
  slipping: { stable: 0.01, canary: 0.01, eval: false },
  served: { stable: 0.01, canary: 0.01, eval: true },
} as const;
const NO_HOLDS = ['0s', '0s', '0s', '0s'];

let world: World | undefined;
let prom: TestPrometheus;
let root: string;
let db: string;

beforeAll(async () => {
  world = await startWorld('agent-canary-autopilot-cli-', NS, AGENTS);
  ({ prom, root, db } = world);
}, 120_000);

afterAll(async () => {
  await world?.close();
});

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the CLI to its end in `cwd`. */
function cli(cwd: string, args: readonly string[]): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function evidence(): string[] {
  return ['--mlflow', `sqlite:///${db}`, '--prometheus', prom.url, '--no-validate'];
}

describe('agent-canary autopilot (the command)', () => {
  it('--once --dry-run prints the decision with its trailers and commits nothing; --once then commits it', async () => {
    const dir = join(root, 'once');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'steady', weight: 5 }],
      join(dir, 'gitops'),
      NO_HOLDS,
    );
    const head = git(repo.dir, 'rev-parse', 'HEAD');
    const dry = await cli(dir, [
      'autopilot',
      '--repo',
      repo.dir,
      ...evidence(),
      '--once',
      '--dry-run',
      '--name',
      'autopilot (cli test)',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/autopilot pass over .*: 1 canaries, 0 commits \(dry run\)/);
    expect(dry.stdout).toMatch(
      new RegExp(`${NS}/steady: 5% -> 10%: .*passed \\(dry run: no commit\\)`),
    );
    // Nothing committed, nothing left in the work tree.
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(head);
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');

    const real = await cli(dir, [
      'autopilot',
      '--repo',
      repo.dir,
      ...evidence(),
      '--once',
      '--name',
      'autopilot (cli test)',
    ]);
    expect(real.code, real.stderr).toBe(0);
    expect(real.stdout).toMatch(/autopilot pass over .*: 1 canaries, 1 commits/);
    expect(git(repo.dir, 'rev-parse', 'HEAD~1')).toBe(head);
    expect(events(repo.dir)[0]).toBe(`AgentCanaryWeightChanged ${NS}/steady 5->10`);
    const t = trailers(repo.dir);
    expect(t['Agent-Canary-Decided-By']).toBe('autopilot (cli test)');
    expect(t['Agent-Canary-Verdict']).toBe('pass');
    expect(t['Agent-Canary-Scores']).toMatch(/safety\/mean=0\.975 \(stable 0\.967\)/);
    expect(t['Agent-Canary-Checks']).toMatch(/request-success-rate=99 \(>=90\) ok/);
    expect(t['Agent-Canary-Failed-Checks']).toBe('0/2');
  });

  it('--once --json prints one parseable pass report whose commits are the repository head', async () => {
    const dir = join(root, 'json');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'slipping', weight: 5 }],
      join(dir, 'gitops'),
      NO_HOLDS,
    );
    const head = git(repo.dir, 'rev-parse', 'HEAD');
    const dry = await cli(dir, [
      'autopilot',
      '--repo',
      repo.dir,
      ...evidence(),
      '--once',
      '--dry-run',
      '--json',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as {
      canaries: number;
      commits: number;
      entries: {
        agentId: string;
        action: string;
        commit?: string;
        trailers: [string, string][];
      }[];
    };
    expect(planned).toMatchObject({ canaries: 1, commits: 0 });
    expect(planned.entries).toHaveLength(1);
    expect(planned.entries[0]).toMatchObject({ agentId: `${NS}/slipping`, action: 'check-failed' });
    expect(planned.entries[0]!.commit).toBeUndefined();
    expect(Object.fromEntries(planned.entries[0]!.trailers)).toMatchObject({
      'Agent-Canary-Verdict': 'fail',
      'Agent-Canary-Failed-Checks': '1/2',
    });
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(head);

    const ran = await cli(dir, [
      'autopilot',
      '--repo',
      repo.dir,
      ...evidence(),
      '--once',
      '--json',
    ]);
    expect(ran.code, ran.stderr).toBe(0);
    // Exactly one JSON document on stdout (logs go to stderr).
    const lines = ran.stdout.trim().split('\n');
    expect(lines).toHaveLength(1);
    const report = JSON.parse(lines[0]!) as typeof planned & { repository: string };
    expect(report).toMatchObject({ canaries: 1, commits: 1 });
    expect(report.entries[0]).toMatchObject({ agentId: `${NS}/slipping`, action: 'check-failed' });
    expect(report.entries[0]!.commit).toBe(git(repo.dir, 'rev-parse', 'HEAD'));
    expect(events(repo.dir)[0]).toBe(`AgentCanaryCheckFailed ${NS}/slipping 5->5`);
    // The trailers the report names are the ones in the commit.
    const t = trailers(repo.dir);
    for (const [k, v] of report.entries[0]!.trailers) expect(t[k], k).toBe(v);
  });

  it('refuses a bad flag value with exit 2 and the flag named, touching nothing', async () => {
    const dir = join(root, 'usage');
    const repo = await seeded(
      dir,
      [{ namespace: NS, name: 'steady', weight: 5 }],
      join(dir, 'gitops'),
      NO_HOLDS,
    );
    const head = git(repo.dir, 'rev-parse', 'HEAD');
    const bad = await cli(dir, ['autopilot', '--repo', repo.dir, '--interval', 'soon', '--once']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--interval: invalid duration 'soon'/);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(git(repo.dir, 'rev-parse', 'HEAD')).toBe(head);
  });
});

describe('agent-canary gate --autopilot', () => {
  it(
    'runs the loop inside the gate server: a good canary is walked to promotion, each commit with its evidence',
    { timeout: 120_000 },
    async () => {
      const dir = join(root, 'served');
      const repo = await seeded(
        dir,
        [{ namespace: NS, name: 'served', weight: 5 }],
        join(dir, 'gitops'),
        NO_HOLDS,
      );
      const child = spawn(
        process.execPath,
        [
          ...CLI_ARGS,
          'gate',
          '--port',
          '0',
          '--repo',
          repo.dir,
          '--autopilot',
          '--autopilot-interval',
          '1s',
          '--mlflow',
          `sqlite:///${db}`,
          '--prometheus',
          prom.url,
          '--log-level',
          'warn',
        ],
        { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const exited = new Promise<number | null>((r) => child.once('exit', r));
      const walked = (): string[] =>
        events(repo.dir)
          .filter((e) => e !== 'Synthesized')
          .reverse();
      try {
        await until(
          `the gate's autopilot promotes ${NS}/served (stderr: ${stderr})`,
          async () =>
            walked().some((e) => e.startsWith('AgentCanaryPromoted')) ? true : undefined,
          90_000,
        );
      } finally {
        child.kill('SIGTERM');
      }
      expect(await exited).toBe(0);
      expect(walked()).toEqual([
        `AgentCanaryWeightChanged ${NS}/served 5->10`,
        `AgentCanaryWeightChanged ${NS}/served 10->25`,
        `AgentCanaryWeightChanged ${NS}/served 25->50`,
        `AgentCanaryPromoted ${NS}/served 50->100`,
      ]);
      const t = trailers(repo.dir);
      expect(t['Agent-Canary-Decided-By']).toMatch(/^autopilot \(.+ pid \d+\)$/);
      expect(t['Agent-Canary-Verdict']).toBe('pass');
      expect(t['Agent-Canary-Checks']).toMatch(/error-rate-vs-primary=.* ok/);
      expect(git(repo.dir, 'status', '--porcelain')).toBe('');
    },
  );
});
