import { describe, expect, it } from 'vitest';
import { checkFleetFile, FleetError, parseFleetFile } from '../../src/fleet/load.js';
import { edit, GOOD } from './helpers.js';

const FILE = 'team-a/support-bot.yaml';

function fails(text: string, file = FILE): FleetError {
  try {
    parseFleetFile(file, text);
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('parseFleetFile: a valid file', () => {
  it('returns the Agent without the rollout key, in a fixed key order, with rollout defaults', () => {
    const reordered = edit(GOOD, '  name: Support Bot\n  framework: corail\n', '  framework: corail\n  name: Support Bot\n');
    const a = parseFleetFile(FILE, reordered);
    expect(a.id).toBe('team-a/support-bot');
    expect(a.file).toBe(FILE);
    expect(Object.keys(a.agent)).toEqual(['apiVersion', 'kind', 'metadata', 'spec']);
    expect(a.agent).not.toHaveProperty('rollout');
    expect(Object.keys(a.agent.spec)).toEqual(['name', 'framework', 'modelType', 'modelId', 'image', 'version', 'canary']);
    expect(a.agent.spec.canary).toEqual({ enabled: true, weight: 10, image: 'ghcr.io/recif-platform/corail:v0.4.0', version: '4' });
    expect(a.rollout).toEqual({ mode: 'manual', routing: 'istio', policy: 'default', loadTest: false });
  });

  it('fills rollout defaults when the rollout block is absent', () => {
    const a = parseFleetFile(FILE, GOOD.slice(0, GOOD.indexOf('rollout:')));
    expect(a.rollout.mode).toBe('manual');
    expect(a.rollout.routing).toBe('istio');
    expect(a.rollout.policy).toBe('default');
  });

  it('drops canary: null (what Recif writes after promote) instead of emitting a null the CRD rejects', () => {
    const text = GOOD.replace(/  canary:\n(    .*\n)+/, '  canary: null\n');
    const a = parseFleetFile(FILE, text);
    expect(a.agent.spec).not.toHaveProperty('canary');
    expect(JSON.stringify(a.agent)).not.toContain('null');
  });

  it('accepts every documented AgentSpec field', () => {
    const text = edit(
      GOOD,
      '  version: "3"\n',
      [
        '  description: helps', '  strategy: simple', '  channel: rest', '  systemPrompt: be nice',
        '  backgroundModel: openai:gpt-4o-mini', '  storage: postgresql', '  databaseUrl: postgres://db/agents',
        '  tools: [a]', '  knowledgeBases: [kb]', '  skills: [s]', '  envSecrets: [agent-env]',
        '  credentialSecret: gcp-adc', '  gcpServiceAccount: sa@example.iam.gserviceaccount.com',
        '  replicas: 2', '  suggestionsProvider: static', '  suggestions: \'["hi"]\'', '  evalSampleRate: 10',
        '  judgeModel: openai:/gpt-4o-mini', '  version: "3"', '',
      ].join('\n'),
    );
    const a = parseFleetFile(FILE, text);
    expect(Object.keys(a.agent.spec)).toHaveLength(25);
    expect(a.agent.spec.backgroundModel).toBe('openai:gpt-4o-mini');
  });
});

describe('parseFleetFile: each class of bad input names file, line, field, value and what is allowed', () => {
  it('canary weight 150', () => {
    const e = fails(edit(GOOD, 'weight: 10', 'weight: 150'));
    expect(e).toMatchObject({ file: FILE, line: 16, field: 'spec.canary.weight', value: 150 });
    expect(e.allowed).toContain('0..100');
    expect(e.message).toMatch(/^team-a\/support-bot\.yaml:16: spec\.canary\.weight: .* \(got 150; allowed: integer 0\.\.100.*\)\. Fix: /);
  });

  it('a non-integer weight', () => {
    const e = fails(edit(GOOD, 'weight: 10', 'weight: 12.5'));
    expect(e).toMatchObject({ line: 16, field: 'spec.canary.weight', value: 12.5 });
  });

  it('a wrong enum value lists the allowed values', () => {
    const e = fails(edit(GOOD, 'framework: corail', 'framework: corale'));
    expect(e).toMatchObject({ line: 9, field: 'spec.framework', value: 'corale' });
    expect(e.allowed).toBe('corail | adk | langchain | crewai | autogen | custom');
    const r = fails(edit(GOOD, 'routing: istio', 'routing: nginx'));
    expect(r).toMatchObject({ line: 21, field: 'rollout.routing', value: 'nginx', allowed: 'istio | gateway-api' });
  });

  it('an unknown field lists the allowed names and suggests the near one', () => {
    const e = fails(edit(GOOD, '  modelId: gpt-4o-mini', '  modelID: gpt-4o-mini'));
    expect(e).toMatchObject({ line: 12, field: 'spec.modelID', value: 'gpt-4o-mini' });
    expect(e.allowed).toContain('modelId');
    expect(e.allowed).toContain('backgroundModel');
    expect(e.fix).toContain("did you mean 'modelId'");
    const c = fails(edit(GOOD, '    version: "4"', '    verison: "4"'));
    expect(c).toMatchObject({ line: 18, field: 'spec.canary.verison' });
    expect(c.allowed).toBe('enabled, weight, image, modelType, modelId, systemPrompt, skills, tools, version');
    const r = fails(edit(GOOD, '  policy: default', '  policy: default\n  weight: 20'));
    expect(r).toMatchObject({ line: 23, field: 'rollout.weight' });
  });

  it('a missing required field points at its parent', () => {
    const e = fails(edit(GOOD, '  framework: corail\n', ''));
    expect(e).toMatchObject({ line: 7, field: 'spec.framework', value: undefined });
    expect(e.allowed).toContain('corail');
    expect(e.fix).toContain('framework');
    const c = fails(edit(GOOD, '    enabled: true\n', ''));
    expect(c).toMatchObject({ line: 14, field: 'spec.canary.enabled' });
    const k = fails(edit(GOOD, 'kind: Agent\n', ''));
    expect(k).toMatchObject({ line: 2, field: 'kind' });
  });

  it('apiVersion and kind must be exact', () => {
    const e = fails(edit(GOOD, 'apiVersion: agents.recif.dev/v1', 'apiVersion: agents.recif.dev/v1beta1'));
    expect(e).toMatchObject({ line: 2, field: 'apiVersion', value: 'agents.recif.dev/v1beta1', allowed: 'agents.recif.dev/v1' });
  });

  it('a name that is not a DNS-1123 label', () => {
    const e = fails(edit(GOOD, 'name: support-bot', 'name: Support_Bot'), 'team-a/Support_Bot.yaml');
    expect(e).toMatchObject({ line: 5, field: 'metadata.name', value: 'Support_Bot' });
    expect(e.allowed).toContain('DNS-1123');
    const long = 'a'.repeat(64);
    expect(fails(edit(GOOD, 'name: support-bot', `name: ${long}`), `team-a/${long}.yaml`).field).toBe('metadata.name');
  });

  it('metadata.namespace must equal the folder, metadata.name the file name', () => {
    const e = fails(GOOD, 'team-b/support-bot.yaml');
    expect(e).toMatchObject({ file: 'team-b/support-bot.yaml', line: 6, field: 'metadata.namespace', value: 'team-a', allowed: 'team-b' });
    const n = fails(GOOD, 'team-a/helpdesk.yaml');
    expect(n).toMatchObject({ line: 5, field: 'metadata.name', value: 'support-bot', allowed: 'helpdesk' });
    expect(parseFleetFile('team-a/support-bot.yml', GOOD).id).toBe('team-a/support-bot');
  });

  it('duplicate keys are refused, naming the key', () => {
    const e = fails(edit(GOOD, '  modelId: gpt-4o-mini\n', '  modelId: gpt-4o-mini\n  modelId: gpt-4.1\n'));
    expect(e).toMatchObject({ line: 13, field: 'spec.modelId' });
    expect(e.problem).toContain('duplicate key');
  });

  it('empty, comment-only, multi-document and non-mapping files', () => {
    expect(fails('').problem).toContain('empty');
    expect(fails('# just a comment\n').problem).toContain('empty');
    const m = fails(`${GOOD}---\n${GOOD}`);
    expect(m.problem).toContain('2 YAML documents');
    expect(m.line).toBe(23); // the `---` that starts the second document
    const l = fails('- support-bot\n');
    expect(l).toMatchObject({ line: 1, value: ['support-bot'] });
    expect(l.problem).toContain('mapping');
    const s = fails('spec: [\n');
    expect(s.problem).toContain('YAML syntax error');
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]'].join('\n');
    expect(fails(bomb).problem).toContain('cannot be read');
  });

  it('both rollout modes on one agent is refused by name', () => {
    const e = fails(edit(GOOD, 'mode: manual', 'mode: [manual, progressive]'));
    expect(e).toMatchObject({ line: 20, field: 'rollout.mode', value: ['manual', 'progressive'], allowed: 'manual | progressive' });
    expect(e.problem).toContain('both rollout modes');
    const blocks = fails(edit(GOOD, '  mode: manual\n', '  manual: {}\n  progressive: {}\n'));
    expect(blocks.problem).toContain('both rollout modes');
    expect(blocks.line).toBe(20);
    // a progressive-only setting on a manual agent mixes the modes too
    const lt = fails(edit(GOOD, '  policy: default\n', '  policy: default\n  loadTest: true\n'));
    expect(lt).toMatchObject({ line: 23, field: 'rollout.loadTest', value: true });
    expect(lt.problem).toContain('both rollout modes');
    expect(parseFleetFile(FILE, edit(edit(GOOD, 'mode: manual', 'mode: progressive'), '  policy: default\n', '  policy: default\n  loadTest: true\n')).rollout.loadTest).toBe(true);
  });

  it('gateway-api without gatewayRefs, and gatewayRefs with istio', () => {
    const e = fails(edit(GOOD, 'routing: istio', 'routing: gateway-api'));
    expect(e).toMatchObject({ line: 19, field: 'rollout.gatewayRefs', value: undefined });
    expect(e.allowed).toContain('name');
    const ok = parseFleetFile(FILE, edit(GOOD, 'routing: istio', 'routing: gateway-api\n  gatewayRefs: [{ name: gw, namespace: gateway-system }]'));
    expect(ok.rollout.gatewayRefs).toEqual([{ name: 'gw', namespace: 'gateway-system' }]);
    const istio = fails(edit(GOOD, 'routing: istio', 'routing: istio\n  gatewayRefs: [{ name: gw }]'));
    expect(istio).toMatchObject({ line: 22, field: 'rollout.gatewayRefs' });
  });

  it('a canary identical to stable is refused; a version label alone is no difference', () => {
    const e = fails(edit(GOOD, 'image: ghcr.io/recif-platform/corail:v0.4.0', 'image: ghcr.io/recif-platform/corail:v0.3.1'));
    expect(e).toMatchObject({ line: 14, field: 'spec.canary' });
    expect(e.problem).toContain('identical to stable');
    const disabled = edit(edit(GOOD, 'image: ghcr.io/recif-platform/corail:v0.4.0', 'image: ghcr.io/recif-platform/corail:v0.3.1'), 'enabled: true', 'enabled: false');
    expect(() => parseFleetFile(FILE, disabled)).not.toThrow();
  });

  it('an unquoted number where the CRD wants a string says to quote it', () => {
    const e = fails(edit(GOOD, 'version: "3"', 'version: 3'));
    expect(e).toMatchObject({ line: 13, field: 'spec.version', value: 3 });
    expect(e.fix).toContain('quote');
  });

  it('null for a field the CRD types as string is refused (the apiserver would drop it silently)', () => {
    const e = fails(edit(GOOD, 'modelType: openai', 'modelType:'));
    expect(e).toMatchObject({ line: 11, field: 'spec.modelType', value: null });
  });

  it('hosts, gatewayRefs and label values must be names the cluster accepts', () => {
    expect(fails(edit(GOOD, '  policy: default\n', '  policy: default\n  hosts: [Support.Example.com]\n'))).toMatchObject({
      line: 23, field: 'rollout.hosts[0]', value: 'Support.Example.com',
    });
    const gw = edit(GOOD, 'routing: istio', 'routing: gateway-api\n  gatewayRefs:\n    - name: Internal_GW');
    expect(fails(gw)).toMatchObject({ line: 23, field: 'rollout.gatewayRefs[0].name', value: 'Internal_GW' });
    expect(fails(edit(GOOD, '  namespace: team-a\n', '  namespace: team-a\n  labels: { team: "support team" }\n'))).toMatchObject({
      line: 7, field: 'metadata.labels.team', value: 'support team',
    });
    const wildcard = edit(GOOD, '  policy: default\n', '  policy: default\n  hosts: ["*.example.com"]\n');
    expect(parseFleetFile(FILE, wildcard).rollout.hosts).toEqual(['*.example.com']);
  });

  it('checkFleetFile collects every error in file order', () => {
    const r = checkFleetFile(FILE, edit(edit(GOOD, 'framework: corail', 'framework: x'), 'weight: 10', 'weight: -1'));
    expect(r.agent).toBeUndefined();
    expect(r.errors.map((e) => [e.line, e.field])).toEqual([[9, 'spec.framework'], [16, 'spec.canary.weight']]);
  });
});

describe('warnings (reported, not fatal)', () => {
  it('manual canary enabled with weight 0, progressive canary with a weight, unpinned images', () => {
    const zero = checkFleetFile(FILE, edit(GOOD, 'weight: 10', 'weight: 0'));
    expect(zero.errors).toEqual([]);
    expect(zero.warnings.map((w) => [w.line, w.field])).toEqual([[16, 'spec.canary.weight']]);
    expect(zero.agent?.warnings?.[0]?.message).toContain('no traffic');
    const prog = checkFleetFile(FILE, edit(GOOD, 'mode: manual', 'mode: progressive'));
    expect(prog.warnings[0]?.problem).toContain('Flagger owns the live weight');
    const latest = checkFleetFile(FILE, edit(GOOD, 'image: ghcr.io/recif-platform/corail:v0.3.1', 'image: ghcr.io/recif-platform/corail:latest'));
    expect(latest.warnings.map((w) => [w.line, w.field])).toEqual([[10, 'spec.image']]);
    expect(checkFleetFile(FILE, GOOD).warnings).toEqual([]);
  });
});

describe('FleetError as data', () => {
  it('serializes to JSON with every location field (for JSON reports and HTTP problem bodies)', () => {
    const e = fails(edit(GOOD, 'weight: 10', 'weight: 150'));
    expect(JSON.parse(JSON.stringify(e))).toMatchObject({
      name: 'FleetError', file: FILE, line: 16, column: 5, field: 'spec.canary.weight', value: 150, allowed: expect.stringContaining('0..100'),
    });
  });
});

describe('type errors say what to write', () => {
  it('a scalar where a list or a mapping belongs', () => {
    const tools = fails(edit(GOOD, '  version: "3"\n', '  version: "3"\n  tools: web-search\n'));
    expect(tools).toMatchObject({ line: 14, field: 'spec.tools', value: 'web-search', allowed: 'a list of strings' });
    expect(tools.fix).toContain('- item');
    const canary = fails(GOOD.replace(/  canary:\n(    .*\n)+/, '  canary: yes\n'));
    expect(canary).toMatchObject({ line: 14, field: 'spec.canary', value: 'yes' });
    expect(canary.problem).toBe('must be a mapping or null');
  });
});
