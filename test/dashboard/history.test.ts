/**
 * The Git history as events (src/gitops/history.ts) on a real repository: every Agent-Canary-*
 * trailer kept, whatever its name; fleet files per commit; the history brought up to date
 * incrementally on a new HEAD, and read whole again when the branch was rewritten.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simpleGitFor } from '../../src/gitops/repo.js';
import { canaryTrailers, HistoryReader } from '../../src/gitops/history.js';
import { git, removeDir, tempDir } from '../gitops/git-helpers.js';

let dir: string;

function commit(file: string, message: string): string {
  mkdirSync(join(dir, 'fleet', 'team-a'), { recursive: true });
  writeFileSync(join(dir, file), `${message}\n${Math.random()}\n`);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-q', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}

beforeEach(() => {
  dir = tempDir('agent-canary-history-');
  git(dir, 'init', '-q', '-b', 'main');
});
afterEach(() => removeDir(dir));

describe('the history reader', () => {
  it('keeps every Agent-Canary trailer and the fleet files of each commit', async () => {
    const sha = commit(
      'fleet/team-a/bot.yaml',
      'canary(team-a/bot): weight 5% -> 10%\n\nAgent-Canary-Event: AgentCanaryWeightChanged\nAgent-Canary-Agent: team-a/bot\nAgent-Canary-Weight-From: 5\nAgent-Canary-Weight-To: 10\nAgent-Canary-Verdict: pass\nAgent-Canary-Checks: safety ok\nReviewed-By: someone else',
    );
    const h = await new HistoryReader(simpleGitFor(dir)).read(sha);
    expect(h.commits).toHaveLength(1);
    expect(h.commits[0]).toMatchObject({
      sha,
      event: 'AgentCanaryWeightChanged',
      agent: 'team-a/bot',
      weightFrom: 5,
      weightTo: 10,
      fleetFiles: ['team-a/bot.yaml'],
      trailers: {
        event: 'AgentCanaryWeightChanged',
        agent: 'team-a/bot',
        'weight-from': '5',
        'weight-to': '10',
        verdict: 'pass',
        checks: 'safety ok',
      },
    });
    expect(h.commits[0]!.trailers).not.toHaveProperty('reviewed-by');
  });

  it('reads only the new commits on a new HEAD, and everything after a rewrite', async () => {
    const reader = new HistoryReader(simpleGitFor(dir));
    commit('fleet/team-a/a.yaml', 'one');
    const two = commit('fleet/team-a/b.yaml', 'two');
    expect((await reader.read(two)).commits.map((c) => c.subject)).toEqual(['two', 'one']);
    const three = commit('fleet/team-a/a.yaml', 'three');
    const h3 = await reader.read(three);
    expect(h3.commits.map((c) => c.subject)).toEqual(['three', 'two', 'one']);
    // The older commits are the same objects: they were not read again.
    expect(h3.commits[1]).toBe((await reader.read(three)).commits[1]);
    git(dir, 'reset', '-q', '--hard', two);
    git(dir, 'reset', '-q', '--hard', 'HEAD~1');
    const other = commit('fleet/team-a/c.yaml', 'rewritten');
    expect((await reader.read(other)).commits.map((c) => c.subject)).toEqual(['rewritten', 'one']);
  });

  it('parses trailer blocks: prefix dropped, keys lower-cased, repeated keys joined', () => {
    expect(
      canaryTrailers('Agent-Canary-Check: a\nagent-canary-check: b\nOther: x\nAgent-Canary-: y'),
    ).toEqual({ check: 'a, b' });
  });
});
