/**
 * `agent-canary synth`: fleet/ + policies/ -> dist/. Prints one summary line; exit 0 ok, 2 bad
 * input or usage. `synth --repo` (into a GitOps repository) is src/gitops/synth-to-repo.ts; the
 * CLI (src/cli.ts) picks it, so synthesis never imports the GitOps layer above it.
 */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { loadPolicies } from '../policy/load.js';
import { AgentCanaryError } from '../errors/error.js';
import { LocatedError } from '../errors/located.js';
import { summarize } from './output.js';
import { FleetErrors, synthesizeIncremental } from './incremental.js';
import { DEFAULT_CACHE_DIR } from '../package/cache-dir.js';
import { gateSecretFromEnv, gateTokenNote } from './gate-token.js';
import { loadClusterConfig } from '../config/load.js';
import { CONFIG_FILE, isPlaceholderRepoUrl } from '../config/defaults.js';
import type { ClusterConfig } from '../config/types.js';

/** Argo CD would sync from a repository nobody owns: say so on every synth until it is set. */
export function placeholderWarning(url: string, cluster: ClusterConfig): string {
  const where = cluster.file
    ? `${cluster.file}: spec.repository.url`
    : `no ${CONFIG_FILE}; the repository URL`;
  return `${where} is the placeholder ${url}; the Argo CD Applications in dist/argocd cannot sync from it. Fix: set spec.repository.url in ${CONFIG_FILE} to your GitOps repository (or pass --repo-url).`;
}

export const USAGE = `usage: agent-canary synth [--fleet DIR] [--policies DIR] [--out DIR] [--config FILE] [--repo-url URL] [--revision REV] [--dist-path PATH]
       agent-canary synth --repo PATH|URL ...   (write into a GitOps repository; see 'agent-canary synth --repo --help')

  --fleet DIR       fleet files, <namespace>/<agent>.yaml            (default: fleet)
  --policies DIR    rollout policies, <name>.yaml                    (default: policies)
  --out DIR         where the manifests go                           (default: dist)
  --config FILE     cluster settings (repository, Argo CD, Flagger, Prometheus, gate, Istio)
                                                                     (default: agent-canary.yaml if present)
  --repo-url URL    Git repository the Argo CD Applications read     (default: the config's repository.url)
  --revision REV    branch, tag or commit Argo CD syncs              (default: the config's repository.revision, main)
  --dist-path PATH  path of the output inside that repository        (default: the config's repository.path, dist)
  --full            synthesize every agent, ignoring (and rewriting) the incremental cache
  --cache-dir DIR   where the incremental cache lives               (default: $AGENT_CANARY_CACHE_DIR,
                    $XDG_CACHE_HOME/agent-canary or ~/.cache/agent-canary)
  --no-cache        neither read nor write the cache (every agent is synthesized)
  --quiet           no warnings, only the summary line`;

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        fleet: { type: 'string', default: 'fleet' },
        policies: { type: 'string', default: 'policies' },
        out: { type: 'string', default: 'dist' },
        config: { type: 'string' },
        'repo-url': { type: 'string' },
        revision: { type: 'string' },
        'dist-path': { type: 'string' },
        full: { type: 'boolean', default: false },
        'cache-dir': { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    console.error(`agent-canary synth: ${(e as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values['help']) {
    console.log(USAGE);
    return 0;
  }
  const fleetDir = resolve(String(values['fleet']));
  const policiesDir = resolve(String(values['policies']));
  const outDir = resolve(String(values['out']));
  for (const [flag, dir] of [
    ['--fleet', fleetDir],
    ['--policies', policiesDir],
  ] as const) {
    if (!existsSync(dir)) {
      console.error(
        `agent-canary synth: ${flag} ${dir} does not exist. Fix: run from the project root or pass ${flag} DIR.`,
      );
      return 2;
    }
  }

  try {
    const cluster = loadClusterConfig(process.cwd(), values['config'] as string | undefined);
    const policies = loadPolicies(policiesDir);
    const gateSecret = gateSecretFromEnv();
    const repoURL = (values['repo-url'] as string | undefined) ?? cluster.repository.url;
    let result;
    try {
      result = synthesizeIncremental(
        {
          fleetDir,
          outDir,
          cacheRoot: values['no-cache']
            ? undefined
            : resolve((values['cache-dir'] as string | undefined) ?? DEFAULT_CACHE_DIR),
          full: values['full'] === true,
          policies,
          cluster,
          gateSecret,
          repoURL: values['repo-url'] as string | undefined,
          targetRevision: values['revision'] as string | undefined,
          distPath: values['dist-path'] as string | undefined,
        },
        policies,
      );
    } catch (e) {
      if (!(e instanceof FleetErrors)) throw e;
      for (const err of e.errors) console.error(err.message);
      console.error(`agent-canary synth: ${e.errors.length} fleet error(s); nothing written`);
      return 2;
    }
    if (!values['quiet']) {
      for (const w of result.warnings) console.error(`warning: ${w}`);
      for (const r of result.rebuilt)
        console.error(`note: synth cache of ${r}; ignored, that namespace was synthesized again`);
      const note = gateTokenNote(gateSecret, policies);
      if (note) console.error(`note: ${note}`);
      if (isPlaceholderRepoUrl(repoURL))
        console.error(`warning: ${placeholderWarning(repoURL, cluster)}`);
    }
    console.log(
      `synth: ${result.agents} agents, ${result.objects} objects -> ${String(values['out'])}: ${summarize(result)} (synthesized ${result.synthesized}, reused ${result.reused})`,
    );
    return 0;
  } catch (e) {
    if (e instanceof LocatedError) {
      // The message starts with the file and line already.
      console.error(e.message);
      return e.exitCode;
    }
    if (e instanceof AgentCanaryError) {
      // Construct and synthesis errors name the agent, the prop and the allowed values: bad
      // input, not a crash.
      console.error(`agent-canary synth: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}
