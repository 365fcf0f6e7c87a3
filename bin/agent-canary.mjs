#!/usr/bin/env node
// The installed `agent-canary` command: runs the TypeScript CLI through tsx's loader so that a
// clone works without a build step.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

register();
const here = dirname(fileURLToPath(import.meta.url));
const { main } = await import(join(here, '..', 'src', 'cli.ts'));
process.exitCode = await main(process.argv.slice(2));
