/**
 * The autopilot's history reader on real Git: the hold starts at the newest commit that touched
 * the agent's fleet file, failed-check records (empty commits) count while the canary runs, and
 * both hold for a few agents (a path per fleet file) and for many (their top folder), with a
 * commit that touches thousands of other files in between.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readCanaryHistory, type CanaryKey } from '../../src/autopilot/history.js';

let dir: string;

function git(args: string[], date: number): string {
  const d = `@${date} +0000`;
  return execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@localhost', ...args], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_DATE: d, GIT_COMMITTER_DATE: d },
  }).trim();
}

function write(rel: string, text: string): void {
  mkdirSync(join(dir, rel, '..'), { recursive: true });
  writeFileSync(join(dir, rel), text);
}

const fleetFile = (i: number) => `fleet/team-${i % 3}/agent-${i}.yaml`;

function failedCheck(agent: string, version: string, date: number): void {
  git(
    [
      'commit',
      '-q',
      '--allow-empty',
      '-m',
      `canary(${agent}): check failed\n\nAgent-Canary-Event: AgentCanaryCheckFailed\nAgent-Canary-Agent: ${agent}\nAgent-Canary-Canary-Version: ${version}`,
    ],
    date,
  );
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ac-history-'));
  git(['init', '-q', '-b', 'main'], 1000);
  // 80 agents seeded in one commit (more than the reader names one by one) ...
  for (let i = 0; i < 80; i++) write(fleetFile(i), `weight: 10 # ${i}\n`);
  git(['add', '-A'], 1000);
  git(['commit', '-q', '-m', 'seed'], 1000);
  // ... then a commit of 2,000 output files and none of the fleet's.
  for (let i = 0; i < 2000; i++) write(`dist/team-${i % 3}/out-${i}.yaml`, `n: ${i}\n`);
  git(['add', '-A'], 2000);
  git(['commit', '-q', '-m', 'output'], 2000);
  // Agent 7 moved at t=3000, then failed two checks of version 4 and one of version 3.
  write(fleetFile(7), 'weight: 25\n');
  git(['commit', '-q', '-am', 'canary(team-1/agent-7): weight 10% -> 25%'], 3000);
  failedCheck('team-1/agent-7', '4', 4000);
  failedCheck('team-1/agent-7', '3', 4500);
  failedCheck('team-1/agent-7', '4', 5000);
});

afterEach(() => rmSync(dir, { recursive: true, force: true }));

const key = (i: number, canaryVersion?: string): CanaryKey => ({
  id: `team-${i % 3}/agent-${i}`,
  fleetFile: fleetFile(i),
  ...(canaryVersion !== undefined ? { canaryVersion } : {}),
});

describe('readCanaryHistory', () => {
  it('finds the hold start and the failed checks of a few agents', async () => {
    const h = await readCanaryHistory(dir, [key(7, '4'), key(8)]);
    const seven = h.get('team-1/agent-7')!;
    expect(seven.heldSince?.at).toBe(3_000_000);
    expect(seven.failedChecks).toBe(2);
    expect(seven.lastCheckAt).toBe(5_000_000);
    expect(h.get('team-2/agent-8')).toEqual({
      heldSince: { sha: git(['rev-list', '--max-parents=0', 'HEAD'], 0), at: 1_000_000 },
      failedChecks: 0,
    });
  });

  it('gives the same answers for many agents at once (named by their folder)', async () => {
    const keys = Array.from({ length: 80 }, (_, i) => key(i, i === 7 ? '4' : undefined));
    const h = await readCanaryHistory(dir, keys);
    expect(h.size).toBe(80);
    expect(h.get('team-1/agent-7')).toMatchObject({
      heldSince: { at: 3_000_000 },
      failedChecks: 2,
      lastCheckAt: 5_000_000,
    });
    for (let i = 0; i < 80; i++)
      if (i !== 7) expect(h.get(key(i).id)?.heldSince?.at, `agent ${i}`).toBe(1_000_000);
  });
});
