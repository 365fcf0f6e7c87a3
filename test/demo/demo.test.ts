/**
 * The README's main job (`agent-canary demo`) on a fresh copy of the project: synthesis, the
 * embedded GitOps repository, MLflow's local SQLite store, the gate and the canary API, all on
 * this machine. The demo checks each step itself and exits non-zero when one misbehaves.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cp, mkdtemp, readdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { run } from '../../src/demo/command.js';

const root = resolve(import.meta.dirname, '..', '..');

describe('agent-canary demo (the main job)', () => {
  let dir: string;
  const cwd = process.cwd();
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'agent-canary-demo-'));
    await cp(join(root, 'fleet'), join(dir, 'fleet'), { recursive: true });
    await cp(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
    process.chdir(dir);
  });
  afterAll(async () => {
    process.chdir(cwd);
    await rm(dir, { recursive: true, force: true });
  });

  it('runs every step on the embedded defaults and leaves a commit per operation', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await run([]);
    const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
    log.mockRestore();
    expect(code, printed).toBe(0);
    expect(printed).not.toContain('FAIL');
    // dist/ was synthesized in the project, the GitOps repository and the MLflow store in .agent-canary/demo.
    expect((await readdir(join(dir, 'dist'))).sort()).toEqual([
      'agent-canary-system',
      'argocd',
      'team-research',
      'team-support',
    ]);
    expect(existsSync(join(dir, '.agent-canary', 'demo', 'mlflow.db'))).toBe(true);
    const repo = join(dir, '.agent-canary', 'demo', '.agent-canary', 'gitops');
    const events = execFileSync(
      'git',
      ['log', '--format=%(trailers:key=Agent-Canary-Event,valueonly)'],
      { cwd: repo, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean);
    expect(events).toEqual([
      'AgentCanaryRolledBack',
      'AgentCanaryPromoted',
      'AgentCanaryWeightChanged',
      'Synthesized',
    ]);
    // A second run starts over and tells the same story.
    const again = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await run([])).toBe(0);
    again.mockRestore();
  }, 90_000);
});
