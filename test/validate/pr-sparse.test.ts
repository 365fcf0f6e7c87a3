/**
 * `validate --base` reads only what a pull request touched and what that affects (the namespaces
 * of the changed fleet files, dist/ files and Argo CD Applications), and finds exactly what the
 * whole-tree reading finds: same findings, same traffic changes, same exit code, for a weight
 * change, renamed and deleted files, a moved and a removed agent, a hand-edited Application. A
 * policy or cluster-settings change reaches agents whose files did not change, so it is read
 * whole (a policy change is found in every agent using it). A problem already on the base in a
 * namespace the pull request does not touch is not read (that is what makes it fast).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadClusterConfig } from '../../src/config/load.js';
import { checkFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { writeOutput } from '../../src/synth/output.js';
import { SchemaRegistry } from '../../src/validate/index.js';
import { validatePullRequest } from '../../src/validate/pr/index.js';
import { pullRequestScope } from '../../src/validate/pr/scope.js';
import type { Report } from '../../src/validate/types.js';
import { ROOT } from './_project.js';

const registry = new SchemaRegistry();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const T0 = Date.UTC(2026, 0, 1);
const DAY = 86_400_000;
let repo: string;

function git(...args: string[]): string {
  const date = `${Math.floor(T0 / 1000)} +0000`;
  return execFileSync(
    'git',
    ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd: repo,
      stdio: 'pipe',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    },
  ).toString();
}

const edit = (rel: string, f: (t: string) => string) =>
  writeFileSync(join(repo, rel), f(readFileSync(join(repo, rel), 'utf8')));

/** What `agent-canary synth` writes for the fleet as it is now. */
function synth(): void {
  const fleet = checkFleet(join(repo, 'fleet'));
  expect(fleet.errors).toEqual([]);
  writeOutput(
    join(repo, 'dist'),
    synthesize(fleet.agents, {
      policies: loadPolicies(join(repo, 'policies')),
      cluster: loadClusterConfig(repo),
    }),
  );
}

function commit(message: string): void {
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'validate-pr-sparse-'));
  dirs.push(repo);
  for (const d of ['fleet', 'policies', 'dist'])
    cpSync(join(ROOT, d), join(repo, d), { recursive: true });
  cpSync(join(ROOT, 'agent-canary.yaml'), join(repo, 'agent-canary.yaml'));
  git('init', '-q', '-b', 'main');
  synth();
  commit('base');
});

const run = (wholeTree: boolean): Promise<Report> =>
  validatePullRequest([join(repo, 'dist')], {
    root: repo,
    base: 'HEAD~1',
    registry,
    now: () => T0 + DAY,
    wholeTree,
  });

/** Both readings of the pull request; the sparse one must find what the whole-tree one finds. */
async function both(): Promise<{ sparse: Report; whole: Report }> {
  const sparse = await run(false);
  const whole = await run(true);
  const view = (r: Report) => ({ findings: r.findings, changes: r.changes, exitCode: r.exitCode });
  expect(view(sparse)).toEqual(view(whole));
  return { sparse, whole };
}

const rules = (r: Report) => [...new Set(r.findings.map((f) => f.ruleId))].sort();

