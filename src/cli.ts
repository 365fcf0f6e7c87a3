/**
 * The one CLI: `agent-canary synth | validate | canary ... | gate`.
 *
 * Each sub-command lives beside its part (`src/<part>/command.ts`) and exports
 * `run(argv: string[]): Promise<number>` returning the process exit code. This file only
 * dispatches, so parts never edit each other's code to add flags.
 */
import { pathToFileURL } from 'node:url';
import { AgentCanaryError } from './errors/error.js';
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

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      // A git failure's message may hold a repository URL: never print its credentials.
      console.error(
        `agent-canary: ${redactCredentials(err instanceof Error ? err.message : String(err))}`,
      );
      // A known error exits with its kind's code (src/errors/kinds.ts); anything else is 2.
      process.exitCode = err instanceof AgentCanaryError ? err.exitCode : 2;
    },
  );
}
