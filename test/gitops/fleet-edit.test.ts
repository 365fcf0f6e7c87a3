/**
 * Edits of a fleet file keep what people wrote: comments, blank lines, spacing before inline
 * comments, quoting, key order. Only the edited values change.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { FleetFileEditor } from '../../src/gitops/fleet-edit.js';
import { parseAgentId, parseFullAgentId } from '../../src/gitops/agent-id.js';

const FLEET_FILE = `# Customer-support agent.   Owner: team-support
apiVersion: agents.recif.dev/v1
kind: Agent
metadata:
  name: support-bot      # the slug
  namespace: team-support

spec:
  name: "Support Bot"
  framework: corail
  # pinned runtime
  image: ghcr.io/recif-platform/corail:v0.3.1
  modelId: gpt-4o-mini
  systemPrompt: |
    You are the support assistant.
    Cite the article you used.
  version: '3'
  # Challenger: 10 % of traffic.
  canary:
    enabled: true
    weight: 10   # second step
    image: ghcr.io/recif-platform/corail:v0.4.0
    modelId: gpt-4.1-mini
    version: "4"
rollout:
  mode: manual     # Git owns the weight
  policy: default
`;

/** Lines of `after` that are not in `before`, and the reverse. */
function lineDiff(before: string, after: string): { added: string[]; removed: string[] } {
  const b = before.split('\n');
  const a = after.split('\n');
  return { added: a.filter((l) => !b.includes(l)), removed: b.filter((l) => !a.includes(l)) };
}

describe('FleetFileEditor', () => {
  it('changes only the weight characters of a weight change', () => {
    const e = new FleetFileEditor('team-support/support-bot.yaml', FLEET_FILE);
    e.set(['spec', 'canary', 'weight'], 25);
    expect(e.toString()).toBe(
      FLEET_FILE.replace('weight: 10   # second step', 'weight: 25   # second step'),
    );
  });

  it('promotes by replacing stable values and removing the canary block, keeping every other line', () => {
    const e = new FleetFileEditor('f.yaml', FLEET_FILE);
    e.set(['spec', 'image'], 'ghcr.io/recif-platform/corail:v0.4.0');
    e.set(['spec', 'modelId'], 'gpt-4.1-mini');
    e.set(['spec', 'version'], '4');
    e.delete(['spec', 'canary']);
    const out = e.toString();
    const { added, removed } = lineDiff(FLEET_FILE, out);
    expect(added).toEqual([
      '  image: ghcr.io/recif-platform/corail:v0.4.0',
      '  modelId: gpt-4.1-mini',
      "  version: '4'",
    ]);
    expect(removed).toEqual([
      '  image: ghcr.io/recif-platform/corail:v0.3.1',
      '  modelId: gpt-4o-mini',
      "  version: '3'",
      '  canary:',
      '    enabled: true',
      '    weight: 10   # second step',
      '    image: ghcr.io/recif-platform/corail:v0.4.0',
      '    modelId: gpt-4.1-mini',
      '    version: "4"',
    ]);
    // Comments, including the one that introduced the canary, and the odd spacing survive.
    for (const c of [
      '# Customer-support agent.   Owner: team-support',
      '  name: support-bot      # the slug',
      '  # pinned runtime',
      '  # Challenger: 10 % of traffic.',
      '  mode: manual     # Git owns the weight',
    ]) {
      expect(out).toContain(c);
    }
    expect(parse(out).spec.canary).toBeUndefined();
  });

  it('adds a canary block at the indent of its siblings and reads back as the same data', () => {
    const withoutCanary = FLEET_FILE.replace(/  canary:\n(    .*\n)+/, '');
    const e = new FleetFileEditor('f.yaml', withoutCanary);
    e.set(['spec', 'canary'], {
      enabled: true,
      weight: 5,
      modelId: 'gpt-4.1',
      tools: ['search', 'ticket-lookup'],
      version: '4',
    });
    const out = e.toString();
    expect(lineDiff(withoutCanary, out).removed).toEqual([]);
    expect(parse(out).spec.canary).toEqual({
      enabled: true,
      weight: 5,
      modelId: 'gpt-4.1',
      tools: ['search', 'ticket-lookup'],
      version: '4',
    });
    expect(out).toContain('\n  canary:\n    enabled: true\n    weight: 5\n');
    expect(out.indexOf('  canary:')).toBeLessThan(out.indexOf('rollout:'));
  });

  it('rewrites a block scalar as a block scalar, other lines untouched', () => {
    const e = new FleetFileEditor('f.yaml', FLEET_FILE);
    e.set(['spec', 'systemPrompt'], 'Be brief.\nAlways cite.\n');
    const out = e.toString();
    expect(parse(out).spec.systemPrompt).toBe('Be brief.\nAlways cite.\n');
    expect(lineDiff(FLEET_FILE, out).removed).toEqual([
      '    You are the support assistant.',
      '    Cite the article you used.',
    ]);
  });

  it('edits inside a flow mapping without reformatting the line', () => {
    const text = 'spec:\n  canary: { enabled: true, weight: 10, version: "4" }   # trial\n';
    const e = new FleetFileEditor('f.yaml', text);
    e.set(['spec', 'canary', 'weight'], 25);
    expect(e.toString()).toBe(
      'spec:\n  canary: { enabled: true, weight: 25, version: "4" }   # trial\n',
    );
  });

  it('quotes strings that would read back as another type', () => {
    const e = new FleetFileEditor('f.yaml', 'spec:\n  version: x\n');
    e.set(['spec', 'version'], '5');
    expect(parse(e.toString()).spec.version).toBe('5');
  });
});

describe('agent ids', () => {
  it('accepts namespace/name and namespace.name', () => {
    expect(parseFullAgentId('team-a/support-bot')).toEqual({
      namespace: 'team-a',
      name: 'support-bot',
    });
    expect(parseAgentId('team-a.support-bot')).toEqual({
      namespace: 'team-a',
      name: 'support-bot',
    });
    expect(parseAgentId('support-bot')).toBeUndefined();
  });

  it.each([
    '../etc/passwd',
    'team-a/../../x',
    '..',
    'team-a/',
    '/abs',
    'Team-A/bot',
    'a/b/c',
    'a/-bot',
    'a/bot\u0000',
    'a\\b',
    'a/' + 'x'.repeat(64),
  ])('refuses %j so no id reaches outside the fleet folder', (id) => {
    expect(() => parseAgentId(id)).toThrow(/DNS-1123|separators/);
  });
});
