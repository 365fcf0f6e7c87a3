/**
 * The canary operations on a real repository: each is one commit of fleet file + output with the
 * event trailers; refusals leave no commit; promote promotes; promote and rollback are idempotent;
 * comments survive.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseTrailers } from '../../src/gitops/events.js';
import type { GitOps } from '../../src/gitops/operations.js';
import type { GitRepo } from '../../src/gitops/repo.js';
import { fleetFile, gitopsFor, seededRepo } from './fixtures.js';
import { commitCount, git, removeDir, tempDir } from './git-helpers.js';

let root: string;
let repo: GitRepo;
let ops: GitOps;

beforeAll(async () => {
  root = tempDir();
  ({ repo } = await seededRepo(root, [
    { namespace: 'team-a', name: 'bot', weight: 10 },
    { namespace: 'team-a', name: 'idle' },
    { namespace: 'team-b', name: 'bot' },
    { namespace: 'team-b', name: 'flow', weight: 10, mode: 'progressive' },
    { namespace: 'team-b', name: 'promo', weight: 50 },
  ]));
  ops = gitopsFor(repo);
});
afterAll(() => removeDir(root));

const dir = () => repo.dir;
const head = () => git(dir(), 'rev-parse', 'HEAD');
const trailers = (ref = 'HEAD') => parseTrailers(git(dir(), 'log', '-1', '--format=%B', ref));
const fleetText = (id: string) => readFileSync(join(dir(), 'fleet', `${id}.yaml`), 'utf8');
const distFiles = (id: string) => readdirSync(join(dir(), 'dist', id)).sort();

describe('weight', () => {
  it('moves to the next step in one commit of the fleet file and the output, comments kept', async () => {
    const before = fleetText('team-a/bot');
    const o = await ops.setWeight({ namespace: 'team-a', name: 'bot' }, 25);
    expect(o.changed).toBe(true);
    expect(o.commit).toBe(head());
    expect(o.status).toMatchObject({
      enabled: true,
      weight: 25,
      stable_version: '3',
      canary_version: '4',
    });
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryWeightChanged',
      'Agent-Canary-Agent': 'team-a/bot',
      'Agent-Canary-Weight-From': '10',
      'Agent-Canary-Weight-To': '25',
    });
    const files = git(dir(), 'show', '--name-only', '--format=', 'HEAD').split('\n');
    expect(files).toContain('fleet/team-a/bot.yaml');
    expect(files.some((f) => f.startsWith('dist/team-a/bot/'))).toBe(true);
    expect(
      files.every((f) => f === 'fleet/team-a/bot.yaml' || f.startsWith('dist/team-a/bot/')),
    ).toBe(true);
    // Only the weight changed in the fleet file: every comment and the odd spacing stay.
    expect(fleetText('team-a/bot')).toBe(
      before.replace('weight: 10   # live share', 'weight: 25   # live share'),
    );
    // The route in the output carries the new split.
    const vs = parse(
      readFileSync(join(dir(), 'dist', 'team-a', 'bot', 'VirtualService.bot.yaml'), 'utf8'),
    );
    const weights = vs.spec.http[0].route.map(
      (r: { destination: { subset: string }; weight: number }) => [r.destination.subset, r.weight],
    );
    expect(weights).toEqual([
      ['stable', 75],
      ['canary', 25],
    ]);
    expect(git(dir(), 'status', '--porcelain')).toBe('');
  });

  it('refuses a skipped step with no commit and an unchanged tree', async () => {
    const before = head();
    await expect(ops.setWeight({ namespace: 'team-a', name: 'bot' }, 99)).rejects.toMatchObject({
      kind: 'refused',
      message: expect.stringMatching(/skips step 50/),
    });
    expect(head()).toBe(before);
    expect(git(dir(), 'status', '--porcelain')).toBe('');
  });

  it('allows going back down, and setting the same weight makes no commit', async () => {
    const down = await ops.setWeight({ namespace: 'team-a', name: 'bot' }, 5);
    expect(down.changed).toBe(true);
    const count = commitCount(dir());
    const same = await ops.setWeight({ namespace: 'team-a', name: 'bot' }, 5);
    expect(same.changed).toBe(false);
    expect(commitCount(dir())).toBe(count);
  });

  it('refuses an agent without canary, and a progressive agent (Flagger owns its weight)', async () => {
    await expect(ops.setWeight({ namespace: 'team-a', name: 'idle' }, 5)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/no running canary/),
    });
    await expect(ops.setWeight({ namespace: 'team-b', name: 'flow' }, 25)).rejects.toMatchObject({
      kind: 'conflict',
      message: expect.stringMatching(/Flagger owns/),
    });
  });
});

describe('start', () => {
  it('adds the canary at the first step with the next version and emits its objects', async () => {
    expect(distFiles('team-a/idle')).not.toContain('Deployment.idle-canary.yaml');
    const o = await ops.start(
      { namespace: 'team-a', name: 'idle' },
      { modelId: 'gpt-4.1', systemPrompt: 'Be brief.' },
    );
    expect(o.status).toMatchObject({
      enabled: true,
      weight: 5,
      stable_version: '3',
      canary_version: '4',
      config: { modelId: 'gpt-4.1', systemPrompt: 'Be brief.' },
    });
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryStarted',
      'Agent-Canary-Weight-From': '0',
      'Agent-Canary-Weight-To': '5',
      'Agent-Canary-Canary-Version': '4',
    });
    expect(distFiles('team-a/idle')).toEqual(
      expect.arrayContaining([
        'Deployment.idle-canary.yaml',
        'Service.idle-canary.yaml',
        'ConfigMap.idle-canary-config.yaml',
      ]),
    );
    expect(fleetText('team-a/idle')).toContain('  name: idle    # the slug');
  });

  it('is idempotent for the same configuration and refuses a different one', async () => {
    const count = commitCount(dir());
    const again = await ops.start({ namespace: 'team-a', name: 'idle' }, { modelId: 'gpt-4.1' });
    expect(again.changed).toBe(false);
    await expect(
      ops.start({ namespace: 'team-a', name: 'idle' }, { modelId: 'other' }),
    ).rejects.toMatchObject({ kind: 'conflict' });
    expect(commitCount(dir())).toBe(count);
  });

  it('refuses a start weight that is not the first step', async () => {
    await expect(
      ops.start({ namespace: 'team-b', name: 'bot' }, { modelId: 'x', weight: 50 }),
    ).rejects.toMatchObject({ kind: 'refused' });
  });
});

describe('promote and rollback', () => {
  it('promote makes the challenger the stable spec, advances the version and removes the canary objects', async () => {
    const o = await ops.promote({ namespace: 'team-b', name: 'promo' });
    expect(o.changed).toBe(true);
    const spec = parse(fleetText('team-b/promo')).spec;
    expect(spec.modelId).toBe('gpt-4.1-mini');
    expect(spec.version).toBe('4');
    expect(spec.canary).toBeUndefined();
    expect(distFiles('team-b/promo').filter((f) => f.includes('canary'))).toEqual([]);
    const agentCr = parse(
      readFileSync(join(dir(), 'dist', 'team-b', 'promo', 'Agent.promo.yaml'), 'utf8'),
    );
    expect(agentCr.spec.modelId).toBe('gpt-4.1-mini');
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryPromoted',
      'Agent-Canary-Weight-From': '50',
      'Agent-Canary-Weight-To': '100',
      'Agent-Canary-Stable-Version': '4',
    });
    expect(fleetText('team-b/promo')).toContain('# Challenger: newer model. Keep this comment.');
  });

  it('promote again answers that nothing is running, with no commit', async () => {
    const count = commitCount(dir());
    const o = await ops.promote({ namespace: 'team-b', name: 'promo' });
    expect(o).toMatchObject({ changed: false, commit: undefined });
    expect(o.detail).toMatch(/no canary is running/);
    expect(commitCount(dir())).toBe(count);
  });

  it('rollback clears the canary and its objects; a second rollback changes nothing', async () => {
    const first = await ops.rollback({ namespace: 'team-a', name: 'bot' });
    expect(first.changed).toBe(true);
    expect(trailers()).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryRolledBack',
      'Agent-Canary-Weight-To': '0',
    });
    const spec = parse(fleetText('team-a/bot')).spec;
    expect(spec.canary).toBeUndefined();
    expect(spec.modelId).toBe('gpt-4o-mini');
    expect(existsSync(join(dir(), 'dist', 'team-a', 'bot', 'Deployment.bot-canary.yaml'))).toBe(
      false,
    );
    const count = commitCount(dir());
    const second = await ops.rollback({ namespace: 'team-a', name: 'bot' });
    expect(second.changed).toBe(false);
    expect(commitCount(dir())).toBe(count);
  });
});

describe('ids', () => {
  it('resolves namespace.name and a unique slug, refuses an ambiguous slug and unknown agents', async () => {
    await expect(ops.resolve('team-b.flow')).resolves.toEqual({
      namespace: 'team-b',
      name: 'flow',
    });
    await expect(ops.resolve('promo')).resolves.toEqual({ namespace: 'team-b', name: 'promo' });
    await expect(ops.resolve('bot')).rejects.toMatchObject({ kind: 'ambiguous' });
    await expect(ops.resolve('team-a/nobody')).rejects.toMatchObject({ kind: 'not-found' });
    await expect(ops.resolve('..%2F..%2Fetc')).rejects.toMatchObject({ kind: 'bad-request' });
  });
});

it('fleet fixture sanity: the seeded repository holds what the project had', () => {
  expect(
    git(
      dir(),
      'show',
      `${git(dir(), 'rev-list', '--max-parents=0', 'HEAD')}:fleet/team-b/flow.yaml`,
    ),
  ).toBe(
    fleetFile({ namespace: 'team-b', name: 'flow', weight: 10, mode: 'progressive' }).trimEnd(),
  );
});

describe('pull-request branch', () => {
  it('commits the operation to --branch, leaving the checked-out branch and files untouched', async () => {
    const main = head();
    const before = fleetText('team-b/bot');
    const o = await ops.start(
      { namespace: 'team-b', name: 'bot' },
      { image: 'ghcr.io/recif-platform/corail:v0.5.0' },
      { branch: 'canary/team-b-bot' },
    );
    expect(o).toMatchObject({ changed: true, branch: 'canary/team-b-bot', pushed: false });
    expect(head()).toBe(main);
    expect(fleetText('team-b/bot')).toBe(before);
    expect(git(dir(), 'rev-parse', 'canary/team-b-bot')).toBe(o.commit);
    expect(git(dir(), 'rev-parse', 'canary/team-b-bot~1')).toBe(main);
    expect(
      parse(git(dir(), 'show', 'canary/team-b-bot:fleet/team-b/bot.yaml')).spec.canary,
    ).toMatchObject({ enabled: true, weight: 5, image: 'ghcr.io/recif-platform/corail:v0.5.0' });
    expect(git(dir(), 'show', '--name-only', '--format=', 'canary/team-b-bot')).toContain(
      'dist/team-b/bot/Deployment.bot-canary.yaml',
    );
    expect(trailers('canary/team-b-bot')).toMatchObject({
      'Agent-Canary-Event': 'AgentCanaryStarted',
    });
  });
});
