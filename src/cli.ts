/**
 * The one CLI: `agent-canary synth | validate | canary ... | gate`.
 *
 * Each sub-command lives beside its part (`src/<part>/command.ts`) and exports
 * `run(argv: string[]): Promise<number>` returning the process exit code. This file only
 * dispatches, so parts never edit each other's code to add flags.
 */
import { pathToFileURL } from 'node:url';
import { AgentCanaryError } from './errors/error.js';
import { exitCodeOf } from './errors/kinds.js';
import { redactCredentials } from './redact/credentials.js';

interface Command {
  readonly summary: string;
  readonly load: (argv: readonly string[]) => Promise<{ run(argv: string[]): Promise<number> }>;
}

/** `synth --repo` writes into a GitOps repository: the GitOps part's command, loaded only then. */
const wantsRepo = (argv: readonly string[]): boolean =>
  argv.some((a) => a === '--repo' || a.startsWith('--repo='));

const commands: Record<string, Command> = {
  synth: {
    summary: 'synthesize fleet/ into dist/ (or into a GitOps repository with --repo)',
    load: (argv) =>
      wantsRepo(argv) ? import('./gitops/synth-to-repo.js') : import('./synth/command.js'),
  },
  validate: {
    summary: 'check manifests against schemas and rollout policies; --base REF for pull requests',
    load: () => import('./validate/command.js'),
  },
  canary: {
    summary: 'start | status | weight | promote | rollback <namespace>/<agent> as Git commits',
    load: () => import('./gitops/command.js'),
  },
  demo: {
    summary:
      'run the whole flow on the embedded defaults (local Git repository, local MLflow store)',
    load: () => import('./demo/command.js'),
  },
  gate: {
    summary:
      'serve the Flagger quality-gate webhook (and the canary API and fleet dashboard with --repo)',
    // The gate's command with the dashboard mounted (src/dashboard/command.ts).
    load: () => import('./dashboard/command.js'),
  },
};

export function usage(): string {
  const lines = ['usage: agent-canary <command> [options]', '', 'commands:'];
  for (const [name, c] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)} ${c.summary}`);
  lines.push(
    '',
    "run 'agent-canary <command> --help' for the options of one command; --version prints the version",
  );
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 2;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    // Read from package.json, so the installed package reports what npm installed.
    console.log((await import('./package/root.js')).packageVersion());
    return 0;
  }
  const command = commands[name];
  if (!command) {
    console.error(
      `agent-canary: unknown command '${name}'; allowed: ${Object.keys(commands).join(', ')}\n\n${usage()}`,
    );
    return 2;
  }
  const mod = await command.load(rest);
  return mod.run(rest);
}

/**
 * What the CLI prints for an error no command handled: one line `agent-canary: <kind>: <message>`
 * (a message's own line breaks joined with "; ", credentials redacted: a git failure's message may
 * hold a repository URL), and the kind's exit code from the one table (src/errors/kinds.ts); an
 * error of no kind is `internal`, exit 2. `AGENT_CANARY_DEBUG=1` adds the stack for a bug report.
 */
export function reportFatal(
  err: unknown,
  write: (line: string) => void = (line) => console.error(line),
  env: NodeJS.ProcessEnv = process.env,
): 1 | 2 {
  const kind = err instanceof AgentCanaryError ? err.kind : 'internal';
  const text = (err instanceof Error ? err.message : String(err)).trim() || '(no message)';
  write(`agent-canary: ${kind}: ${redactCredentials(text.split(/\s*\n\s*/).join('; '))}`);
  if (env['AGENT_CANARY_DEBUG'] && err instanceof Error && err.stack)
    write(redactCredentials(err.stack));
  return err instanceof AgentCanaryError ? err.exitCode : exitCodeOf('internal');
}

/** `main` with every error reported by `reportFatal`: never a stack trace, always an exit code. */
export async function runCli(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    return reportFatal(err);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  process.exitCode = await runCli(process.argv.slice(2));
}
