/**
 * The pass's reads: the fleet files in one bounded batch (readMany: order kept, a failed read in
 * its place) and the one `git log` that starts before the keys are known (readCanaryHistory
 * with a promise of keys: the same answer as with the keys at hand; a failed key read stops it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readMany } from '../../src/fs/read-many.js';
import { readCanaryHistory, type CanaryKey } from '../../src/autopilot/history.js';

let dir: string;
const git = (...args: string[]): string =>
  execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-canary-history-'));
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@example.com');
  git('config', 'user.name', 't');
  mkdirSync(join(dir, 'fleet', 'ns'), { recursive: true });
  const commit = (at: number, message: string, file?: string): void => {
    if (file) writeFileSync(join(dir, file), `# ${message}\n`);
    git('add', '-A');
    execFileSync('git', ['commit', '-q', '--allow-empty', '-m', message], {
      cwd: dir,
      env: { ...process.env, GIT_AUTHOR_DATE: `@${at} +0000`, GIT_COMMITTER_DATE: `@${at} +0000` },
    });
  };
  commit(1000, 'seed', 'fleet/ns/a.yaml');
  commit(1100, 'b', 'fleet/ns/b.yaml');
  commit(
    1200,
    'check\n\nAgent-Canary-Event: AgentCanaryCheckFailed\nAgent-Canary-Agent: ns/a\nAgent-Canary-Canary-Version: 2',
  );
  commit(1300, 'touch a', 'fleet/ns/a.yaml');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const KEYS: CanaryKey[] = [
  { id: 'ns/a', fleetFile: 'fleet/ns/a.yaml', canaryVersion: '2' },
  { id: 'ns/b', fleetFile: 'fleet/ns/b.yaml' },
];

describe('readCanaryHistory', () => {
  it('answers the same with a promise of the keys as with the keys at hand', async () => {
    const direct = await readCanaryHistory(dir, KEYS);
    const later = await readCanaryHistory(
      dir,
      new Promise<readonly CanaryKey[]>((r) => setTimeout(() => r(KEYS), 50)),
    );
    expect([...later]).toEqual([...direct]);
    expect(direct.get('ns/a')).toMatchObject({
      heldSince: { at: 1_300_000 },
      failedChecks: 1,
      lastCheckAt: 1_200_000,
    });
    expect(direct.get('ns/b')).toMatchObject({ heldSince: { at: 1_100_000 }, failedChecks: 0 });
  });

  it('no keys: nothing read; keys that fail to come: the same error, the git log stopped', async () => {
    expect((await readCanaryHistory(dir, Promise.resolve([]))).size).toBe(0);
    await expect(
      readCanaryHistory(dir, Promise.reject(new Error('fleet unreadable'))),
    ).rejects.toThrow('fleet unreadable');
  });
});

describe('readMany', () => {
  it('keeps the order of the paths and puts a failed read in its place', async () => {
    const paths = Array.from({ length: 70 }, (_, i) => join(dir, `f${i}.txt`));
    paths.forEach((p, i) => i !== 33 && writeFileSync(p, `file ${i}`));
    const texts = await readMany(paths, 8);
    expect(texts).toHaveLength(70);
    texts.forEach((t, i) => {
      if (i === 33) expect(t).toBeInstanceOf(Error);
      else expect(t).toBe(`file ${i}`);
    });
    expect(await readMany([])).toEqual([]);
  });
});
