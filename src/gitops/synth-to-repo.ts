/**
 * `agent-canary synth --repo PATH|URL`: synthesizes the project's fleet and writes it into a GitOps
 * repository as one commit (fleet/, policies/ and dist/ together), pushed when the repository has
 * a remote. The repository is self-contained afterwards: the canary operations, Argo CD and the
 * validator all read it without the project.
 *
 * - The project's `fleet/` and `policies/` are mirrored into the repository (files removed from
 *   the project are removed there), unless the repository *is* the project.
 * - `dist/` is written by the generator's writer: unchanged files are not rewritten, files of
 *   removed agents are deleted. Nothing changed: no commit.
 * - The project's cluster settings (`agent-canary.yaml`) are copied to the repository's root (and
 *   removed there when the project has none): the canary operations re-synthesize from the
 *   repository alone, and must use the settings `synth` used (gate image, namespaces, repository).
 * - `--repo=` (empty) targets the embedded default repository, `.agent-canary/gitops`.
 */
import { cp, mkdir, readdir, readFile, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AgentCanaryError } from '../errors/error.js';
import { LocatedError } from '../errors/located.js';
import { loadFleet } from '../fleet/load.js';
import { loadPolicies } from '../policy/load.js';
import { writeOutput } from '../synth/output.js';
import { synthesize } from '../synth/synthesize.js';
import { loadClusterConfig } from '../config/load.js';
import { CONFIG_FILE } from '../config/defaults.js';
import { GitOpsError } from './errors.js';
import { CANARY_EVENTS } from './events.js';
import { simpleGitFor, type Committed, type GitRepo } from './repo.js';
import { isRepoUrl, resolveRepo, DEFAULT_REPO_DIR } from './workspace.js';
import { gateSecretFromEnv } from '../synth/gate-token.js';

export const USAGE = `usage: agent-canary synth --repo PATH|URL [options]

Synthesizes the fleet and commits fleet/, policies/ and dist/ into a GitOps repository (pushed
when it has a remote). --repo= (empty) uses the embedded default repository ${DEFAULT_REPO_DIR}.

  --repo PATH|URL   GitOps repository: a working tree (created when missing) or a URL (cloned
                    into .agent-canary/clones/)
  --branch NAME     commit to NAME (for a pull request) instead of the checked-out branch
  --fleet DIR       the project's fleet files                       (default: fleet)
  --policies DIR    the project's rollout policies                  (default: policies)
  --repo-url URL    repository the Argo CD Applications read        (default: --repo when it is a URL,
                    else the repository's origin, else the generator's default)
  --revision REV    branch Argo CD syncs                            (default: --branch or the checked-out branch)
  --dist-path PATH  output folder inside the repository             (default: dist)
  --message TEXT    commit subject                                  (default: synth: N agents)
  --force           overwrite fleet files whose canary state the repository changed since
  --json            print the result as JSON`;

export interface SynthToRepoOptions {
  /** The project directory (fleet/, policies/). @default process.cwd() */
  readonly projectDir?: string;
  /** The project's fleet folder. @default '<projectDir>/fleet' */
  readonly fleetDir?: string;
  /** The project's policies folder. @default '<projectDir>/policies' */
  readonly policiesDir?: string;
  /** Output folder inside the repository. @default 'dist' */
  readonly distPath?: string;
  readonly branch?: string;
  readonly repoURL?: string;
  readonly targetRevision?: string;
  readonly message?: string;
  /** Overwrite fleet files whose canary state the repository changed since (see `guardCanaryState`). @default false */
  readonly force?: boolean;
}

export interface SynthToRepoResult {
  readonly agents: number;
  readonly objects: number;
  readonly written: number;
  readonly deleted: number;
}

async function sameDir(a: string, b: string): Promise<boolean> {
  const [ra, rb] = await Promise.all([
    realpath(a).catch(() => resolve(a)),
    realpath(b).catch(() => resolve(b)),
  ]);
  return ra === rb;
}

/** Replaces `to` with a copy of `from` (only when they differ in place). */
async function mirror(from: string, to: string): Promise<void> {
  if (await sameDir(from, to)) return;
  await rm(to, { recursive: true, force: true });
  await mkdir(to, { recursive: true });
  for (const e of await readdir(from)) {
    if (e === '.git') continue;
    await cp(join(from, e), join(to, e), { recursive: true });
  }
}

/**
 * Makes `to` hold what `from` holds (a missing `from` removes `to`); nothing when they are the
 * same file (the repository is the project).
 */
