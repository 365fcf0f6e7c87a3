/**
 * Pull-request mode on a real Git repository (temp dir): the example fleet, policies and dist/
 * committed as the base, one change committed as the head, validated with `--base HEAD~1`.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { checkFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { writeOutput } from '../../src/synth/output.js';
import { validatePullRequest } from '../../src/validate/pr/index.js';
import { SchemaRegistry } from '../../src/validate/index.js';
import { renderJunit } from '../../src/validate/report/junit.js';
import { ROOT } from './_project.js';

const registry = new SchemaRegistry();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const git = (cwd: string, ...args: string[]) =>
  execFileSync(
    'git',
    [
      '-c',
      'user.name=Test',
      '-c',
      'user.email=test@example.com',
      '-c',
      'commit.gpgsign=false',
      ...args,
    ],
    { cwd, stdio: 'pipe' },
  ).toString();

let repo: string;
beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'validate-pr-'));
  dirs.push(repo);
  for (const d of ['fleet', 'policies', 'dist'])
    cpSync(join(ROOT, d), join(repo, d), { recursive: true });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'add', '.');
  git(repo, 'commit', '-q', '-m', 'base');
});

const BOT_FILE = 'fleet/team-support/support-bot.yaml';

/** Edits a fleet (or policy) file, re-synthesizes dist/ like `agent-canary synth`, commits. */
function commitFleetChange(edit: (text: string) => string, message: string, rel = BOT_FILE): void {
  const file = join(repo, rel);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  const manifests = synthesize(checkFleet(join(repo, 'fleet')).agents, {
    policies: loadPolicies(join(repo, 'policies')),
  });
  writeOutput(join(repo, 'dist'), manifests);
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', message);
}

const setWeight = (w: number) => (t: string) => t.replace(/^(\s+weight: )10$/m, `$1${w}`);

// A day after the commits: every step's hold has elapsed (pr-safety.test.ts checks the holds).
const validate = (extra: { gate?: string } = {}) =>
  validatePullRequest([join(repo, 'dist')], {
    root: repo,
    base: 'HEAD~1',
    registry,
    now: () => Date.now() + 86_400_000,
    ...extra,
  });

