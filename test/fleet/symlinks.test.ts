/**
 * The fleet and policy loaders read only folders and regular files inside their root: a
 * namespace folder linking to / or /proc/self, or a fleet file linking to /proc/self/environ, is
 * a clear error naming the link, never a walk of the file system or a stack trace.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'fleet-links-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function fleet(name: string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'team-support'), { recursive: true });
  copyFileSync(join(ROOT, 'fleet', 'team-support', 'support-bot.yaml'), join(root, 'team-support', 'support-bot.yaml'));
  return root;
}

describe('fleet symlinks', () => {
  it('refuses namespace folders linking out of the root (/, /proc/self) with an error each', () => {
    const root = fleet('out');
    symlinkSync('/', join(root, 'slash'));
    symlinkSync('/proc/self', join(root, 'proc'));
    const { agents, errors } = checkFleet(root);
    expect(agents.map((a) => a.id)).toEqual(['team-support/support-bot']);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/proc:0: \(document\): not read: a symbolic link to \/proc\/\d+, outside/);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/slash:0: \(document\): not read: a symbolic link to \/, outside/);
  });

  it('refuses a fleet file linking to /proc/self/environ', () => {
    const root = fleet('environ');
    symlinkSync('/proc/self/environ', join(root, 'team-support', 'leak.yaml'));
    const { errors } = checkFleet(root);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain('team-support/leak.yaml');
    expect(errors[0]!.message).toContain('outside');
  });

  it('follows links that stay inside the root', () => {
    const root = fleet('inside');
    mkdirSync(join(root, 'shared'));
    copyFileSync(join(ROOT, 'fleet', 'team-support', 'triage-agent.yaml'), join(root, 'shared', 'triage-agent.yaml'));
    symlinkSync(join(root, 'shared', 'triage-agent.yaml'), join(root, 'team-support', 'triage-agent.yaml'));
    const { agents, errors } = checkFleet(root);
    // shared/ is a namespace folder of its own holding the same agent: a duplicate id, reported.
    expect(agents.map((a) => a.id)).toContain('team-support/triage-agent');
    expect(errors.every((e) => !e.message.includes('outside'))).toBe(true);
  });
});

describe('policy symlinks', () => {
  it('refuses a policy file linking out of the policies folder', () => {
    const dir = join(tmp, 'policies');
    mkdirSync(dir);
    symlinkSync('/proc/self/environ', join(dir, 'default.yaml'));
    expect(() => loadPolicies(dir)).toThrow(/not read: a symbolic link to \/proc\/\d+\/environ, outside/);
  });
});
