/**
 * Incremental synthesis (src/synth/incremental.ts, `agent-canary synth`): only the agents whose
 * inputs changed are synthesized again, the cache is invalidated by every input that changes the
 * output, a damaged cache is rebuilt and never trusted, and dist/ always equals a full synthesis
 * byte for byte. Small fleets; the 10,000-agent figures are bench/scale.ts's.
 */
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeFileSync,
  existsSync,
  mkdirSync,
  utimesSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { loadClusterConfig } from '../../src/config/load.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { writeOutput } from '../../src/synth/output.js';
import {
  FleetErrors,
  synthesizeIncremental,
  type IncrementalResult,
} from '../../src/synth/incremental.js';
import { synthCacheDir } from '../../src/synth/cache.js';
import { run } from '../../src/synth/command.js';
import { scaleAgent, writeScaleProject, POLICY_FAST } from '../../bench/scale-fleet.js';
import { seededRandom } from '../seeded-random.js';

let dir: string;
let out: string;
let cache: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-canary-incr-'));
  out = join(dir, 'dist');
  cache = join(dir, 'cache');
  // 24 agents in 4 namespaces: both modes, both routings, every tenth on the `fast` policy.
  writeScaleProject(dir, 24, 4);
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

function incremental(
  extra: { full?: boolean; tool?: string; batch?: number; repoURL?: string } = {},
): IncrementalResult {
  const policies = loadPolicies(join(dir, 'policies'));
  return synthesizeIncremental(
    {
      fleetDir: join(dir, 'fleet'),
      outDir: out,
      cacheRoot: cache,
      policies,
      cluster: loadClusterConfig(dir),
      tool: 'test-tool-1',
      ...extra,
    },
    policies,
  );
}

/** The reference: the whole fleet synthesized in one piece into a fresh folder. */
function fullTree(): Map<string, string> {
  const ref = mkdtempSync(join(tmpdir(), 'agent-canary-incr-ref-'));
  try {
    const policies = loadPolicies(join(dir, 'policies'));
    writeOutput(
      ref,
      synthesize(loadFleet(join(dir, 'fleet')), { policies, cluster: loadClusterConfig(dir) }),
    );
    return tree(ref);
  } finally {
    rmSync(ref, { recursive: true, force: true });
  }
}

function tree(root: string, rel = '', acc = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) tree(root, r, acc);
    else acc.set(r, readFileSync(join(root, r), 'utf8'));
  }
  return acc;
}

function expectSameAsFull(): void {
  const got = tree(out);
  const want = fullTree();
  expect([...got.keys()].sort()).toEqual([...want.keys()].sort());
  for (const [k, v] of want) expect(got.get(k), k).toBe(v);
}

function fleetFile(i: number): string {
  return join(dir, 'fleet', scaleAgent(i, 4).rel);
}

function edit(file: string, from: RegExp | string, to: string): void {
  const text = readFileSync(file, 'utf8');
  const next = text.replace(from, to);
  expect(next).not.toBe(text);
  writeFileSync(file, next);
}

function shardFile(namespace: string): string {
  return join(synthCacheDir(cache, out), `${namespace}.shard`);
}

