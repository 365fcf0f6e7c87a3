/**
 * Where the agent-canary package itself lies, for the data files it ships beside its code
 * (imports/crds/, schemas/, package.json).
 *
 * Why not a fixed `../..` from each file: the same module runs from `src/` under tsx (a clone, the
 * tests) and from `lib/src/` once compiled (the installed package), one folder deeper. The root is
 * the nearest folder above this file that holds a package.json (lib/ has none).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir)
      throw new Error(
        `agent-canary: no package.json above ${start}; the installation is incomplete`,
      );
  }
}

/** The package's root folder (holds package.json). */
export const PACKAGE_ROOT = findRoot(dirname(fileURLToPath(import.meta.url)));

/** A path inside the package, e.g. `packagePath('imports', 'crds')`. */
export function packagePath(...parts: string[]): string {
  return join(PACKAGE_ROOT, ...parts);
}

let manifest: { version: string; homepage?: string } | undefined;

function packageJson(): { version: string; homepage?: string } {
  manifest ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as {
    version: string;
    homepage?: string;
  };
  return manifest;
}

/** The package's version, from its package.json. */
export function packageVersion(): string {
  return packageJson().version;
}

/** Where the project documents itself (package.json `homepage`), e.g. for SARIF's informationUri. */
export function packageHomepage(): string {
  return packageJson().homepage ?? 'https://www.npmjs.com/package/agent-canary';
}