describe('validate --base', () => {
  it('reports the next weight step as a traffic change and passes', async () => {
    commitFleetChange(setWeight(25), 'support-bot to 25');
    const report = await validate();
    expect(report.changes).toContainEqual(
      expect.objectContaining({
        agent: 'team-support/support-bot',
        kind: 'weight',
        summary: 'weight 10 -> 25',
      }),
    );
    expect(report.findings).toEqual([]);
    expect(report.exitCode).toBe(0);
  });

  it('fails a weight change that skips a step, at the Agent weight line', async () => {
    commitFleetChange(setWeight(50), 'support-bot to 50');
    const report = await validate();
    const f = report.findings.find((x) => x.ruleId === 'manual-weight-step');
    expect(f).toMatchObject({
      severity: 'error',
      path: 'spec.canary.weight',
      object: { kind: 'Agent', name: 'support-bot' },
    });
    expect(f!.message).toContain('weight 10 -> 50 skips step 25');
    const agentText = readFileSync(
      join(repo, 'dist/team-support/support-bot/Agent.support-bot.yaml'),
      'utf8',
    ).split('\n');
    expect(agentText[f!.line - 1]).toMatch(/weight: 50/);
    expect(report.exitCode).toBe(1);
  });

  it('reports a stopped canary', async () => {
    commitFleetChange((t) => t.replace(/^(\s+enabled: )true$/m, '$1false'), 'stop canary');
    const report = await validate();
    expect(report.changes).toContainEqual(
      expect.objectContaining({ agent: 'team-support/support-bot', kind: 'canary-stopped' }),
    );
    expect(report.exitCode).toBe(0);
  });

  it('reports a promotion: the challenger becomes stable, the canary stops', async () => {
    commitFleetChange(
      (t) =>
        t
          .replace(/^(\s+)enabled: true$/m, '$1enabled: false')
          .replace(
            /^  image: ghcr.io\/recif-platform\/corail:v0.3.1$/m,
            '  image: ghcr.io/recif-platform/corail:v0.4.0',
          )
          .replace(/^  modelId: gpt-4o-mini$/m, '  modelId: gpt-4.1-mini')
          .replace(/^  version: "3"$/m, '  version: "4"'),
      'promote support-bot',
    );
    const report = await validate();
    const change = report.changes.find((c) => c.agent === 'team-support/support-bot');
    expect(change).toMatchObject({ kind: 'promoted' });
    expect(change!.summary).toContain(
      'image ghcr.io/recif-platform/corail:v0.3.1 -> ghcr.io/recif-platform/corail:v0.4.0',
    );
  });

  it('reports a changed Flagger plan of a progressive agent', async () => {
    commitFleetChange(
      (t) =>
        t.replace(
          /^(\s+)- \{ weight: 50, hold: 10m \}$/m,
          '$1- { weight: 25, hold: 5m }\n$1- { weight: 50, hold: 10m }',
        ),
      'fast plan 10/25/50',
      'policies/fast.yaml',
    );
    const report = await validate();
    const change = report.changes.find(
      (c) => c.agent === 'team-support/triage-agent' && c.kind === 'plan',
    );
    expect(change?.summary).toContain('stepWeights [10, 50] -> [10, 25, 50]');
    expect(report.exitCode).toBe(0);
  });

  it('fails hand-edited dist/ (drift from the fleet)', async () => {
    const vs = join(repo, 'dist/team-support/support-bot/VirtualService.support-bot.yaml');
    const text = readFileSync(vs, 'utf8');
    writeFileSync(
      vs,
      text.replace(/weight: 90/, 'weight: 75').replace(/weight: 10$/m, 'weight: 25'),
    );
    git(repo, 'commit', '-qam', 'hand edit');
    const report = await validate();
    const drift = report.findings.find((f) => f.ruleId === 'dist-drift');
    expect(drift).toMatchObject({
      file: 'dist/team-support/support-bot/VirtualService.support-bot.yaml',
      severity: 'error',
    });
    expect(drift!.message).toMatch(
      /hand-edited: line \d+ is "weight: 75", the fleet synthesizes "weight: 90"/,
    );
    expect(report.findings.some((f) => f.ruleId === 'canary-weight-bounds')).toBe(true);
    expect(report.exitCode).toBe(1);
    // Findings about no single resource still reach junit.
    expect(renderJunit(report)).toMatch(/<failure message="\[dist-drift\] hand-edited/);
  });

  it('exits 2 for a base ref that does not exist', async () => {
    await expect(
      validatePullRequest([join(repo, 'dist')], { root: repo, base: 'no-such-ref', registry }),
    ).rejects.toThrow(/not a commit/);
  });

  describe('with --gate', () => {
    async function withGate(
      status: number,
      fn: (url: string, bodies: unknown[]) => Promise<void>,
    ): Promise<void> {
      const bodies: unknown[] = [];
      const server: Server = createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString()));
        req.on('end', () => {
          bodies.push({ path: req.url, method: req.method, body: JSON.parse(body) as unknown });
          res
            .writeHead(status, { 'content-type': 'text/plain' })
            .end(status === 200 ? 'approved' : 'canary safety/mean 0.41 < 0.6');
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      try {
        await fn(`http://127.0.0.1:${port}`, bodies);
      } finally {
        await new Promise((r) => server.close(r));
      }
    }

    it('asks the gate with the Flagger-shaped payload and passes on 200', async () => {
      commitFleetChange(setWeight(25), 'support-bot to 25');
      await withGate(200, async (url, bodies) => {
        const report = await validate({ gate: url });
        expect(report.exitCode).toBe(0);
        expect(bodies).toHaveLength(1);
        expect(bodies[0]).toMatchObject({
          path: '/api/v1/webhooks/flagger',
          method: 'POST',
          body: {
            name: 'support-bot',
            namespace: 'team-support',
            phase: 'Progressing',
            metadata: { check: 'quality', agent: 'support-bot' },
          },
        });
        expect((bodies[0] as { body: { checksum: string } }).body.checksum).toMatch(
          /^[0-9a-f]{8,}$/,
        );
      });
    });

    it('fails the check when the gate refuses (412)', async () => {
      commitFleetChange(setWeight(25), 'support-bot to 25');
      await withGate(412, async (url) => {
        const report = await validate({ gate: url });
        const f = report.findings.find((x) => x.ruleId === 'gate-check');
        expect(f).toBeDefined();
        expect(f!.message).toContain('answered 412: canary safety/mean 0.41 < 0.6');
        expect(f!.object).toMatchObject({ kind: 'Deployment', name: 'support-bot-canary' });
        expect(report.exitCode).toBe(1);
      });
    });

    it('does not ask the gate when no weight goes up', async () => {
      commitFleetChange((t) => t.replace(/^(\s+enabled: )true$/m, '$1false'), 'stop canary');
      await withGate(412, async (url, bodies) => {
        const report = await validate({ gate: url });
        expect(bodies).toHaveLength(0);
        expect(report.exitCode).toBe(0);
      });
    });
  });
});