async function mirrorFile(from: string, to: string): Promise<void> {
  if (await sameDir(from, to)) return;
  const text = await readFile(from).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) await rm(to, { force: true });
  else await writeFile(to, text);
}

const exists = (path: string): Promise<boolean> =>
  stat(path).then(
    () => true,
    () => false,
  );

async function listFiles(dir: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, rel), { withFileTypes: true }).catch(() => [])) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(dir, r)));
    else if (e.isFile()) out.push(r);
  }
  return out;
}

/** Whether `text` was once committed as `path` in the repository's history. */
async function seenBefore(
  git: ReturnType<typeof simpleGitFor>,
  path: string,
  text: string,
): Promise<boolean> {
  const { createHash } = await import('node:crypto');
  const body = Buffer.from(text, 'utf8');
  // Git's blob id: sha1("blob <size>\0<content>"); repositories in SHA-256 mode simply never match.
  const oid = createHash('sha1').update(`blob ${body.length}\0`).update(body).digest('hex');
  const hits = (
    await git.raw(['log', '--format=%h', `--find-object=${oid}`, '--', path]).catch(() => '')
  ).trim();
  return hits !== '';
}

/**
 * Canary operations edit the repository's fleet files; a project whose fleet predates them would
 * silently undo them (a running canary dropped, a promotion reverted). So a fleet file that
 * differs between project and repository, whose last commit in the repository is a canary event
 * (start, weight, promote, rollback; not an earlier `synth --repo`),
 * and whose project text is an older version of it (or is missing), stops the synthesis unless
 * `force`.
 */
async function guardCanaryState(root: string, fleetDir: string): Promise<void> {
  const git = simpleGitFor(root);
  const repoFleet = join(root, 'fleet');
  const files = new Set([...(await listFiles(fleetDir)), ...(await listFiles(repoFleet))]);
  const clashes: string[] = [];
  for (const f of [...files].sort()) {
    const [a, b] = await Promise.all([
      readFile(join(fleetDir, f), 'utf8').catch(() => undefined),
      readFile(join(repoFleet, f), 'utf8').catch(() => undefined),
    ]);
    if (a === b || b === undefined) continue;
    const log = (
      await git
        .raw([
          'log',
          '-1',
          '--format=%h %(trailers:key=Agent-Canary-Event,valueonly,separator=%x2C)',
          '--',
          `fleet/${f}`,
        ])
        .catch(() => '')
    ).trim();
    const [sha, event] = log.split(/\s+/, 2);
    // Only the canary operations' own commits hold state the project lacks. A `Synthesized`
    // commit published the project's own text, so reverting that edit in the project is a
    // plain new edit, not stale state.
    if (!event || !CANARY_EVENTS.some((e) => event.split(',').includes(e))) continue;
    // Stale only if the project's text is an older version of the repository's file (or the file
    // is gone from the project); text the repository never had is a newer edit and wins.
    if (a === undefined || (await seenBefore(git, `fleet/${f}`, a)))
      clashes.push(`fleet/${f} (${event} in ${sha})`);
  }
  if (clashes.length > 0) {
    throw new GitOpsError(
      'conflict',
      `the repository's canary state would be overwritten by the project's older fleet files: ${clashes.join(', ')}. ` +
        'Fix: bring those changes into the project first (git pull, or copy the files from the repository), or pass --force to overwrite them.',
    );
  }
}

/** The origin URL of a repository, if it has one (for the Argo CD Applications). */
async function originUrl(repo: GitRepo): Promise<string | undefined> {
  if (!(await repo.hasRemote())) return undefined;
  return (await repo.git.raw(['remote', 'get-url', repo.remote])).trim() || undefined;
}

