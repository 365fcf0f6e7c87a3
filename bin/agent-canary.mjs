#!/usr/bin/env node
// The installed `agent-canary` command: runs the compiled CLI (lib/, built by `npm run build` and
// shipped in the package). In a clone without a build, `npx tsx src/cli.ts` runs the sources.
import { main } from '../lib/src/cli.js';

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (err) {
  console.error(`agent-canary: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 2;
}