describe('validate --base reads only what the pull request affects', () => {
  it('a weight change that skips a step: same findings, reading one namespace', async () => {
    edit('fleet/team-support/support-bot.yaml', (t) => t.replace(/^(\s+weight: )10$/m, '$150'));
    synth();
    commit('support-bot 10 -> 50');
    const { sparse, whole } = await both();
    expect(rules(sparse)).toContain('manual-weight-step');
    expect(sparse.exitCode).toBe(1);
    // Only team-support (and the Argo CD folder) was read.
    const files = (r: Report) => new Set(r.results.map((x) => x.file.split('/dist/')[1] ?? x.file));
    expect([...files(sparse)].some((f) => f.startsWith('team-research/'))).toBe(false);
    expect([...files(whole)].some((f) => f.startsWith('team-research/'))).toBe(true);
    expect(sparse.summary.resources).toBeLessThan(whole.summary.resources);
  });

  it('a renamed and a deleted dist/ file: not produced and missing, as in the whole tree', async () => {
    const dir = join(repo, 'dist/team-support/support-bot');
    git('mv', join(dir, 'Service.support-bot.yaml'), join(dir, 'Service.support-bot-old.yaml'));
    git('rm', '-q', join(repo, 'dist/team-research/summarizer/Deployment.summarizer.yaml'));
    commit('rename and delete');
    const { sparse } = await both();
    const drift = sparse.findings.filter((f) => f.ruleId === 'dist-drift').map((f) => f.message);
    expect(drift.some((m) => m.includes('Service.support-bot-old.yaml is not produced'))).toBe(
      true,
    );
    expect(drift.some((m) => m.includes('Service.support-bot.yaml is missing'))).toBe(true);
    expect(drift.some((m) => m.includes('Deployment.summarizer.yaml is missing'))).toBe(true);
    expect(sparse.exitCode).toBe(1);
  });

  it('an agent moved to another namespace and one removed: both namespaces re-read', async () => {
    const from = join(repo, 'fleet/team-support/triage-agent.yaml');
    const to = join(repo, 'fleet/team-research/triage-agent.yaml');
    writeFileSync(
      to,
      readFileSync(from, 'utf8').replace(/namespace: team-support/, 'namespace: team-research'),
    );
    rmSync(from);
    rmSync(join(repo, 'fleet/team-research/summarizer.yaml'));
    synth();
    commit('move triage-agent, remove summarizer');
    const { sparse } = await both();
    const kinds = sparse.changes.map((c) => `${c.agent} ${c.kind}`);
    expect(kinds).toContain('team-support/triage-agent removed');
    expect(kinds).toContain('team-research/triage-agent added');
    expect(kinds).toContain('team-research/summarizer removed');
  });

  it('a hand-edited Argo CD Application is checked with its namespace', async () => {
    edit('dist/argocd/Application.agent-canary-team-support.yaml', (t) =>
      t.replace('RespectIgnoreDifferences=true', 'CreateNamespace=true'),
    );
    commit('hand edit');
    const { sparse } = await both();
    expect(rules(sparse)).toEqual(['argocd-ignore-differences', 'dist-drift']);
  });

  it('a policy change reaches every agent using it, fleet files unchanged', async () => {
    edit('policies/default.yaml', (t) =>
      t.replace('- { weight: 25, hold: 15m }', '- { weight: 30, hold: 15m }'),
    );
    commit('policy without synth');
    const { sparse } = await both();
    // No file of team-research changed, yet research-assistant uses `default`: its 25 % is no
    // longer a step of the plan.
    const at = (rule: string) =>
      sparse.findings
        .filter((f) => f.ruleId === rule)
        .map((f) => f.file.split('/dist/')[1] ?? f.file);
    expect(at('canary-weight-bounds')).toContain(
      'team-research/research-assistant/Agent.research-assistant.yaml',
    );
  });

  it('an agent deleted (fleet file and dist/ folder): removed, as in the whole tree', async () => {
    rmSync(join(repo, 'fleet/team-support/triage-agent.yaml'));
    rmSync(join(repo, 'dist/team-support/triage-agent'), { recursive: true });
    synth();
    commit('delete triage-agent');
    const { sparse } = await both();
    expect(sparse.changes.map((c) => `${c.agent} ${c.kind}`)).toEqual([
      'team-support/triage-agent removed',
    ]);
    expect(sparse.exitCode).toBe(0);
  });

  it('an unchanged agent beside a changed one keeps its base weight (no step skipped from 0)', async () => {
    // research-assistant runs at 25 % and does not change; only summarizer's file does. The
    // base's objects of unchanged files are the head's: its base weight is 25, not missing.
    edit('fleet/team-research/summarizer.yaml', (t) =>
      t.replace('one-page brief.', 'one-page brief, in English.'),
    );
    synth();
    commit('summarizer description');
    const { sparse } = await both();
    expect(rules(sparse)).not.toContain('manual-weight-step');
    expect(sparse.changes).toEqual([]);
    expect(sparse.exitCode).toBe(0);
  });

  it('uncommitted edits, an untracked agent and a git-ignored manifest: as in the whole tree', async () => {
    // Staged: support-bot 10 -> 50 (skips 25); untracked: a new agent; ignored: a stray manifest
    // that Git never had, so it is not at base either. (An empty commit: the base is HEAD~1.)
    commit('nothing yet');
    edit('fleet/team-support/support-bot.yaml', (t) => t.replace(/^(\s+weight: )10$/m, '$150'));
    writeFileSync(
      join(repo, 'fleet/team-support/helper-bot.yaml'),
      readFileSync(join(repo, 'fleet/team-support/triage-agent.yaml'), 'utf8').replace(
        /name: triage-agent/,
        'name: helper-bot',
      ),
    );
    synth();
    git('add', 'fleet/team-support/support-bot.yaml');
    writeFileSync(join(repo, '.gitignore'), 'dist/team-support/ignored/\n');
    mkdirSync(join(repo, 'dist/team-support/ignored'));
    writeFileSync(
      join(repo, 'dist/team-support/ignored/Agent.ghost-agent.yaml'),
      readFileSync(
        join(repo, 'dist/team-support/triage-agent/Agent.triage-agent.yaml'),
        'utf8',
      ).replace(/name: triage-agent/, 'name: ghost-agent'),
    );
    git('add', '.gitignore');
    const { sparse } = await both();
    expect(rules(sparse)).toEqual(expect.arrayContaining(['dist-drift', 'manual-weight-step']));
    expect(sparse.changes.map((c) => `${c.agent} ${c.kind}`)).toEqual([
      'team-support/ghost-agent added',
      'team-support/helper-bot added',
      'team-support/support-bot weight',
    ]);
  });

  it('a problem on the base in an untouched namespace is not read again', async () => {
    edit('dist/team-research/summarizer/Deployment.summarizer.yaml', (t) =>
      t.replace(/^spec:$/m, 'spec:\n  minReadySecondz: 5'),
    );
    commit('base problem');
    edit('fleet/team-support/support-bot.yaml', (t) => t.replace(/^(\s+weight: )10$/m, '$125'));
    synth();
    // synth rewrote the hand-edited file too: put the problem back so only support-bot changes.
    git('checkout', 'HEAD', '--', 'dist/team-research');
    commit('support-bot 10 -> 25');
    const sparse = await run(false);
    const whole = await run(true);
    expect(sparse.exitCode).toBe(0);
    expect(sparse.changes.map((c) => c.summary)).toEqual(['weight 10 -> 25']);
    expect(rules(whole)).toEqual(['dist-drift', 'schema']);
  });
});

