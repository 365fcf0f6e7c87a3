/**
 * The fast paths of synthesis give exactly what the slow paths give: fleet files read by the fast
 * YAML reader load to the same agents and the same located errors as files read by the `yaml`
 * package, and the fast base renderer gives the same JSON as cdk8s' own `ApiObject.toJson()`.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv';
import { ApiObject, App, Chart, JsonPatch, Lazy } from 'cdk8s';
import { afterAll, describe, expect, it } from 'vitest';
import { k8s } from '../../constructs/_k8s.js';
import { checkFleetFile, loadFleetValidator, type FleetError } from '../../src/fleet/load.js';
import { sourceOf } from '../../src/yaml/origin.js';
import { withFastToJson } from '../../src/synth/fast-json.js';
import { FLEET_DIR, GOOD } from '../fleet/helpers.js';

/** A `%YAML` directive keeps the fast reader out: the file goes through the `yaml` package (2 lines later). */
const SLOW_PREFIX = '%YAML 1.2\n---\n';

function errorParts(e: FleetError, lineShift = 0) {
  return {
    line: e.line - lineShift,
    column: e.column,
    field: e.field,
    problem: e.problem,
    value: e.value,
    allowed: e.allowed,
    fix: e.fix,
  };
}

describe('fleet loading: fast reader and yaml package agree', () => {
  const files = readdirSync(FLEET_DIR).flatMap((ns) =>
    readdirSync(join(FLEET_DIR, ns)).map((f) => `${ns}/${f}`),
  );

  it.each(files)('%s loads to the same agent and warnings either way', (rel) => {
    const text = readFileSync(join(FLEET_DIR, rel), 'utf8');
    const fast = checkFleetFile(rel, text);
    const slow = checkFleetFile(rel, SLOW_PREFIX + text);
    expect(fast.errors).toEqual([]);
    expect(fast.agent).toEqual(slow.agent);
    expect(fast.warnings.map((w) => errorParts(w))).toEqual(
      slow.warnings.map((w) => errorParts(w, 2)),
    );
  });

  const bad: Array<[string, string]> = [
    ['a schema error', GOOD.replace('weight: 10', 'weight: 150')],
    ['a wrong type', GOOD.replace('version: "4"', 'version: [4]')],
    [
      'an unknown key',
      GOOD.replace('  framework: corail\n', '  framework: corail\n  frameworks: x\n'),
    ],
    [
      'a rule error (namespace differs from the folder)',
      GOOD.replace('namespace: team-a', 'namespace: team-b'),
    ],
    ['both modes', GOOD.replace(/rollout:\n/, 'rollout:\n  manual: {}\n')],
    [
      'a duplicate key',
      GOOD.replace('  framework: corail\n', '  framework: corail\n  framework: other\n'),
    ],
  ];
  it.each(bad)('%s gets the same located error either way', (_what, text) => {
    const fast = checkFleetFile('team-a/support-bot.yaml', text);
    const slow = checkFleetFile('team-a/support-bot.yaml', SLOW_PREFIX + text);
    expect(fast.errors.length).toBeGreaterThan(0);
    expect(fast.errors.map((e) => errorParts(e))).toEqual(slow.errors.map((e) => errorParts(e, 2)));
    expect(fast.errors[0]!.message).toMatch(/^team-a\/support-bot\.yaml:\d+: /);
  });

  it('a file read by the fast reader still locates its fields (policy errors point at rollout lines)', () => {
    const r = checkFleetFile('team-a/support-bot.yaml', GOOD);
    const source = sourceOf(r.agent!)!;
    const line = GOOD.split('\n').findIndex((l) => l.startsWith('  policy:')) + 1;
    expect(line).toBeGreaterThan(0);
    expect(source.locate(['rollout', 'policy']).line).toBe(line);
  });
});

