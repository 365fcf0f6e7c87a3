/**
 * The layers of docs/design.md, enforced: dependency-cruiser runs the rules of
 * .dependency-cruiser.mjs over the project (no violation allowed) and over small fixture trees
 * that break them (each must be caught, so the check cannot pass by checking nothing).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cruise, type ICruiseOptions, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';

const root = join(import.meta.dirname, '..', '..');

/** The project's rules and options, read the way the `depcruise` CLI reads them. */
async function projectOptions(): Promise<ICruiseOptions> {
  return extractDepcruiseOptions(join(root, '.dependency-cruiser.mjs'));
}

/** Cruises `entries` under `baseDir` with the project's rules; returns `rule: from -> to` lines. */
async function violations(baseDir: string, entries: string[]): Promise<string[]> {
  const options = await projectOptions();
  const tsConfig = extractTSConfig(join(baseDir, 'tsconfig.json'));
  const result = await cruise(
    entries,
    { ...options, baseDir, tsConfig: { fileName: join(baseDir, 'tsconfig.json') } },
    undefined,
    { tsConfig },
  );
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.from} -> ${v.to}`).sort();
}

const TSCONFIG = JSON.stringify({
  compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true },
});

/** Writes `files` (path -> source) into a fresh project folder. */
function fixture(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ac-layers-'));
  fixtures.push(dir);
  for (const [path, text] of Object.entries({ 'tsconfig.json': TSCONFIG, ...files })) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}
const fixtures: string[] = [];
afterAll(() => {
  for (const d of fixtures) rmSync(d, { recursive: true, force: true });
});

describe('the project', () => {
  it('keeps every layer rule: no upward import, no cycle between folders', async () => {
    expect(await violations(root, ['src', 'constructs', 'main.ts'])).toEqual([]);
  }, 120_000);

  it('hides no import in a string: every dynamic import names its module literally', () => {
    expect(hiddenImports(root, ['src', 'constructs', 'main.ts'])).toEqual([]);
  });
});

describe('the layer rules catch', () => {
  let fleetUp: string[];
  beforeAll(async () => {
    // One fixture with every kind of break, cruised once (a cruise costs seconds on a busy machine).
    const dir = fixture({
      'src/synth/synthesize.ts': 'export const synthesize = (): number => 1;\n',
      'src/fleet/types.ts': 'export interface FleetAgent { readonly id: string }\n',
      'src/fleet/load.ts':
        "import { synthesize } from '../synth/synthesize.js';\nexport const load = (): number => synthesize();\n",
      'src/policy/load.ts':
        "import type { FleetAgent } from '../fleet/types.js';\nexport const f = (a: FleetAgent): string => a.id;\n",
      'src/fleet/schema.ts': "import { f } from '../policy/load.js';\nexport const g = f;\n",
      'constructs/agent.ts':
        "import type { FleetAgent } from '../src/fleet/types.js';\nexport type A = FleetAgent;\n",
      'constructs/release.ts':
        "import { load } from '../src/fleet/load.js';\nexport const r = load;\n",
      'src/errors/located.ts': "import { f } from '../policy/load.js';\nexport const e = f;\n",
      'src/mlflow-standin/server.ts':
        "import { decide } from '../gate/decide.js';\nexport const s = decide;\n",
      'src/gate/decide.ts': 'export const decide = (): boolean => true;\n',
      'src/gate/server.ts': "import { decide } from './decide.js';\nexport const serve = decide;\n",
      'src/gate/engine.ts': "import { serve } from './server.js';\nexport const engine = serve;\n",
      'src/gate/command.ts': "import { serve } from './server.js';\nexport const run = serve;\n",
      'src/newpart/thing.ts':
        "import type { FleetAgent } from '../fleet/types.js';\nexport type T = FleetAgent;\n",
      'src/fleet/uses-new.ts':
        "import type { T } from '../newpart/thing.js';\nexport type U = T;\n",
    });
    fleetUp = await violations(dir, ['src', 'constructs']);
  }, 120_000);

  it('a lower layer importing a higher one (the model importing synthesis)', () => {
    expect(fleetUp).toContain('model-imports-upward: src/fleet/load.ts -> src/synth/synthesize.ts');
  });

  it('the policy model importing the fleet model, and the folder cycle it makes', () => {
    expect(fleetUp).toContain('model-policy-below-fleet: src/policy/load.ts -> src/fleet/types.ts');
    expect(fleetUp.some((v) => v.startsWith('no-folder-cycles: src/'))).toBe(true);
  });

  it('a construct using model code instead of only its types (a type-only import passes)', () => {
    expect(fleetUp).toContain(
      'constructs-use-model-types-only: constructs/release.ts -> src/fleet/load.ts',
    );
    expect(fleetUp.filter((v) => v.includes('constructs/agent.ts'))).toEqual([]);
  });

  it('the error model importing anything above it', () => {
    expect(fleetUp).toContain('errors-at-the-bottom: src/errors/located.ts -> src/policy/load.ts');
  });

  it('the MLflow stand-in importing the gate', () => {
    expect(fleetUp).toContain(
      'standin-imports-no-production-internals: src/mlflow-standin/server.ts -> src/gate/decide.ts',
    );
  });

  it('the decision engine importing a server; a server and a command importing down pass', () => {
    expect(fleetUp).toContain(
      'evaluation-imports-upward: src/gate/engine.ts -> src/gate/server.ts',
    );
    expect(fleetUp.filter((v) => v.startsWith('servers-') || v.includes('command.ts'))).toEqual([]);
  });

  it('a folder that belongs to no layer, importing or imported', () => {
    expect(fleetUp).toContain(
      'module-outside-the-layers-imports: src/newpart/thing.ts -> src/fleet/types.ts',
    );
    expect(fleetUp).toContain(
      'module-outside-the-layers: src/fleet/uses-new.ts -> src/newpart/thing.ts',
    );
  });
});

describe('the hidden-import check catches', () => {
  it('an import whose module is computed, and passes literal ones', () => {
    const dir = fixture({
      'src/gate/command.ts': [
        "const spec = '../gitops/api.js';",
        'export const a = () => import(spec);',
        "export const b = () => import('../gitops/api.js');",
        'export const c = () => import(`../${spec}`);',
        '',
      ].join('\n'),
    });
    expect(hiddenImports(dir, ['src'])).toEqual([
      'src/gate/command.ts:2: import(spec)',
      'src/gate/command.ts:4: import(`../${spec}`)',
    ]);
  });
});

/**
 * `import(x)` where x is not one plain string literal: an edge no tool can see. (A template
 * literal with no `${}` is a plain literal too.)
 */
function hiddenImports(base: string, entries: string[]): string[] {
  const out: string[] = [];
  const visit = (path: string): void => {
    const full = join(base, path);
    if (!/\.[cm]?[jt]s$/.test(path)) {
      let names: string[];
      try {
        names = readdirSync(full);
      } catch {
        return;
      }
      for (const n of names) visit(join(path, n));
      return;
    }
    readFileSync(full, 'utf8')
      .split('\n')
      .forEach((line, i) => {
        for (const m of line.matchAll(/\bimport\(\s*([^)]*)\)/g)) {
          const arg = (m[1] ?? '').trim();
          if (/^'[^']*'$|^"[^"]*"$|^`[^`$]*`$/.test(arg)) continue;
          out.push(`${relative(base, full)}:${i + 1}: ${m[0]}`);
        }
      });
  };
  for (const e of entries) visit(e);
  return out.sort();
}