describe('incremental synthesis', () => {
  it('synthesizes everything once, then nothing, and equals a full synthesis', () => {
    const first = incremental();
    expect(first).toMatchObject({ agents: 24, synthesized: 24, reused: 0, rebuilt: [] });
    expectSameAsFull();
    const second = incremental();
    expect(second).toMatchObject({ synthesized: 0, reused: 24, written: 0, deleted: 0 });
    expect(second.objects).toBe(first.objects);
    expectSameAsFull();
  });

  it('streams in batches (one agent, several per namespace, more than a namespace) with the same bytes as one whole synthesis', () => {
    // 6 agents per namespace: batches of 1 and of 4 split every namespace, 50 spans it.
    for (const batch of [1, 4, 50]) {
      rmSync(out, { recursive: true, force: true });
      rmSync(cache, { recursive: true, force: true });
      expect(incremental({ batch })).toMatchObject({ agents: 24, synthesized: 24 });
      expectSameAsFull();
      // Edits in two namespaces, then a run that re-synthesizes only those, in batches again.
      edit(fleetFile(1), 'replicas: 2', 'replicas: 3');
      edit(fleetFile(6), 'weight: 10', 'weight: 20');
      expect(incremental({ batch })).toMatchObject({ synthesized: 2, reused: 22 });
      expectSameAsFull();
      edit(fleetFile(1), 'replicas: 3', 'replicas: 2');
      edit(fleetFile(6), 'weight: 20', 'weight: 10');
    }
  });

  it('re-synthesizes only the agent whose fleet file changed, and its shared objects follow', () => {
    incremental();
    edit(fleetFile(4), 'weight: 10', 'weight: 25');
    expect(incremental()).toMatchObject({ synthesized: 1, reused: 23 });
    expectSameAsFull();
    // A change the dashboard sees (routing) rewrites that namespace's dashboard too.
    edit(fleetFile(0), 'routing: istio', 'routing: gateway-api');
    edit(
      fleetFile(0),
      /  hosts:[\s\S]*?sessionAffinity: \{ header: x-conversation-id \}\n/,
      '  gatewayRefs: [{ name: internal-gateway, namespace: gateway-system }]\n',
    );
    expect(incremental()).toMatchObject({ synthesized: 1, reused: 23 });
    expectSameAsFull();
  });

  it('trusts an old fleet file by its stat, and still sees a same-size edit by its new mtime', () => {
    const hourAgo = new Date(Date.now() - 3600_000);
    for (let i = 0; i < 24; i++) utimesSync(fleetFile(i), hourAgo, hourAgo);
    incremental();
    expect(incremental()).toMatchObject({ synthesized: 0, reused: 24 });
    // Same size (10 -> 25 would not be): 10 -> 20, and an mtime that is old but not the old one.
    edit(fleetFile(4), 'weight: 10', 'weight: 20');
    const older = new Date(Date.now() - 7200_000);
    utimesSync(fleetFile(4), older, older);
    expect(incremental()).toMatchObject({ synthesized: 1, reused: 23 });
    expectSameAsFull();
  });

  it('a changed policy re-synthesizes every agent that uses it and no other', () => {
    incremental();
    const users = Array.from({ length: 24 }, (_, i) => scaleAgent(i, 4)).filter((a) =>
      a.text.includes('policy: fast'),
    ).length;
    expect(users).toBeGreaterThan(0);
    writeFileSync(
      join(dir, 'policies', 'fast.yaml'),
      POLICY_FAST.replace('weight: 50, hold: 1m', 'weight: 40, hold: 2m'),
    );
    expect(incremental()).toMatchObject({ synthesized: users, reused: 24 - users });
    expectSameAsFull();
  });

  it('a changed agent-canary.yaml or tool version re-synthesizes every agent', () => {
    incremental();
    writeFileSync(
      join(dir, 'agent-canary.yaml'),
      'apiVersion: agent-canary.dev/v1alpha1\nkind: ClusterConfig\nspec:\n  istio:\n    gateways: [istio-system/public]\n',
    );
    expect(incremental()).toMatchObject({ synthesized: 24, reused: 0 });
    expectSameAsFull();
    expect(incremental()).toMatchObject({ synthesized: 0, reused: 24 });
    expect(incremental({ tool: 'test-tool-2' })).toMatchObject({ synthesized: 24, reused: 0 });
    expectSameAsFull();
  });

  it('an added, removed or renamed agent and a removed namespace leave dist/ as a full synthesis', () => {
    incremental();
    unlinkSync(fleetFile(5));
    const moved = scaleAgent(6, 4);
    writeFileSync(
      join(dir, 'fleet', moved.ns, 'renamed.yaml'),
      moved.text.replace(`name: ${moved.name}\n`, 'name: renamed\n'),
    );
    unlinkSync(fleetFile(6));
    mkdirSync(join(dir, 'fleet', 'team-new'));
    writeFileSync(
      join(dir, 'fleet', 'team-new', 'fresh.yaml'),
      scaleAgent(1, 4)
        .text.replace(/namespace: team-\d+/, 'namespace: team-new')
        .replace(/name: agent-\d+\n/, 'name: fresh\n'),
    );
    const r = incremental();
    expect(r).toMatchObject({ agents: 24, synthesized: 2 });
    expect(r.deleted).toBeGreaterThan(0);
    expectSameAsFull();
    // A whole namespace removed: its folder, dashboard, Application and cache shard go.
    rmSync(join(dir, 'fleet', 'team-new'), { recursive: true });
    incremental();
    expect(existsSync(join(out, 'team-new'))).toBe(false);
    expect(existsSync(shardFile('team-new'))).toBe(false);
    expectSameAsFull();
  });

  it('--full equals the incremental output byte for byte', async () => {
    vi.spyOn(console, 'log').mockImplementation(() => {});
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const args = (o: string, ...more: string[]) => [
      '--fleet',
      join(dir, 'fleet'),
      '--policies',
      join(dir, 'policies'),
      '--out',
      join(dir, o),
      '--cache-dir',
      cache,
      '--quiet',
      ...more,
    ];
    expect(await run(args('inc'))).toBe(0);
    edit(fleetFile(3), 'replicas: 2', 'replicas: 3');
    expect(await run(args('inc'))).toBe(0);
    expect(await run(args('full', '--full'))).toBe(0);
    expect(tree(join(dir, 'inc'))).toEqual(tree(join(dir, 'full')));
  });

  it('stays byte-identical to a full synthesis over a seeded sequence of random edits', () => {
    const random = seededRandom(15);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    incremental();
    const present = new Set(Array.from({ length: 24 }, (_, i) => i));
    let next = 24;
    for (let step = 0; step < 8; step++) {
      const i = pick([...present]);
      const kind = pick(['weight', 'image', 'policy', 'remove', 'add', 'policy-file'] as const);
      if (kind === 'weight' && readFileSync(fleetFile(i), 'utf8').includes('weight: 10'))
        edit(fleetFile(i), 'weight: 10', `weight: ${pick([5, 25, 50])}`);
      else if (kind === 'image') edit(fleetFile(i), /corail:v0\.3\.\d/, `corail:v0.3.${step + 7}`);
      else if (kind === 'policy')
        edit(fleetFile(i), /policy: (default|fast)/, `policy: ${pick(['default', 'fast'])}x`);
      else if (kind === 'remove' && present.size > 4) {
        unlinkSync(fleetFile(i));
        present.delete(i);
      } else if (kind === 'add') {
        const a = scaleAgent(next, 4);
        writeFileSync(join(dir, 'fleet', a.rel), a.text);
        present.add(next++);
      } else if (kind === 'policy-file')
        writeFileSync(
          join(dir, 'policies', 'default.yaml'),
          readFileSync(join(dir, 'policies', 'default.yaml'), 'utf8').replace(
            /hold: (\d+)m/,
            (_, m: string) => `hold: ${Number(m) + 1}m`,
          ),
        );
      // `policy: defaultx` is no policy: the run is refused, nothing written; then put back.
      const text = existsSync(fleetFile(i)) ? readFileSync(fleetFile(i), 'utf8') : '';
      if (/policy: (default|fast)x/.test(text)) {
        const before = tree(out);
        expect(() => incremental()).toThrow(FleetErrors);
        expect(tree(out)).toEqual(before);
        writeFileSync(fleetFile(i), text.replace(/policy: (default|fast)x/, 'policy: $1'));
      }
      incremental();
      expectSameAsFull();
    }
  });
});

