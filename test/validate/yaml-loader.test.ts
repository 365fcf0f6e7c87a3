/**
 * What the loader makes of YAML that used to be misread: each case is read as the `yaml` package
 * reads it (or reported), alias expansion is bounded, a self-referencing alias is a finding, the
 * kubectl-accepted quoting of real CRDs is read, and a broken `--crd` is exit 2.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadText } from '../../src/validate/load/documents.js';
import { validatePaths } from '../../src/validate/index.js';

const dir = join(import.meta.dirname, '..', 'fixtures', 'validate', 'yaml');
const base = { policies: new Map(), fleet: [], rules: false } as const;
const head = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n';

const objects = (text: string) => loadText('t.yaml', text).resources.map((r) => r.object);
const ruleIds = (text: string) => loadText('t.yaml', text).findings.map((f) => f.ruleId);

describe('YAML the fast reader used to misread', () => {
  it('reads {app:web} as the one key "app:web" (a plain scalar in flow)', () => {
    expect(objects(`${head}data: {app:web}\n`)[0]!.data).toEqual({ 'app:web': null });
  });

  it('keeps non-breaking spaces in keys and values (content in YAML 1.2)', () => {
    expect(objects(`${head}data:\n  k\u00a0: v\u00a0\n`)[0]!.data).toEqual({
      'k\u00a0': 'v\u00a0',
    });
  });

  it('reads the document after a ... line instead of dropping it', () => {
    const text = `${head}...\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: second\n`;
    expect(objects(text).map((o) => (o.metadata as { name: string }).name)).toEqual([
      'c',
      'second',
    ]);
  });

  it('refuses --- a: 1 and [- sleep] as the yaml package does', () => {
    expect(ruleIds(`--- ${head}`)).toContain('parse');
    expect(ruleIds(`${head}args: [- sleep]\n`)).toContain('parse');
  });

  it('resolves numeric keys, so 1 and 01 are duplicates', () => {
    expect(ruleIds(`${head}data:\n  1: a\n  01: b\n`)).toEqual(['duplicate-key']);
    expect(objects(`${head}data:\n  0x1: a\n`)[0]!.data).toEqual({ '1': 'a' });
  });

  it('keeps exactly the trailing line breaks |+ asks for', () => {
    expect(objects(`${head}data:\n  k: |+\n    x\n\n  j: 1\n`)[0]!.data).toEqual({
      k: 'x\n\n',
      j: 1,
    });
  });
});

describe('aliases', () => {
  it('refuses an exponential alias bomb (bounded like the yaml package)', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const loaded = loadText('bomb.yaml', `${head}${levels.join('\n')}\n`);
    expect(loaded.resources).toEqual([]);
    expect(loaded.findings.map((f) => f.ruleId)).toEqual(['parse']);
    expect(loaded.findings[0]!.message).toMatch(/alias/i);
  });

  it('reports a self-referencing alias as a finding', () => {
    const loaded = loadText('self.yaml', `${head}data: &x\n  a: *x\n`);
    expect(loaded.resources).toEqual([]);
    expect(loaded.findings[0]).toMatchObject({ ruleId: 'parse', file: 'self.yaml' });
    expect(loaded.findings[0]!.message).toContain('contains itself');
  });

  it('still reads ordinary aliases (through the yaml package)', () => {
    expect(objects(`${head}data:\n  a: &v x\n  b: *v\n`)[0]!.data).toEqual({ a: 'x', b: 'x' });
  });
});

describe("quoted descriptions continued at the key's indentation (as in Flagger's CRD)", () => {
  it('reads them as kubectl does, with a warning, and leaves block scalars alone', () => {
    const loaded = loadText('gizmo-crd.yaml', readFileSync(join(dir, 'gizmo-crd.yaml'), 'utf8'));
    expect(loaded.findings).toEqual([]);
    const schema = (
      loaded.resources[0]!.object.spec as {
        versions: { schema: { openAPIV3Schema: Record<string, unknown> } }[];
      }
    ).versions[0]!.schema.openAPIV3Schema;
    expect(schema.description).toBe(
      "Gizmo is a thing that is described at length, so that the description does not fit on one line, and continues here: at the key's indentation.",
    );
    const spec = (schema.properties as Record<string, Record<string, unknown>>).spec!;
    expect(spec.description).toBe(
      'Spec holds the desired state, in two lines with a "quote" inside.',
    );
    const props = spec.properties as Record<string, Record<string, unknown>>;
    expect(props.count!.description).toBe(
      'Optional: how many gizmos (continued deeper, which YAML allows).',
    );
    expect(props.script!.default).toBe("x: 'one\ntwo\n");
    expect(loaded.resources[0]!.notes?.map((n) => n.ruleId)).toEqual(['yaml-indentation']);
  });

  it('validates custom resources with such a CRD', async () => {
    const report = await validatePaths([join(dir, 'gizmos.yaml')], {
      ...base,
      crds: [join(dir, 'gizmo-crd.yaml')],
    });
    expect(report.results.map((r) => [r.object?.name, r.status])).toEqual([
      ['good', 'valid'],
      ['bad', 'invalid'],
    ]);
    expect(report.exitCode).toBe(1);
  });
});

describe('--crd that cannot be used', () => {
  it('a CRD file with a YAML error is exit 2, naming the file and the line', async () => {
    const report = await validatePaths([join(dir, 'gizmos.yaml')], {
      ...base,
      crds: [join(dir, 'gizmo-crd.yaml'), join(dir, 'broken-crd.yaml')],
    });
    expect(report.exitCode).toBe(2);
    const problem = report.findings.find((f) => f.ruleId === 'schema-source');
    expect(problem?.file).toBe(join(dir, 'broken-crd.yaml'));
    expect(problem?.message).toMatch(/^cannot read CRD: line \d+: YAML syntax/);
  });

  it('a file without a CRD is exit 2 too, even when no object needs it', async () => {
    const report = await validatePaths([join(dir, 'gizmos.yaml')], {
      ...base,
      crds: [join(dir, 'gizmo-crd.yaml'), join(dir, 'gizmos.yaml')],
    });
    expect(report.exitCode).toBe(2);
    expect(report.findings.find((f) => f.ruleId === 'schema-source')?.message).toContain(
      'no CustomResourceDefinition',
    );
  });
});
