/**
 * The identity of the generator that is running, for the incremental synthesis cache: the
 * package version, a content hash of the code that shapes the output (src/, constructs/,
 * imports/ as they run: the TypeScript sources under tsx, the compiled lib/ once installed) and
 * the versions of the cdk8s libraries it renders with.
 *
 * Why a code hash and not the version alone: in a clone, the code changes without a version
 * bump (a branch, a pull request, a local edit); a cache keyed by the version would then serve
 * the output of other code. Hashing ~2 MB of code costs a few milliseconds per run.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../package/root.js';

/** Libraries whose version changes the rendered bytes. */
const RENDERING_LIBRARIES = ['cdk8s', 'cdk8s-plus-33', 'constructs', 'yaml'] as const;
/**
 * The code synthesis runs: its own layer and the layers below it (docs/design.md, "Layers"; the
 * layer rules keep synthesis from importing anything else, so nothing else can change its bytes).
 */
const CODE_FOLDERS = [
  'constructs',
  'imports',
  'src/synth',
  'src/fleet',
  'src/policy',
  'src/config',
  'src/yaml',
  'src/names',
  'src/fs',
  'src/package',
  'src/redact',
  'src/errors',
  'src/http',
] as const;
const CODE = /\.(ts|js|mjs|json)$/;

function hashTree(hash: ReturnType<typeof createHash>, dir: string, rel: string): void {
  let entries;
  try {
    entries = readdirSync(join(dir, rel), { withFileTypes: true });
  } catch {
    return; // not part of this layout : nothing to hash
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) hashTree(hash, dir, r);
    else if (e.isFile() && CODE.test(e.name) && !e.name.endsWith('.d.ts')) {
      hash.update(`${r}\0`);
      hash.update(readFileSync(join(dir, r)));
      hash.update('\0');
    }
  }
}

function libraryVersion(name: string): string {
  try {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '?';
  } catch {
    return '?';
  }
}

let memo: string | undefined;

/** sha256 hex of everything above; computed once per process. */
export function toolId(): string {
  if (memo) return memo;
  const hash = createHash('sha256');
  hash.update(`agent-canary ${packageVersion()}\0`);
  for (const lib of RENDERING_LIBRARIES) hash.update(`${lib}@${libraryVersion(lib)}\0`);
  // This file is <root>/src/synth/tool-id.(ts|js); <root> is the project (tsx) or lib/ (compiled).
  const root = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
  for (const part of CODE_FOLDERS) {
    hash.update(`[${part}]\0`);
    hashTree(hash, join(root, part), '');
  }
  memo = hash.digest('hex');
  return memo;
}
