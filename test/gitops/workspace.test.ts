/**
 * Where the repository comes from: the embedded default (created and seeded on first use), a URL
 * served by `git daemon` on 127.0.0.1 (cloned, refreshed, pushed to), and the CLI end to end.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTrailers } from '../../src/gitops/events.js';
import { seedFrom, synthToRepo } from '../../src/gitops/synth-to-repo.js';
import { CLONES_DIR, DEFAULT_REPO_DIR, resolveRepo } from '../../src/gitops/workspace.js';
import { CLI_ARGS } from '../cli-entry.js';
import { GitOps } from '../../src/gitops/operations.js';
import { defaultEngine } from '../../src/gitops/default-engine.js';
import { gitopsFor, writeProject } from './fixtures.js';
import { commitCount, git, removeDir, startGitDaemon, tempDir } from './git-helpers.js';

const run = promisify(execFile);

let root: string;
let project: string;
beforeEach(() => {
  root = tempDir();
  project = join(root, 'project');
  writeProject(project, [
    { namespace: 'team-a', name: 'bot', weight: 5 },
    { namespace: 'team-a', name: 'quiet' },
  ]);
});
afterEach(() => removeDir(root));

describe('embedded default repository', () => {
  it('is created on first use in .agent-canary/gitops, seeded with fleet, policies and dist, and reused', async () => {
    const repo = await resolveRepo(undefined, { projectDir: project, seed: seedFrom(project) });
    expect(repo.dir).toBe(join(project, DEFAULT_REPO_DIR));
    expect(commitCount(repo.dir)).toBe(1);
    expect(git(repo.dir, 'ls-files', 'fleet', 'policies').split('\n')).toEqual([
      'fleet/team-a/bot.yaml',
      'fleet/team-a/quiet.yaml',
      'policies/default.yaml',
    ]);
    expect(git(repo.dir, 'ls-files', 'dist/team-a/bot')).toContain(
      'dist/team-a/bot/Deployment.bot-canary.yaml',
    );
    // The project's own Git ignores the state folder without an edit of its .gitignore.
    expect(readFileSync(join(project, '.agent-canary', '.gitignore'), 'utf8')).toMatch(/^\*$/m);
    const again = await resolveRepo(undefined, {
      projectDir: project,
      seed: () => Promise.reject(new Error('must not seed twice')),
    });
    expect(again.dir).toBe(repo.dir);
  });
});

describe('synth --repo after canary operations', () => {
  it('refuses to undo the repository canary state with an older project fleet, accepts a newer edit, and --force overwrites', async () => {
    const repo = await resolveRepo(join(root, 'gitops'), { projectDir: project, createPath: true });
    await synthToRepo(repo, { projectDir: project });
    await gitopsFor(repo).start({ namespace: 'team-a', name: 'quiet' }, { modelId: 'gpt-4.1' });
    const count = commitCount(repo.dir);
    // The project still has the file from before the start: stale.
    await expect(synthToRepo(repo, { projectDir: project })).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/fleet\/team-a\/quiet\.yaml \(AgentCanaryStarted/),
    });
    expect(commitCount(repo.dir)).toBe(count);
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
    // Take the repository's file into the project and edit it further: a newer edit, accepted.
    const edited = readFileSync(join(repo.dir, 'fleet', 'team-a', 'quiet.yaml'), 'utf8').replace(
      'modelId: gpt-4.1',
      'modelId: gpt-4.1-nano',
    );
    writeFileSync(join(project, 'fleet', 'team-a', 'quiet.yaml'), edited);
    const r = await synthToRepo(repo, { projectDir: project });
    expect(r.commit).toBeDefined();
    expect(
      parse(readFileSync(join(repo.dir, 'fleet', 'team-a', 'quiet.yaml'), 'utf8')).spec.canary
        .modelId,
    ).toBe('gpt-4.1-nano');
    // --force overwrites a stale file on purpose.
    await gitopsFor(repo).rollback({ namespace: 'team-a', name: 'quiet' });
    const forced = await synthToRepo(repo, { projectDir: project, force: true });
    expect(forced.commit).toBeDefined();
    expect(
      parse(readFileSync(join(repo.dir, 'fleet', 'team-a', 'quiet.yaml'), 'utf8')).spec.canary
        .modelId,
    ).toBe('gpt-4.1-nano');
  });
});

describe('synth --repo after a plain fleet edit', () => {
  it('publishes the revert of an edit it published before (no canary state involved)', async () => {
    const repo = await resolveRepo(join(root, 'gitops'), { projectDir: project, createPath: true });
    await synthToRepo(repo, { projectDir: project });
    const file = join(project, 'fleet', 'team-a', 'quiet.yaml');
    const original = readFileSync(file, 'utf8');
    writeFileSync(file, original.replace('modelId: gpt-4o-mini', 'modelId: gpt-4.1'));
    expect((await synthToRepo(repo, { projectDir: project })).commit).toBeDefined();
    // The project goes back to its earlier text: a new edit, published without --force.
    writeFileSync(file, original);
    const reverted = await synthToRepo(repo, { projectDir: project });
    expect(reverted.commit).toBeDefined();
    expect(readFileSync(join(repo.dir, 'fleet', 'team-a', 'quiet.yaml'), 'utf8')).toBe(original);
  });
});

describe('synth --repo carries the cluster settings', () => {
  it('copies agent-canary.yaml into the repository, so a canary operation there synthesizes with it; removing it in the project removes it there', async () => {
    const settings = [
      'apiVersion: agent-canary.dev/v1alpha1',
      'kind: ClusterConfig',
      'spec:',
      '  istio:',
      '    gateways: [istio-system/public]',
      '',
    ].join('\n');
    writeFileSync(join(project, 'agent-canary.yaml'), settings);
    const repo = await resolveRepo(join(root, 'gitops'), { projectDir: project, createPath: true });
    await synthToRepo(repo, { projectDir: project });
    expect(readFileSync(join(repo.dir, 'agent-canary.yaml'), 'utf8')).toBe(settings);
    expect(git(repo.dir, 'ls-files', 'agent-canary.yaml')).toBe('agent-canary.yaml');
    const route = (): { spec: { gateways?: string[] } } =>
      parse(readFileSync(join(repo.dir, 'dist/team-a/bot/VirtualService.bot.yaml'), 'utf8'));
    expect(route().spec.gateways).toEqual(['istio-system/public']);
    // The operation re-synthesizes the agent from the repository alone (the engine the CLI and
    // the API build reads the repository's own settings file).
    const ops = new GitOps(repo, { engine: defaultEngine({ repoDir: repo.dir }) });
    await ops.setWeight({ namespace: 'team-a', name: 'bot' }, 10);
    expect(route().spec.gateways).toEqual(['istio-system/public']);
    expect(git(repo.dir, 'status', '--porcelain')).toBe('');
    // The project drops its settings: the repository follows, in the same kind of commit.
    rmSync(join(project, 'agent-canary.yaml'));
    writeFileSync(
      join(project, 'fleet', 'team-a', 'bot.yaml'),
      readFileSync(join(repo.dir, 'fleet', 'team-a', 'bot.yaml'), 'utf8'),
    );
    expect((await synthToRepo(repo, { projectDir: project })).commit).toBeDefined();
    expect(existsSync(join(repo.dir, 'agent-canary.yaml'))).toBe(false);
    expect(git(repo.dir, 'ls-files', 'agent-canary.yaml')).toBe('');
    expect(route().spec.gateways).toBeUndefined();
    // Neither side has one: nothing to commit about it, and no Git error.
    expect((await synthToRepo(repo, { projectDir: project })).commit).toBeUndefined();
  });
});

describe('repository by URL over git daemon', () => {
  it('clones into .agent-canary/clones, pushes each operation, and refreshes from the remote', async () => {
    const served = join(root, 'served');
    mkdirSync(served);
    const origin = await resolveRepo(join(served, 'fleet'), {
      projectDir: project,
      createPath: true,
    });
    await synthToRepo(origin, { projectDir: project });
    git(served, 'clone', '-q', '--bare', join(served, 'fleet'), join(served, 'fleet.git'));
    const daemon = await startGitDaemon(served);
    try {
      const url = daemon.url('fleet.git');
      const repo = await resolveRepo(url, { projectDir: project });
      expect(repo.dir.startsWith(join(project, CLONES_DIR))).toBe(true);
      const o = await gitopsFor(repo).setWeight({ namespace: 'team-a', name: 'bot' }, 10);
      expect(o).toMatchObject({ changed: true, pushed: true });
      expect(git(join(served, 'fleet.git'), 'rev-parse', 'main')).toBe(o.commit);

      // Someone else pushes; the next resolve brings the clone to the remote head.
      const other = join(root, 'other');
      git(root, 'clone', '-q', url, other);
      const again = await resolveRepo(url, { projectDir: project });
      const start = await gitopsFor(again).start(
        { namespace: 'team-a', name: 'quiet' },
        { modelId: 'gpt-4.1' },
      );
      expect(start.pushed).toBe(true);
      git(other, 'pull', '-q', '--ff-only');
      expect(
        parse(readFileSync(join(other, 'fleet', 'team-a', 'quiet.yaml'), 'utf8')).spec.canary,
      ).toMatchObject({ enabled: true, weight: 5, modelId: 'gpt-4.1' });
      expect(commitCount(join(served, 'fleet.git'), 'main')).toBe(3);
    } finally {
      await daemon.stop();
    }
  });
});

describe('CLI', () => {
  it('canary weight commits in the embedded default (exit 0) and a refused step exits 1 with no commit', async () => {
    const cli = (...args: string[]) =>
      run(process.execPath, [...CLI_ARGS, ...args], {
        cwd: project,
        env: { ...process.env, USER: 'tester' },
      });
    const ok = await cli('canary', 'weight', 'team-a/bot', '10', '--no-validate');
    expect(ok.stdout).toMatch(/team-a\/bot: canary weight 5% -> 10%: commit [0-9a-f]{12} on main/);
    const repoDir = join(project, DEFAULT_REPO_DIR);
    expect(parseTrailers(git(repoDir, 'log', '-1', '--format=%B'))).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryWeightChanged',
      'Agent-Canary-Actor': 'tester',
    });
    const refused = await cli('canary', 'weight', 'team-a/bot', '50', '--no-validate').then(
      () => ({ code: 0, stderr: '' }),
      (err: { code: number; stderr: string }) => err,
    );
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/skips step 25/);
    expect(commitCount(repoDir)).toBe(2);
  });
});