describe('the shared objects (gate, Argo CD, dashboards) from the cache', () => {
  const dashboard = () => join(out, 'team-001', 'ConfigMap.agent-canary-dashboard.yaml');
  const application = () => join(out, 'argocd', 'Application.agent-canary-team-002.yaml');

  it('are rewritten when a file was edited in place, deleted, or a stray file sits beside them', () => {
    incremental();
    // In place: same inode, the folder's mtime unchanged.
    writeFileSync(dashboard(), readFileSync(dashboard(), 'utf8').replace('team-001', 'team-x'));
    expect(incremental()).toMatchObject({ synthesized: 0, written: 1, deleted: 0 });
    expectSameAsFull();
    unlinkSync(application());
    writeFileSync(join(out, 'argocd', 'Stray.thing.yaml'), 'kind: Stray\n');
    expect(incremental()).toMatchObject({ synthesized: 0, written: 1, deleted: 1 });
    expectSameAsFull();
  });

  it('follow an option only they read (the repository URL), there and back', () => {
    incremental();
    expect(incremental({ repoURL: 'https://git.example/fleet.git' })).toMatchObject({
      synthesized: 0,
    });
    expect(readFileSync(application(), 'utf8')).toContain('https://git.example/fleet.git');
    incremental();
    expectSameAsFull();
  });

  it('a damaged entry is ignored and rewritten', () => {
    incremental();
    const f = join(synthCacheDir(cache, out), 'shared.objects');
    expect(existsSync(f)).toBe(true);
    writeFileSync(dashboard(), 'kind: Edited\n');
    // A forged entry that claims the edited bytes are right: the checksum no longer matches.
    const forged = readFileSync(f, 'utf8').replace(
      /("team-001\/ConfigMap\.agent-canary-dashboard\.yaml",")[0-9a-f]{64}/,
      `$1${createHash('sha256').update('kind: Edited\n').digest('hex')}`,
    );
    expect(forged).not.toBe(readFileSync(f, 'utf8'));
    writeFileSync(f, forged);
    expect(incremental()).toMatchObject({ synthesized: 0, written: 1 });
    expectSameAsFull();
    writeFileSync(f, 'garbage');
    expect(incremental()).toMatchObject({ synthesized: 0, written: 0 });
    expectSameAsFull();
  });
});

describe('a damaged cache is rebuilt, never trusted', () => {
  it('a truncated shard', () => {
    incremental();
    const f = shardFile('team-001');
    writeFileSync(f, readFileSync(f, 'utf8').slice(0, 200));
    const r = incremental();
    expect(r.rebuilt).toEqual([expect.stringMatching(/^team-001: checksum mismatch/)]);
    expect(r).toMatchObject({ synthesized: 6, reused: 18 });
    expectSameAsFull();
    expect(incremental()).toMatchObject({ synthesized: 0, rebuilt: [] });
  });

  it('a shard whose body was edited (wrong checksum), or with no header', () => {
    incremental();
    const f = shardFile('team-002');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/"key":"[0-9a-f]/, '"key":"x'));
    writeFileSync(shardFile('team-003'), '{"not":"a shard"}');
    const r = incremental();
    expect([...r.rebuilt].sort()).toEqual([
      expect.stringMatching(/^team-002: checksum mismatch/),
      'team-003: no cache header',
    ]);
    expect(r).toMatchObject({ synthesized: 12, reused: 12 });
    expectSameAsFull();
  });

  it('a consistent shard that lies (forged key, entries of removed agents) is not believed', () => {
    incremental();
    const f = shardFile('team-000');
    const [, body] = readFileSync(f, 'utf8').split('\n', 2) as [string, string];
    const parsed = JSON.parse(body) as { agents: Array<Record<string, unknown>> };
    // An entry for an agent that is not in the fleet, and every key rewritten.
    parsed.agents.push({
      ...parsed.agents[0],
      file: 'team-000/ghost.yaml',
      summary: {
        ...(parsed.agents[0]!['summary'] as object),
        id: 'team-000/ghost',
        dashboard: { name: 'ghost', source: 'istio' },
      },
    });
    for (const a of parsed.agents) a['key'] = '0'.repeat(64);
    const forged = JSON.stringify(parsed);
    const sum = createHash('sha256').update(forged).digest('hex');
    writeFileSync(f, `agent-canary-synth-cache 1 sha256:${sum}\n${forged}`);
    const r = incremental();
    expect(r).toMatchObject({ agents: 24, synthesized: 6, reused: 18, rebuilt: [] });
    expect(existsSync(join(out, 'team-000', 'ghost'))).toBe(false);
    expect(
      readFileSync(join(out, 'team-000', 'ConfigMap.agent-canary-dashboard.yaml'), 'utf8'),
    ).not.toContain('ghost');
    expectSameAsFull();
  });

  it('dist/ changed behind the cache (a file deleted or edited, a stray file): that agent is rebuilt', () => {
    incremental();
    const a = scaleAgent(8, 4);
    const agentDir = join(out, a.ns, a.name);
    const files = readdirSync(agentDir);
    unlinkSync(join(agentDir, files[0]!));
    const b = scaleAgent(9, 4);
    const other = join(out, b.ns, b.name);
    writeFileSync(join(other, 'Stray.thing.yaml'), 'kind: Stray\n');
    expect(incremental()).toMatchObject({ synthesized: 2, reused: 22 });
    expectSameAsFull();
    // Content edited through a rename (what editors and git do): the folder's stamp changes.
    const c = scaleAgent(10, 4);
    const victim = join(out, c.ns, c.name, `Agent.${c.name}.yaml`);
    const tmp = `${victim}.tmp`;
    writeFileSync(tmp, readFileSync(victim, 'utf8').replace('Generated', 'Edited'));
    rmSync(victim);
    writeFileSync(victim, readFileSync(tmp));
    unlinkSync(tmp);
    expect(incremental()).toMatchObject({ synthesized: 1, reused: 23 });
    expectSameAsFull();
  });

  it('a fresh clone (no cache, dist/ committed) synthesizes everything and rewrites nothing', () => {
    incremental();
    rmSync(cache, { recursive: true });
    const r = incremental();
    expect(r).toMatchObject({ synthesized: 24, reused: 0, written: 0, deleted: 0 });
    expectSameAsFull();
  });

  it('a bad fleet file stops the run before anything is written, cache included', () => {
    incremental();
    const before = tree(out);
    const shard = readFileSync(shardFile('team-001'), 'utf8');
    edit(fleetFile(1), 'weight: 0', 'weight: 150');
    edit(fleetFile(2), 'weight: 10', 'weight: 25');
    expect(() => incremental()).toThrow(/rollout|weight/);
    expect(tree(out)).toEqual(before);
    expect(readFileSync(shardFile('team-001'), 'utf8')).toBe(shard);
  });
});
