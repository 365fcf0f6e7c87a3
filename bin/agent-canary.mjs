#!/usr/bin/env node
// The installed `agent-canary` command: runs the compiled CLI (lib/, built by `npm run build` and
// shipped in the package). In a clone without a build, `npx tsx src/cli.ts` runs the sources.
// Every failure is one line and an exit code (docs/design.md, "Exit codes"), never a stack trace:
// `runCli` reports what a command throws; a CLI that cannot even load is an incomplete install.
import nodeModule from 'node:module';

// Node 22.1+ keeps V8's compiled code of every module it loads (the CLI loads about 400) on disk
// between runs (`$NODE_COMPILE_CACHE`, else the OS temp folder); Node 20 has no such function and
// compiles as before. A cache that cannot be written is ignored by Node itself.
nodeModule.enableCompileCache?.();
let cli;
try {
  cli = await import('../lib/src/cli.js');
} catch (err) {
  const why = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  console.error(
    `agent-canary: internal: cannot load the compiled CLI (${why}). Fix: reinstall the package; in a clone, run 'npm run build' or use 'npx tsx src/cli.ts'.`,
  );
  process.exitCode = 2;
}
if (cli) process.exitCode = await cli.runCli(process.argv.slice(2));
