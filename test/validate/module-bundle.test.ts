/**
 * kubernetes-models kinds loaded from the one-file module bundle: the bundled validator must judge
 * exactly like the package loaded with require, and a bundle whose files changed must not be used.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { requireBundled } from '../../src/validate/schema/module-bundle.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'validate-module-bundle-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

interface Model {
  prototype: { validate(this: unknown): void };
}
const errorsOf = (cls: Model, obj: unknown) => {
  try {
    cls.prototype.validate.call(obj);
    return [];
  } catch (err) {
    return ((err as { errors?: { instancePath: string; keyword: string }[] }).errors ?? []).map(
      (e) => `${e.instancePath} ${e.keyword}`,
    );
  }
};

const bad = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'x' },
  spec: {
    schedule: 5,
    jobTemplate: { spec: { template: { spec: { containers: [{ image: 'a:1' }] } } } },
  },
};

describe('kubernetes-models module bundle', () => {
  it('a kind loaded from the bundle validates like the package loaded with require', () => {
    const spec = 'kubernetes-models/batch/v1/CronJob';
    const viaRequire = requireBundled(spec, cacheDir).CronJob as Model;
    const files = readdirSync(cacheDir);
    expect(files.some((f) => f.endsWith('.js')) && files.some((f) => f.endsWith('.json'))).toBe(
      true,
    );
    const viaBundle = requireBundled(spec, cacheDir).CronJob as Model;
    expect(viaBundle).not.toBe(viaRequire); // really the bundle's own module instance
    expect(readdirSync(cacheDir).some((f) => f.endsWith('.v8'))).toBe(true);
    const expected = errorsOf(viaRequire, bad);
    expect(expected).toContain('/spec/schedule type');
    expect(expected).toContain('/spec/jobTemplate/spec/template/spec/containers/0 required');
    expect(errorsOf(viaBundle, bad)).toEqual(expected);
    expect(
      errorsOf(viaBundle, {
        ...bad,
        spec: {
          ...bad.spec,
          schedule: '* * * * *',
          jobTemplate: {
            spec: { template: { spec: { containers: [{ name: 'a', image: 'a:1' }] } } },
          },
        },
      }),
    ).toEqual([]);
  });

  it('ignores a bundle whose files no longer match (upgraded or patched package)', () => {
    const spec = 'kubernetes-models/batch/v1/CronJob';
    const manifestFile = readdirSync(cacheDir).find((f) => f.endsWith('.json'))!;
    const manifest = JSON.parse(readFileSync(join(cacheDir, manifestFile), 'utf8')) as {
      files: [string, number, number][];
    };
    manifest.files[0]![1] += 1;
    writeFileSync(join(cacheDir, manifestFile), JSON.stringify(manifest));
    // A stale bundle is not run: the package comes from require (Node's own, cached instance).
    const again = requireBundled(spec, cacheDir).CronJob as Model;
    expect(again).toBe(requireBundled(spec, false).CronJob);
    expect(errorsOf(again, bad)).toContain('/spec/schedule type');
  });
});

describe('kubernetes-models module bundle, resolution', () => {
  it('answers the requests of bundled modules itself: Node resolves next to nothing', async () => {
    const { default: Module } = await import('node:module');
    const spec = 'kubernetes-models/apps/v1/StatefulSet';
    requireBundled(spec, cacheDir); // builds the bundle (loaded by require)
    const M = Module as unknown as { _resolveFilename: (...args: unknown[]) => string };
    const original = M._resolveFilename;
    let resolved = 0;
    // Observation only: counts the resolutions Node does while the bundle loads.
    M._resolveFilename = function (...args: unknown[]) {
      resolved++;
      return original.apply(this, args);
    };
    let viaBundle: unknown;
    try {
      viaBundle = requireBundled(spec, cacheDir).StatefulSet;
    } finally {
      M._resolveFilename = original;
    }
    expect(viaBundle).not.toBe(requireBundled(spec, false).StatefulSet);
    const manifestFile = readdirSync(cacheDir).find(
      (f) => f.endsWith('.json') && readFileSync(join(cacheDir, f), 'utf8').includes('StatefulSet'),
    )!;
    const files = (
      JSON.parse(readFileSync(join(cacheDir, manifestFile), 'utf8')) as { files: unknown[] }
    ).files.length;
    expect(files).toBeGreaterThan(50);
    expect(resolved).toBeLessThan(files / 10);
  });
});
