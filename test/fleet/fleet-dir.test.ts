import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkFleet, FleetError, loadAgentFile, loadFleet } from '../../src/fleet/load.js';
import { edit, FLEET_DIR, GOOD, tempTree } from './helpers.js';

function thrown(fn: () => unknown): FleetError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('the example fleet', () => {
  const agents = loadFleet(FLEET_DIR);

  it('loads at least four agents in two namespaces, sorted by id, without warnings', () => {
    expect(agents.length).toBeGreaterThanOrEqual(4);
    expect(agents.map((a) => a.id)).toEqual([...agents.map((a) => a.id)].sort());
    expect(new Set(agents.map((a) => a.agent.metadata.namespace)).size).toBeGreaterThanOrEqual(2);
    expect(agents.flatMap((a) => a.warnings ?? [])).toEqual([]);
  });

  it('covers both modes, both routings, gatewayRefs for gateway-api, and pinned images', () => {
    const combos = new Set(agents.map((a) => `${a.rollout.mode}/${a.rollout.routing}`));
    expect(combos).toEqual(new Set(['manual/istio', 'manual/gateway-api', 'progressive/istio', 'progressive/gateway-api']));
    for (const a of agents.filter((x) => x.rollout.routing === 'gateway-api')) expect(a.rollout.gatewayRefs?.length).toBeGreaterThan(0);
    for (const a of agents) {
      for (const image of [a.agent.spec.image, a.agent.spec.canary?.image]) {
        if (image !== undefined) expect(image).toMatch(/:[^:/]+$/);
        expect(image ?? '').not.toMatch(/:latest$/);
      }
    }
  });

  it('keeps its comments (the GitOps edits must preserve them)', () => {
    for (const a of agents) expect(readFileSync(join(FLEET_DIR, a.file), 'utf8')).toMatch(/^#/m);
  });

  it('loadAgentFile loads one agent by its relative path', () => {
    const one = loadAgentFile(FLEET_DIR, agents[0]!.file);
    expect(one.agent).toEqual(agents[0]!.agent);
  });
});

describe('loadFleet over a folder', () => {
  const other = edit(edit(GOOD, 'name: support-bot', 'name: helper'), 'namespace: team-a', 'namespace: team-b');

  it('reads .yaml and .yml, ignores other files and hidden folders, sorts by id', () => {
    const t = tempTree({
      'team-b/helper.yml': other,
      'team-a/support-bot.yaml': GOOD,
      'team-a/README.md': '# not an agent',
      '.git/config.yaml': 'not: an agent',
    });
    try {
      expect(loadFleet(t.dir).map((a) => [a.id, a.file])).toEqual([
        ['team-a/support-bot', 'team-a/support-bot.yaml'],
        ['team-b/helper', 'team-b/helper.yml'],
      ]);
    } finally {
      t.cleanup();
    }
  });

  it('two files defining the same agent id: the error names both files', () => {
    const t = tempTree({ 'team-a/support-bot.yaml': GOOD, 'team-a/support-bot.yml': GOOD });
    try {
      const e = thrown(() => loadFleet(t.dir));
      expect(e.field).toBe('metadata.name');
      expect(e.value).toBe('team-a/support-bot');
      expect(e.message).toContain('team-a/support-bot.yaml');
      expect(e.message).toContain('team-a/support-bot.yml');
    } finally {
      t.cleanup();
    }
  });

  it('reports the file of a bad agent relative to the root, and collects all with checkFleet', () => {
    const t = tempTree({
      'team-a/support-bot.yaml': edit(GOOD, 'weight: 10', 'weight: 150'),
      'team-b/helper.yaml': '',
    });
    try {
      const e = thrown(() => loadFleet(t.dir));
      expect(e).toMatchObject({ file: 'team-a/support-bot.yaml', line: 16, field: 'spec.canary.weight' });
      const all = checkFleet(t.dir);
      expect(all.errors.map((x) => x.file)).toEqual(['team-a/support-bot.yaml', 'team-b/helper.yaml']);
      expect(all.agents).toEqual([]);
    } finally {
      t.cleanup();
    }
  });

  it('refuses agent files outside a namespace folder instead of skipping them', () => {
    const t = tempTree({ 'support-bot.yaml': GOOD });
    try {
      expect(thrown(() => loadFleet(t.dir)).file).toBe('support-bot.yaml');
    } finally {
      t.cleanup();
    }
    const deep = tempTree({ 'team-a/old/support-bot.yaml': GOOD });
    try {
      expect(thrown(() => loadFleet(deep.dir)).file).toBe('team-a/old/');
      // checkFleet reports it among the other findings instead of throwing
      expect(checkFleet(deep.dir).errors.map((e) => e.file)).toEqual(['team-a/old/']);
    } finally {
      deep.cleanup();
    }
  });

  it('a missing fleet folder is a FleetError, not a crash', () => {
    expect(thrown(() => loadFleet(join(FLEET_DIR, 'no-such-folder'))).problem).toContain('ENOENT');
  });
});
