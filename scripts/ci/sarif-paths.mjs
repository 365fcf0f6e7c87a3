#!/usr/bin/env node
/**
 * Makes the file locations of a SARIF log relative to the repository root, as code scanning
 * expects: `agent-canary validate` names files relative to the folder it ran in, which is a
 * subfolder when the project is not at the top of the repository.
 *
 *   node scripts/ci/sarif-paths.mjs FILE.sarif PREFIX     # PREFIX: the project folder from the repo root
 *
 * Absolute paths under the repository (GITHUB_WORKSPACE / CI_PROJECT_DIR / the current folder's
 * git top) become relative; relative ones get PREFIX in front. The file is rewritten in place.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { posix } from 'node:path';
import { pathToFileURL } from 'node:url';

export function rebase(log, prefix, repoRoot) {
  const pre = prefix
    .replace(/\\/g, '/')
    .replace(/^\.\/?/, '')
    .replace(/\/$/, '');
  const root = repoRoot ? repoRoot.replace(/\\/g, '/').replace(/\/$/, '') : undefined;
  for (const run of log.runs ?? []) {
    for (const result of run.results ?? []) {
      for (const loc of result.locations ?? []) {
        const art = loc.physicalLocation?.artifactLocation;
        if (!art || typeof art.uri !== 'string') continue;
        let uri = art.uri.replace(/\\/g, '/').replace(/^file:\/\//, '');
        if (uri.startsWith('/'))
          uri = root && uri.startsWith(`${root}/`) ? uri.slice(root.length + 1) : uri;
        else uri = posix.normalize(pre ? `${pre}/${uri}` : uri);
        art.uri = uri;
        delete art.uriBaseId;
      }
    }
  }
  return log;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [file, prefix = '.'] = process.argv.slice(2);
  if (!file) {
    console.error('usage: sarif-paths.mjs FILE.sarif [PREFIX]');
    process.exit(2);
  }
  const root = process.env.GITHUB_WORKSPACE ?? process.env.CI_PROJECT_DIR;
  writeFileSync(
    file,
    `${JSON.stringify(rebase(JSON.parse(readFileSync(file, 'utf8')), prefix, root), null, 2)}\n`,
  );
}