describe('withFastToJson: the same JSON as ApiObject.toJson()', () => {
  function objects(): ApiObject[] {
    const app = new App({ outdir: '.' });
    const chart = new Chart(app, 'c', { disableResourceNameHashes: true, labels: { team: 'a' } });
    const plain = new ApiObject(chart, 'plain', {
      apiVersion: 'example.dev/v1',
      kind: 'Thing',
      metadata: { name: 'thing', annotations: { z: '1', a: '2' }, finalizers: [] },
      spec: {
        zeta: Lazy.any({ produce: () => ({ b: 1, a: [null, 2, undefined, { y: null, x: 'x' }] }) }),
        alpha: { resolve: () => 'resolved' },
        empty: [],
        emptyMap: {},
        nothing: null,
        list: [[], {}, 'a'],
      },
    });
    plain.metadata.addLabel('extra', 'yes');
    const patched = new ApiObject(chart, 'patched', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'p' },
      data: { a: '1' },
    });
    patched.addJsonPatch(JsonPatch.add('/data/b', '2'), JsonPatch.remove('/data/a'));
    const deploy = new k8s.KubeDeployment(chart, 'deploy', {
      metadata: { name: 'd' },
      spec: {
        selector: { matchLabels: { app: 'd' } },
        strategy: {
          rollingUpdate: {
            maxSurge: k8s.IntOrString.fromString('25%'),
            maxUnavailable: k8s.IntOrString.fromNumber(0),
          },
        },
        template: {
          metadata: { labels: { app: 'd' } },
          spec: {
            containers: [
              {
                name: 'c',
                image: 'i',
                resources: {
                  limits: {
                    memory: k8s.Quantity.fromString('512Mi'),
                    cpu: k8s.Quantity.fromNumber(1),
                  },
                },
              },
            ],
          },
        },
      },
    });
    return [plain, patched, deploy];
  }

  it('renders plain, patched and L1 objects (tokens, unions, nulls, empty lists and maps) identically', () => {
    const slow = objects().map((o) => o.toJson());
    const fast = withFastToJson(() => objects().map((o) => o.toJson()));
    expect(JSON.stringify(fast)).toBe(JSON.stringify(slow));
    expect((fast[0] as { metadata: Record<string, unknown> }).metadata).not.toHaveProperty(
      'finalizers',
    );
  });

  it('an App with other resolvers is rendered by cdk8s itself', () => {
    const app = new App({
      outdir: '.',
      resolvers: [
        {
          resolve: (c) => {
            if (c.value === 'x') c.replaceValue('y');
          },
        },
      ],
    });
    const o = new ApiObject(new Chart(app, 'c'), 'o', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'o' },
      data: { k: 'x' },
    });
    expect(withFastToJson(() => o.toJson())).toEqual(o.toJson());
    expect((o.toJson() as { data: unknown }).data).toEqual({ k: 'y' });
  });

  it("a value cdk8s cannot render fails with cdk8s' own error", () => {
    const app = new App({ outdir: '.' });
    const o = new ApiObject(new Chart(app, 'c'), 'o', {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'o' },
      data: { when: new Date(0) },
    });
    const slow = (() => {
      try {
        o.toJson();
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    })();
    expect(slow).toContain("can't render non-simple object of type 'Date'");
    expect(() => withFastToJson(() => o.toJson())).toThrow(slow);
  });

  it('puts the original toJson back, also when the work throws', () => {
    const original = ApiObject.prototype.toJson;
    expect(() =>
      withFastToJson(() => {
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(ApiObject.prototype.toJson).toBe(original);
    withFastToJson(() =>
      withFastToJson(() => expect(ApiObject.prototype.toJson).not.toBe(original)),
    );
    expect(ApiObject.prototype.toJson).toBe(original);
  });
});

describe('loadFleetValidator: compiled schema code kept between runs', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const samples: unknown[] = [
    {
      apiVersion: 'agents.recif.dev/v1',
      kind: 'Agent',
      metadata: { name: 'a', namespace: 'b' },
      spec: { name: 'A', image: 'i', canary: { weight: 150 } },
    },
    {
      apiVersion: 'v1',
      kind: 'Agent',
      metadata: {},
      spec: { replicas: 'two' },
      rollout: { mode: 'both' },
    },
    'not an object',
  ];
  const outcome = (v: ValidateFunction) =>
    samples.map((d) => ({ ok: v(d), errors: v.errors ?? null }));

  it('a second load uses the cached code and validates exactly like the compiled schema, errors included', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-canary-schema-'));
    dirs.push(dir);
    const compiled = loadFleetValidator(dir);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^fleet-schema-[0-9a-f]{16}\.cjs$/);
    const cached = loadFleetValidator(dir);
    expect(cached).not.toBe(compiled);
    expect(outcome(cached)).toEqual(outcome(compiled));
    expect(outcome(compiled)[0]!.ok).toBe(false);
  });

  it('a broken cache file means compiling again (and repairing the file)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-canary-schema-'));
    dirs.push(dir);
    const reference = outcome(loadFleetValidator(dir));
    const file = join(dir, readdirSync(dir)[0]!);
    writeFileSync(file, 'module.exports = {{ not javascript');
    expect(outcome(loadFleetValidator(dir))).toEqual(reference);
    expect(readFileSync(file, 'utf8')).toMatch(/^"use strict";/);
    expect(outcome(loadFleetValidator(dir))).toEqual(reference);
  });
});
