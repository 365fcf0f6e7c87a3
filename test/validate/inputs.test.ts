/**
 * What the validator reads from a directory: symbolic links followed inside it (reported when
 * they leave it), hidden files and any letter case of .yaml/.yml/.json read, hidden directories
 * reported, and invalid UTF-8 reported with its byte offset instead of being replaced.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { validatePaths } from '../../src/validate/index.js';

const base = { policies: new Map(), fleet: [], rules: false } as const;
const tmp = mkdtempSync(join(tmpdir(), 'validate-inputs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const bad = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: demo }\ndataa: {}\n`;
const good = (name: string) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}, namespace: demo }\n`;

function tree(name: string): string {
  const root = join(tmp, name);
  mkdirSync(join(root, 'real'), { recursive: true });
  writeFileSync(join(root, 'real', 'a.yaml'), good('a'));
  return root;
}

const names = (report: Awaited<ReturnType<typeof validatePaths>>) =>
  report.results
    .filter((r) => r.object)
    .map((r) => `${r.object!.name}:${r.status}`)
    .sort();

describe('directory walk', () => {
  it('follows links to files and folders inside the tree (each folder once, loops included)', async () => {
    const root = tree('links');
    mkdirSync(join(root, 'linked-target'));
    writeFileSync(join(root, 'linked-target', 'b.yaml'), bad('b'));
    symlinkSync(join(root, 'linked-target'), join(root, 'zz-dir-link'));
    symlinkSync(join(root, 'real', 'a.yaml'), join(root, 'file-link.yaml'));
    symlinkSync(root, join(root, 'real', 'loop'));
    const report = await validatePaths([join(root, 'zz-dir-link')], base);
    expect(names(report)).toEqual(['b:invalid']);
    const all = await validatePaths([root], base);
    expect(names(all)).toEqual(['a:valid', 'a:valid', 'b:invalid']);
    expect(all.exitCode).toBe(1);
  });

  it('reports a link that leaves the tree instead of following or skipping it silently', async () => {
    const root = tree('escape');
    const outside = join(tmp, 'outside');
    mkdirSync(outside, { recursive: true });
    writeFileSync(join(outside, 'c.yaml'), bad('c'));
    symlinkSync(outside, join(root, 'out'));
    symlinkSync(join(outside, 'c.yaml'), join(root, 'out.yaml'));
    symlinkSync('/', join(root, 'slash'));
    const report = await validatePaths([root], base);
    expect(names(report)).toEqual(['a:valid']);
    const links = report.findings
      .filter((f) => f.ruleId === 'input')
      .map((f) => f.file.slice(root.length + 1))
      .sort();
    expect(links).toEqual(['out', 'out.yaml', 'slash']);
    expect(report.findings[0]!.message).toMatch(/outside the validated directory/);
    expect(report.exitCode).toBe(2);
  });

  it('reads hidden files and .YAML/.Yml/.JSON files; reports hidden folders; skips .git', async () => {
    const root = tree('hidden');
    writeFileSync(join(root, '.hidden.yaml'), bad('hidden'));
    writeFileSync(join(root, 'UPPER.YAML'), bad('upper'));
    writeFileSync(join(root, 'mixed.Yml'), good('mixed'));
    writeFileSync(
      join(root, 'doc.JSON'),
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'json', namespace: 'demo' },
      }),
    );
    mkdirSync(join(root, '.secret'));
    writeFileSync(join(root, '.secret', 'd.yaml'), bad('d'));
    mkdirSync(join(root, '.git'));
    writeFileSync(join(root, '.git', 'config.yaml'), 'not: a manifest\n');
    const report = await validatePaths([root], base);
    expect(names(report)).toEqual([
      'a:valid',
      'hidden:invalid',
      'json:valid',
      'mixed:valid',
      'upper:invalid',
    ]);
    expect(report.findings.filter((f) => f.ruleId === 'input')).toMatchObject([
      {
        severity: 'warning',
        file: join(root, '.secret'),
        message: 'hidden directory not validated',
      },
    ]);
    expect(report.exitCode).toBe(1);
  });
});

describe('encoding', () => {
  it('reports invalid UTF-8 with the file and the byte offset, never a replacement', async () => {
    const file = join(tmp, 'latin1.yaml');
    const head = Buffer.from(
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: demo }\ndata:\n  k: caf',
    );
    writeFileSync(file, Buffer.concat([head, Buffer.from([0xe9, 0x0a])]));
    const report = await validatePaths([file], base);
    expect(report.findings).toMatchObject([{ ruleId: 'input', severity: 'error', file }]);
    expect(report.findings[0]!.message).toContain(`byte ${head.length} (0xe9, line 5)`);
    expect(report.findings[0]!.fix).toMatch(/UTF-8/);
    expect(report.exitCode).toBe(2);
  });

  for (const [name, bytes] of [
    ['overlong', [0xc0, 0xaf]],
    ['surrogate', [0xed, 0xa0, 0x80]],
    ['truncated', [0xe2, 0x82]],
    ['too large', [0xf5, 0x80, 0x80, 0x80]],
  ] as const) {
    it(`reports a ${name} sequence`, async () => {
      const file = join(tmp, `${name.replace(' ', '-')}.yaml`);
      const head = Buffer.from(
        'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\ndata: { k: "',
      );
      writeFileSync(file, Buffer.concat([head, Buffer.from(bytes), Buffer.from('" }\n')]));
      const report = await validatePaths([file], base);
      expect(report.findings[0]!.message).toMatch(
        new RegExp(`^cannot read: not valid UTF-8: byte ${head.length} `),
      );
    });
  }

  it('reads valid multi-byte UTF-8', async () => {
    const file = join(tmp, 'utf8.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x, namespace: demo }\ndata: { k: "café 😀 日本" }\n',
    );
    expect((await validatePaths([file], base)).exitCode).toBe(0);
  });
});
