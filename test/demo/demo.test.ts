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

  it('runs every step on the embedded defaults, leaves a commit per operation, and the autopilot promotes one canary step by step and rolls one back', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const code = await run([]);
    const printed = log.mock.calls.map((c) => c.join(' ')).join('\n');
    log.mockRestore();
    expect(code, printed).toBe(0);
    // A step that misbehaved is printed `  FAIL <what>` (a failing score in the evidence is data).
    expect(printed).not.toMatch(/^ {2}FAIL /m);
    // dist/ was synthesized in the project, the GitOps repository and the MLflow store in .agent-canary/demo.
    expect((await readdir(join(dir, 'dist'))).sort()).toEqual([
      'agent-canary-system',
      'argocd',
      'team-research',
      'team-support',
    ]);
    expect(existsSync(join(dir, '.agent-canary', 'demo', 'mlflow.db'))).toBe(true);
    const repo = join(dir, '.agent-canary', 'demo', '.agent-canary', 'gitops');
    // Oldest first, per agent: event from->to, read back from the trailers.
    const history = execFileSync(
      'git',
      [
        'log',
        '--reverse',
        '--format=%(trailers:key=Agent-Canary-Agent,valueonly,separator=)|%(trailers:key=Agent-Canary-Event,valueonly,separator=)|%(trailers:key=Agent-Canary-Weight-From,valueonly,separator=)|%(trailers:key=Agent-Canary-Weight-To,valueonly,separator=)|%(trailers:key=Agent-Canary-Decided-By,valueonly,separator=)',
      ],
      { cwd: repo, encoding: 'utf8' },
    )
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split('|'));
    const of = (agent: string): string[] =>
      history
        .filter(([a]) => a === agent)
        .map(
          ([, e, f, t, by]) => `${e} ${f}->${t}${by === 'autopilot (demo)' ? ' (autopilot)' : ''}`,
        );
    expect(history[0]![1]).toBe('Synthesized');
    // Step 6 through the HTTP API, then step 7: the autopilot walks the successor step by step.
    expect(of('team-research/research-assistant')).toEqual([
      'AgentCanaryWeightChanged 25->50',
      'AgentCanaryPromoted 50->100',
      'AgentCanaryStarted 0->5',
      'AgentCanaryWeightChanged 5->10 (autopilot)',
      'AgentCanaryWeightChanged 10->25 (autopilot)',
      'AgentCanaryWeightChanged 25->50 (autopilot)',
      'AgentCanaryPromoted 50->100 (autopilot)',
    ]);
    // Rolled back by hand, restarted, and rolled back by the autopilot at threshold 3.
    expect(of('team-support/support-bot')).toEqual([
      'AgentCanaryRolledBack 10->0',
      'AgentCanaryStarted 0->5',
      'AgentCanaryCheckFailed 5->5 (autopilot)',
      'AgentCanaryCheckFailed 5->5 (autopilot)',
      'AgentCanaryRolledBack 5->0 (autopilot)',
    ]);
    // The output says the traffic checks were not run (no Prometheus configured) and shows the evidence.
    expect(printed).toMatch(/traffic checks: none \(no Prometheus address configured/);
    expect(printed).toMatch(/Agent-Canary-Verdict: pass/);
    expect(printed).toMatch(/Agent-Canary-Failed-Checks: 3\/3/);
    // A second run starts over and tells the same story.
    const again = vi.spyOn(console, 'log').mockImplementation(() => {});
    expect(await run([])).toBe(0);
    again.mockRestore();
  }, 90_000);
});
