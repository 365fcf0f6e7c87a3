/**
 * `loadFleetNamespaces` (a pull request's scope) lists only the folders of those namespaces, yet
 * finds for them exactly what reading the whole fleet finds: the same agents, the same
 * `fleet-file` findings; a broken file or a misplaced one elsewhere is not its business.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadFleetNamespaces, loadFleetRoot } from '../../src/validate/fleet-files.js';
import { ROOT } from './_project.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fleet(): string {
  const dir = mkdtempSync(join(tmpdir(), 'fleet-namespaces-'));
  dirs.push(dir);
  cpSync(join(ROOT, 'fleet'), dir, { recursive: true });
  // Broken in team-research, misplaced at the top: both outside team-support.
  writeFileSync(join(dir, 'team-research/summarizer.yaml'), 'kind: Agent\nspec: [\n');
  writeFileSync(join(dir, 'stray.yaml'), 'kind: Agent\n');
  // Broken inside team-support: its finding is kept.
  writeFileSync(join(dir, 'team-support/broken.yaml'), 'apiVersion: agents.recif.dev/v1\n');
  return dir;
}

describe('loadFleetNamespaces', () => {
  it('finds what the whole fleet finds for those namespaces, and nothing of the others', () => {
    const dir = fleet();
    const some = loadFleetNamespaces(dir, ['team-support']);
    const all = loadFleetRoot(dir);
    const inSupport = (file: string) => file.includes('team-support/');
    expect(some.agents.map((a) => a.id)).toEqual(
      all.agents.filter((a) => a.id.startsWith('team-support/')).map((a) => a.id),
    );
    expect(some.agents.map((a) => a.id)).toEqual([
      'team-support/support-bot',
      'team-support/triage-agent',
    ]);
    expect(some.findings).toEqual(all.findings.filter((f) => inSupport(f.file)));
    expect(some.findings.map((f) => f.file)).toEqual(
      expect.arrayContaining([expect.stringContaining('team-support/broken.yaml')]),
    );
    expect(all.findings.some((f) => f.file.includes('stray.yaml'))).toBe(true);
    expect(all.findings.some((f) => f.file.includes('summarizer.yaml'))).toBe(true);
  });
});
