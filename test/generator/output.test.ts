/** writeOutput: atomic, quiet on unchanged files, deletes what is no longer produced. */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { synthesize, synthesizeAgent } from '../../src/synth/synthesize.js';
import { writeOutput } from '../../src/synth/output.js';
import { fleetAgent, policies } from './_fixtures.js';

let dist: string;
beforeEach(() => {
  dist = mkdtempSync(join(tmpdir(), 'agent-canary-gen-'));
});
afterEach(() => rmSync(dist, { recursive: true, force: true }));

const alpha = fleetAgent({ name: 'alpha' });
const beta = fleetAgent({ name: 'beta', namespace: 'team-b' });
const opts = { policies: policies() };

function allFiles(dir: string, rel = ''): string[] {
  if (!existsSync(join(dir, rel))) return [];
  return readdirSync(join(dir, rel), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? allFiles(dir, rel ? `${rel}/${e.name}` : e.name)
      : [rel ? `${rel}/${e.name}` : e.name],
  );
}

describe('writeOutput', () => {
  it('writes one file per manifest with its exact content, and no temp files', () => {
    const manifests = synthesize([alpha, beta], opts);
    const r = writeOutput(dist, manifests);
    expect(r.written).toEqual(manifests.map((m) => m.path));
    expect(allFiles(dist).sort()).toEqual(manifests.map((m) => m.path));
    for (const m of manifests) expect(readFileSync(join(dist, m.path), 'utf8')).toBe(m.content);
  });

  it('writes a new agent folder as a whole and removes staging folders a killed run left behind', () => {
    writeOutput(dist, synthesize([alpha], opts));
    // What a run killed between writing and renaming leaves: a hidden staging folder with YAML in it.
    const stale = join(dist, 'team-b', '.beta.12345.0.synth-staging');
    mkdirSync(stale, { recursive: true });
    writeFileSync(join(stale, 'Deployment.beta.yaml'), 'kind: Deployment\n');
    const manifests = synthesize([alpha, beta], opts);
    const r = writeOutput(dist, manifests);
    expect(r.written.filter((p) => p.startsWith('team-b/beta/')).length).toBeGreaterThan(5);
    expect(existsSync(stale)).toBe(false);
    expect(allFiles(dist).sort()).toEqual(manifests.map((m) => m.path));
    for (const m of manifests) expect(readFileSync(join(dist, m.path), 'utf8')).toBe(m.content);
  });

  it('does not rewrite unchanged files (their mtime stays)', () => {
    writeOutput(dist, synthesize([alpha, beta], opts));
    const old = new Date('2020-01-01T00:00:00Z');
    for (const f of allFiles(dist)) utimesSync(join(dist, f), old, old);
    const changed = fleetAgent({
      name: 'alpha',
      canary: {
        enabled: true,
        weight: 25,
        image: 'ghcr.io/recif-platform/corail:v0.4.0',
        modelId: 'gpt-4.1-mini',
        systemPrompt: 'Be brief.',
        tools: ['web-search'],
        version: '4',
      },
    });
    const r = writeOutput(dist, synthesize([changed, beta], opts));
    // A weight change touches the Agent (spec.canary.weight) and the route, nothing else.
    const touched = ['team-a/alpha/Agent.alpha.yaml', 'team-a/alpha/VirtualService.alpha.yaml'];
    expect(r.written).toEqual(touched);
    expect(r.deleted).toEqual([]);
    for (const f of allFiles(dist)) {
      const mtime = statSync(join(dist, f)).mtime.getTime();
      if (touched.includes(f)) expect(mtime).toBeGreaterThan(old.getTime());
      else expect(mtime, f).toBe(old.getTime());
    }
  });

  it('deletes the files of a removed agent and the folders left empty', () => {
    writeOutput(dist, synthesize([alpha, beta], opts));
    const r = writeOutput(dist, synthesize([alpha], opts));
    expect(r.deleted.length).toBeGreaterThan(5);
    // The agent's folder, its namespace's Application and (its namespace now empty) the namespace dashboard.
    expect(
      r.deleted.every(
        (p) =>
          p.startsWith('team-b/beta/') ||
          [
            'argocd/Application.agent-canary-team-b.yaml',
            'team-b/ConfigMap.agent-canary-dashboard.yaml',
          ].includes(p),
      ),
    ).toBe(true);
    expect(existsSync(join(dist, 'team-b'))).toBe(false);
    expect(allFiles(dist).some((f) => f.startsWith('team-a/alpha/'))).toBe(true);
  });

  it('deletes the canary objects when a canary ends (promotion or rollback)', () => {
    writeOutput(dist, synthesize([alpha], opts));
    const r = writeOutput(dist, synthesize([fleetAgent({ name: 'alpha', canary: null })], opts));
    expect(r.deleted).toEqual([
      'team-a/alpha/ConfigMap.alpha-canary-config.yaml',
      'team-a/alpha/Deployment.alpha-canary.yaml',
      'team-a/alpha/PodDisruptionBudget.alpha-canary.yaml',
      'team-a/alpha/Service.alpha-canary.yaml',
    ]);
  });

  it('with a scope, touches only those agents and leaves the rest of dist/ alone', () => {
    writeOutput(dist, synthesize([alpha, beta], opts));
    mkdirSync(join(dist, 'hand'), { recursive: true });
    writeFileSync(join(dist, 'hand', 'Extra.yaml'), 'kind: Extra\n');
    const before = readFileSync(join(dist, 'team-b/beta/Deployment.beta.yaml'), 'utf8');
    const changed = fleetAgent({ name: 'alpha', canary: null });
    const r = writeOutput(dist, synthesizeAgent(changed, opts), { scope: [changed.id] });
    expect(r.deleted.every((p) => p.startsWith('team-a/alpha/'))).toBe(true);
    expect(r.deleted.length).toBe(4); // the canary's ConfigMap, Deployment, PDB, Service
    expect(readFileSync(join(dist, 'team-b/beta/Deployment.beta.yaml'), 'utf8')).toBe(before);
    expect(existsSync(join(dist, 'hand', 'Extra.yaml'))).toBe(true);
    // A scoped agent with no manifests (removed from the fleet) loses its folder; the namespace's
    // dashboard belongs to full syntheses and stays.
    const gone = writeOutput(dist, [], { scope: ['team-b/beta'] });
    expect(gone.deleted.length).toBeGreaterThan(5);
    expect(existsSync(join(dist, 'team-b', 'beta'))).toBe(false);
    expect(readdirSync(join(dist, 'team-b'))).toEqual(['ConfigMap.agent-canary-dashboard.yaml']);
  });

  it('refuses manifests outside the scope, paths escaping dist/ and two objects on one path', () => {
    const manifests = synthesize([alpha, beta], opts);
    expect(() => writeOutput(dist, manifests, { scope: ['team-a/alpha'] })).toThrow(
      /outside the scope/,
    );
    expect(() => writeOutput(dist, [{ path: '../x.yaml', object: {}, content: '' }])).toThrow(
      /escapes dist/,
    );
    expect(() => writeOutput(dist, [manifests[0]!, manifests[0]!])).toThrow(/two objects map to/);
    expect(() => writeOutput(dist, [], { scope: ['not an id'] })).toThrow(/not an agent id/);
  });
});
