/**
 * Repository defaults that do not surprise: in a project that is itself a Git work tree holding
 * fleet/, `canary` commands commit there; elsewhere the embedded repository is created with an
 * announcement; every message about a commit names the repository.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_ARGS } from '../cli-entry.js';
import { writeProject } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

/** Increases ask the quality gate, which these tests do not run: forced, with the reason recorded. */
const FORCE = ['--force', '--reason', 'no quality gate in this test'];

const exec = promisify(execFile);
let root: string;
let project: string;
beforeEach(() => {
  root = tempDir();
  project = join(root, 'project');
  writeProject(project, [{ namespace: 'team-a', name: 'bot', weight: 5 }]);
});
afterEach(() => removeDir(root));

const cli = (cwd: string, ...args: string[]) =>
  exec(process.execPath, [...CLI_ARGS, ...args], { cwd, env: { ...process.env, USER: 'tester' } });

describe('canary commands without --repo', () => {
  it('commit into the Git work tree that holds fleet/, from its top or a subfolder, and say so', async () => {
    git(project, 'init', '-q', '-b', 'main');
    git(project, 'add', '-A');
    git(project, 'commit', '-q', '-m', 'project');
    const sub = join(project, 'docs');
    mkdirSync(sub);
    const r = await cli(sub, 'canary', 'weight', 'team-a/bot', '10', '--no-validate', ...FORCE);
    expect(r.stdout).toMatch(
      new RegExp(
        `team-a/bot: canary weight 5% -> 10%: commit ([0-9a-f]{12}) on main in ${project.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`,
      ),
    );
    expect(r.stderr).not.toMatch(/embedded/);
    expect(commitCount(project)).toBe(2);
    expect(git(project, 'log', '-1', '--format=%H')).toMatch(
      new RegExp(`^${/commit ([0-9a-f]{12})/.exec(r.stdout)![1]}`),
    );
    expect(readFileSync(join(project, 'fleet', 'team-a', 'bot.yaml'), 'utf8')).toMatch(
      /weight: 10/,
    );
    expect(existsSync(join(project, '.agent-canary', 'gitops'))).toBe(false);
    // From the top of the work tree the repository is named as this work tree.
    const top = await cli(
      project,
      'canary',
      'weight',
      'team-a/bot',
      '10',
      '--no-validate',
      ...FORCE,
    );
    expect(top.stdout).toMatch(/\(no commit in \. \(this work tree\)\)/);
    const status = await cli(project, 'canary', 'status', 'team-a/bot', '--json');
    expect(JSON.parse(status.stdout)).toMatchObject({
      repository: '. (this work tree)',
      data: { weight: 10 },
    });
  });

  it('outside a work tree: announce the embedded repository once, and name it in every commit message', async () => {
    const first = await cli(
      project,
      'canary',
      'weight',
      'team-a/bot',
      '10',
      '--no-validate',
      ...FORCE,
    );
    expect(first.stderr).toMatch(
      /creating the embedded GitOps repository \.agent-canary\/gitops .*Pass --repo PATH\|URL/,
    );
    expect(first.stdout).toMatch(/commit [0-9a-f]{12} on main in \.agent-canary\/gitops/);
    const second = await cli(
      project,
      'canary',
      'weight',
      'team-a/bot',
      '25',
      '--no-validate',
      ...FORCE,
    );
    expect(second.stderr).not.toMatch(/creating/);
    expect(second.stdout).toMatch(/on main in \.agent-canary\/gitops/);
    expect(commitCount(join(project, '.agent-canary', 'gitops'))).toBe(3);
  });
});
