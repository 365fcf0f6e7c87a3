/**
 * How tests start the CLI as a separate process: the TypeScript sources through tsx, so a test
 * checks the code it sits beside without a build. The compiled `bin/agent-canary.mjs` (lib/) is
 * tested from an installed tarball in test/package/.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export const REPO_ROOT = join(import.meta.dirname, '..');

// tsx's loader by its absolute URL: `--import tsx` would resolve from the child's working folder.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** Arguments for `spawn(process.execPath, [...CLI_ARGS, 'synth', ...])`. */
export const CLI_ARGS: readonly string[] = [
  '--import',
  TSX_LOADER,
  join(REPO_ROOT, 'src', 'cli.ts'),
];
