#!/usr/bin/env node
/**
 * Installs an agent-canary tarball (`npm pack`) into a folder with exactly the dependency tree
 * this repository's package-lock.json pins: the image's build stage (Dockerfile) and the
 * installed-package tests use it, so both run the dependencies the test suite ran.
 *
 *   node scripts/install-package.mjs TARBALL DIR [npm ci options, e.g. --offline --ignore-scripts]
 *
 * Why not `npm install TARBALL`: that resolves every dependency anew (registry metadata, newest
 * matching versions). Here DIR gets a package.json naming the tarball and a lockfile holding the
 * repository's production entries, and `npm ci --omit=dev` installs from it (from the npm cache
 * when --offline). Native modules (better-sqlite3) build unless --ignore-scripts.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const [tarballArg, dirArg, ...npmArgs] = process.argv.slice(2);
if (!tarballArg || !dirArg) {
  console.error('usage: node scripts/install-package.mjs TARBALL DIR [npm ci options]');
  process.exit(2);
}
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const lock = JSON.parse(readFileSync(join(repoRoot, 'package-lock.json'), 'utf8'));
const root = lock.packages[''];
const dir = resolve(dirArg);
mkdirSync(dir, { recursive: true });
const tarball = 'agent-canary.tgz';
copyFileSync(resolve(tarballArg), join(dir, tarball));
const integrity = `sha512-${createHash('sha512')
  .update(readFileSync(join(dir, tarball)))
  .digest('base64')}`;

const spec = `file:${tarball}`;
const packages = {
  '': { name: 'agent-canary-install', dependencies: { 'agent-canary': spec } },
  'node_modules/agent-canary': {
    version: root.version,
    resolved: spec,
    integrity,
    license: root.license,
    dependencies: root.dependencies,
    bin: root.bin,
    engines: root.engines,
  },
};
// The repository's production entries sit where they sit in the repository: the package's
// dependencies hoist to the top of DIR/node_modules the same way.
for (const [path, entry] of Object.entries(lock.packages)) {
  if (path && !entry.dev && !entry.link && path.startsWith('node_modules/')) packages[path] = entry;
}
writeFileSync(
  join(dir, 'package.json'),
  `${JSON.stringify({ name: 'agent-canary-install', private: true, dependencies: { 'agent-canary': spec } }, null, 2)}\n`,
);
writeFileSync(
  join(dir, 'package-lock.json'),
  `${JSON.stringify({ name: 'agent-canary-install', lockfileVersion: 3, requires: true, packages }, null, 2)}\n`,
);

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const r = spawnSync(npm, ['ci', '--omit=dev', '--no-audit', '--no-fund', ...npmArgs], {
  cwd: dir,
  stdio: 'inherit',
});
process.exit(r.status ?? 1);