describe('pullRequestScope', () => {
  const scope = (changed: string[], head: Record<string, string> = {}) =>
    pullRequestScope({
      changed,
      dist: 'dist',
      fleet: 'fleet',
      policies: 'policies',
      headText: (p) => head[p],
      baseText: () => undefined,
    });

  it('maps fleet files, dist/ folders and Applications to their namespaces, ignores the rest', () => {
    const app = 'kind: Application\nspec:\n  destination:\n    namespace: team-c\n';
    expect(
      scope(
        [
          'README.md',
          'fleet/team-a/x.yaml',
          'dist/team-b/y/Agent.y.yaml',
          'dist/argocd/Application.c.yaml',
        ],
        { 'dist/argocd/Application.c.yaml': app },
      ),
    ).toEqual({ full: false, namespaces: ['team-a', 'team-b', 'team-c'] });
  });

  it('reads the whole tree for what reaches across namespaces', () => {
    for (const p of [
      'policies/default.yaml',
      'agent-canary.yaml',
      'dist/argocd/AppProject.agent-canary.yaml',
      'dist/stray.yaml',
      'fleet/misplaced.yaml',
      'fleet/team-a/nested/x.yaml',
    ])
      expect(scope([p], { [p]: 'kind: AppProject\n' }).full).toBe(true);
  });
});