/** Synthesizes the project into `repo` and commits; see the file comment. */
export async function synthToRepo(
  repo: GitRepo,
  opts: SynthToRepoOptions = {},
): Promise<Committed<SynthToRepoResult>> {
  const projectDir = resolve(opts.projectDir ?? process.cwd());
  const fleetDir = resolve(projectDir, opts.fleetDir ?? 'fleet');
  const policiesDir = resolve(projectDir, opts.policiesDir ?? 'policies');
  const distPath = opts.distPath ?? 'dist';
  for (const [what, dir] of [
    ['fleet', fleetDir],
    ['policies', policiesDir],
  ] as const) {
    if (
      !(await stat(dir).then(
        (s) => s.isDirectory(),
        () => false,
      ))
    ) {
      throw new GitOpsError(
        'bad-request',
        `the project's ${what} folder ${dir} does not exist. Fix: run from the project root or pass --${what} DIR.`,
      );
    }
  }
  let agents;
  let policies;
  try {
    policies = loadPolicies(policiesDir);
    agents = loadFleet(fleetDir);
  } catch (err) {
    if (err instanceof LocatedError)
      throw new GitOpsError('bad-request', err.message, { field: err.field, value: err.value });
    throw err;
  }
  const revision =
    opts.targetRevision ?? opts.branch ?? (await repo.currentBranch().catch(() => 'main'));
  const repoURL = opts.repoURL ?? (await originUrl(repo));
  let manifests;
  try {
    manifests = synthesize(agents, {
      policies,
      cluster: loadClusterConfig(projectDir),
      repoURL,
      targetRevision: revision,
      distPath,
      gateSecret: gateSecretFromEnv(),
    });
  } catch (err) {
    // The generator's input errors (ConstructInputError, SynthesisError): the fleet is bad input.
    if (err instanceof AgentCanaryError && err.kind === 'bad-request')
      throw new GitOpsError('bad-request', err.message);
    throw err;
  }
  const count = agents.length;
  const projectConfig = join(projectDir, CONFIG_FILE);
  // Git refuses a pathspec that matches nothing, so the settings file is one of the committed
  // paths only when one side has it (a project and a repository without one: nothing to do).
  const withConfig = (await exists(projectConfig)) || (await exists(join(repo.dir, CONFIG_FILE)));
  return repo.transact(
    {
      paths: ['fleet', 'policies', distPath, ...(withConfig ? [CONFIG_FILE] : [])],
      branch: opts.branch,
    },
    async (root) => {
      if (!opts.force && !(await sameDir(fleetDir, join(root, 'fleet'))))
        await guardCanaryState(root, fleetDir);
      await mirror(fleetDir, join(root, 'fleet'));
      await mirror(policiesDir, join(root, 'policies'));
      if (withConfig) await mirrorFile(projectConfig, join(root, CONFIG_FILE));
      const w = writeOutput(join(root, distPath), manifests);
      const message =
        `${opts.message ?? `synth: ${count} agents, ${manifests.length} objects`}\n\n` +
        `Agent-Canary-Event: Synthesized\nAgent-Canary-Agents: ${count}\nAgent-Canary-Objects: ${manifests.length}\n`;
      return {
        result: {
          agents: count,
          objects: manifests.length,
          written: w.written.length,
          deleted: w.deleted.length,
        },
        message,
      };
    },
  );
}

/** Seeds a new embedded default repository from the project (used by `canary` on first use). */
export function seedFrom(projectDir: string): (repo: GitRepo) => Promise<void> {
  return async (repo) => {
    await synthToRepo(repo, {
      projectDir,
      message: `seed: agent-canary GitOps repository from ${projectDir}`,
    });
  };
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        branch: { type: 'string' },
        fleet: { type: 'string' },
        policies: { type: 'string' },
        'repo-url': { type: 'string' },
        revision: { type: 'string' },
        'dist-path': { type: 'string' },
        message: { type: 'string' },
        force: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        quiet: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    console.error(`agent-canary synth: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values['help']) {
    console.log(USAGE);
    return 0;
  }
  const projectDir = process.cwd();
  const spec = (values['repo'] as string | undefined) || undefined;
  try {
    const repo = await resolveRepo(spec, { projectDir, createPath: true });
    const r = await synthToRepo(repo, {
      projectDir,
      fleetDir: values['fleet'] as string | undefined,
      policiesDir: values['policies'] as string | undefined,
      distPath: values['dist-path'] as string | undefined,
      branch: values['branch'] as string | undefined,
      repoURL:
        (values['repo-url'] as string | undefined) ?? (spec && isRepoUrl(spec) ? spec : undefined),
      targetRevision: values['revision'] as string | undefined,
      message: values['message'] as string | undefined,
      force: values['force'] === true,
    });
    if (values['json']) {
      console.log(
        JSON.stringify(
          {
            repo: repo.dir,
            ...r.result,
            commit: r.commit ?? null,
            branch: r.branch,
            pushed: r.pushed,
          },
          null,
          2,
        ),
      );
    } else {
      const what = `${r.result.agents} agents, ${r.result.objects} objects (${r.result.written} written, ${r.result.deleted} deleted)`;
      const where = r.commit
        ? `commit ${r.commit.slice(0, 12)} on ${r.branch}${r.pushed ? ', pushed' : ''}`
        : 'no change, no commit';
      console.log(`synth: ${what} -> ${repo.dir}: ${where}`);
    }
    return 0;
  } catch (err) {
    if (err instanceof GitOpsError) {
      console.error(`agent-canary synth: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
