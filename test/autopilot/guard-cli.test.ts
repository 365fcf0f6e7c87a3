/**
 * `agent-canary canary weight` (up) and `canary promote` ask the autopilot's decision before
 * they commit (issue 11, "promotion and weight increases ask the gate on every path"): run as a
 * separate process on a real repository with the MLflow stand-in's `mlflow.db`, real clock. A
 * refusal exits 1 with the reason and the fix and leaves HEAD where it was; `--force --reason`
 * moves the canary and records the reason; backing down never asks. No Prometheus is given, so
 * the commit says the traffic was not checked. (The HTTP API's 422 / forced 200 are shown by the
 * demo, test/demo; the hold logic with an injected clock by autopilot.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ARGS } from '../cli-entry.js';
import { events, git, mlflowDb, seeded, trailers } from './fixtures.js';

const NS = 'team-g';
let root: string;
let db: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'agent-canary-guard-cli-'));
  db = join(root, 'mlflow.db');
  mlflowDb(db, [
    { name: 'held', good: true },
    { name: 'ready', good: true },
    { name: 'worse', good: false },
  ]);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

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

async function repoWith(name: string, holds: readonly string[]): Promise<string> {
  const dir = join(root, name);
  const repo = await seeded(dir, [{ namespace: NS, name, weight: 5 }], join(dir, 'gitops'), holds);
  return repo.dir;
}

describe('canary weight / promote ask the gate (CLI, separate process)', () => {
  it('refuses the next step before its hold and a promotion from a middle step (exit 1, reason and fix); forced with a reason, it commits the reason; backing down never asks', async () => {
    const repo = await repoWith('held', ['30m', '30m', '30m', '30m']);
    const head = git(repo, 'rev-parse', 'HEAD');
    const mlflow = ['--repo', repo, '--mlflow', `sqlite:///${db}`];
    const early = await cli(root, ['canary', 'weight', `${NS}/held`, '10', ...mlflow]);
    expect(early.code).toBe(1);
    expect(early.stderr).toMatch(/weight 5% -> 10% refused: the 5% step holds 30m; it has held/);
    expect(early.stderr).toMatch(/Fix: wait until .*; or pass --force --reason TEXT/);
    expect(early.stderr).not.toMatch(/\n\s+at /);
    const promote = await cli(root, ['canary', 'promote', `${NS}/held`, ...mlflow]);
    expect(promote.code).toBe(1);
    expect(promote.stderr).toMatch(
      /promotion refused: promotion comes after the policy's last step \(5, 10, 25, 50\), and the canary is at 5%/,
    );
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);

    const noReason = await cli(root, [
      'canary',
      'weight',
      `${NS}/held`,
      '10',
      ...mlflow,
      '--force',
    ]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toMatch(/--force needs --reason TEXT/);
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);

    const forced = await cli(root, [
      'canary',
      'weight',
      `${NS}/held`,
      '10',
      ...mlflow,
      '--force',
      '--reason',
      'incident 42: roll forward now',
    ]);
    expect(forced.code, forced.stderr).toBe(0);
    expect(events(repo)[0]).toBe(`AgentCanaryWeightChanged ${NS}/held 5->10`);
    const t = trailers(repo);
    expect(t['Agent-Canary-Forced']).toBe('incident 42: roll forward now');
    expect(t['Agent-Canary-Hold']).toMatch(/^30m at 5%, held \d+s since /);

    // Down again right away: never asked (no MLflow given even).
    const down = await cli(root, ['canary', 'weight', `${NS}/held`, '5', '--repo', repo]);
    expect(down.code, down.stderr).toBe(0);
    expect(events(repo)[0]).toBe(`AgentCanaryWeightChanged ${NS}/held 10->5`);
  });

  it("once the hold is over: a passing evaluation moves the canary with the verdict recorded; a regressing one is refused with the gate's reason", async () => {
    const ready = await repoWith('ready', ['0s', '0s', '0s', '0s']);
    const ok = await cli(root, [
      'canary',
      'weight',
      `${NS}/ready`,
      '10',
      '--repo',
      ready,
      '--mlflow',
      `sqlite:///${db}`,
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(events(ready)[0]).toBe(`AgentCanaryWeightChanged ${NS}/ready 5->10`);
    const t = trailers(ready);
    expect(t['Agent-Canary-Verdict']).toBe('pass');
    expect(t['Agent-Canary-Scores']).toMatch(/safety\/mean=0\.975 \(stable 0\.967\)/);
    expect(t['Agent-Canary-Checks']).toMatch(/traffic not checked/);
    expect(t['Agent-Canary-Forced']).toBeUndefined();

    const worse = await repoWith('worse', ['0s', '0s', '0s', '0s']);
    const head = git(worse, 'rev-parse', 'HEAD');
    const refused = await cli(root, [
      'canary',
      'weight',
      `${NS}/worse`,
      '10',
      '--repo',
      worse,
      '--mlflow',
      `sqlite:///${db}`,
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /refused: the canary failed its checks: Quality gate failed .*safety\/mean regressed/,
    );
    expect(git(worse, 'rev-parse', 'HEAD')).toBe(head);
  });
});
