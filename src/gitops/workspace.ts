/**
 * Where the GitOps repository is, given what the user passed:
 * - nothing: the embedded default, `<project>/.agent-canary/gitops`, a local repository created on
 *   first use (built in a sibling folder and renamed into place when complete) and seeded with the project's `fleet/`, `policies/` and synthesized `dist/` (no
 *   remote: commits stay local until you add one with `git remote add origin ...`);
 * - a URL (`https://`, `ssh://`, `git://`, `file://`, `user@host:path`): a clone managed by
 *   agent-canary in `<project>/.agent-canary/clones/<name>-<hash>`, brought to the remote's head
 *   before use (it is a cache: never edit it by hand);
 * - a path: that working tree, used as it is (the checked-out branch, its remote if any).
 */
import { createHash } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { redactCredentials } from '../redact/credentials.js';
import { GitOpsError } from './errors.js';
import { networkGit } from './network.js';
import { GitRepo, type GitRepoOptions } from './repo.js';

/** The embedded default repository, relative to the project directory. */
export const DEFAULT_REPO_DIR = join('.agent-canary', 'gitops');
/** Managed clones of remote repositories, relative to the project directory. */
export const CLONES_DIR = join('.agent-canary', 'clones');

export function isRepoUrl(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^[\w.-]+@[\w.-]+:/.test(spec);
}

/** The folder of the managed clone of `url`: readable name plus a hash, so two URLs never share one. */
export function cloneDirFor(projectDir: string, url: string): string {
  // The readable part never holds a credential (`https://user:token@host` has no path segment).
  const name = (
    redactCredentials(url)
      .replace(/\.git\/?$/, '')
      .split(/[/:]/)
      .filter(Boolean)
      .pop() ?? 'repo'
  ).replace(/[^A-Za-z0-9._-]/g, '-');
  const hash = createHash('sha256').update(url).digest('hex').slice(0, 10);
  return join(projectDir, CLONES_DIR, `${name}-${hash}`);
}

/**
 * `.agent-canary/.gitignore` with `*`: the folder holds whole repositories, which the project's
 * own Git must not pick up (no edit of the project's .gitignore needed).
 */
async function ignoreStateDir(projectDir: string): Promise<void> {
  const dir = join(projectDir, '.agent-canary');
  await mkdir(dir, { recursive: true });
  const file = join(dir, '.gitignore');
  if (!(await exists(file)))
    await writeFile(
      file,
      '# agent-canary state: the embedded GitOps repository and managed clones\n*\n',
    );
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Clones `url` (or refreshes the clone) and returns the working tree at the remote's default branch. */
export async function openClone(
  projectDir: string,
  url: string,
  opts: GitRepoOptions = {},
): Promise<GitRepo> {
  const dir = cloneDirFor(projectDir, url);
  const remote = opts.remote ?? 'origin';
  if (!(await exists(join(dir, '.git')))) {
    await ignoreStateDir(projectDir);
    await mkdir(join(projectDir, CLONES_DIR), { recursive: true });
    // Cloned beside and renamed into place: a clone killed half-way is never mistaken for one.
    const partial = `${dir}.partial-${process.pid}-${Date.now()}`;
    try {
      await networkGit(['clone', '--no-tags', '--origin', remote, url, partial], {
        dir: projectDir,
        timeoutMs: opts.networkTimeoutMs,
        what: 'git clone',
        remote: url,
      });
      await rename(partial, dir);
    } catch (err) {
      await rm(partial, { recursive: true, force: true });
      if (err instanceof GitOpsError) throw err;
      throw new GitOpsError(
        'unavailable',
        `cannot clone ${url}: ${(err as Error).message.trim()}. Fix: check the URL and your credentials.`,
      );
    }
  }
  const repo = await GitRepo.open(dir, opts);
  const git = repo.git;
  try {
    // Under the repository's lease: another process may be in the middle of an operation here.
    await repo.exclusive(async () => {
      await networkGit(['fetch', '--no-tags', '--prune', remote], {
        dir,
        timeoutMs: opts.networkTimeoutMs,
        what: `git fetch ${remote}`,
        remote: url,
      });
      const head = await repo.head();
      if (head) {
        // The clone is ours: bring it to the remote head, dropping anything a crash left behind
        // (in a managed clone, only what reached the remote counts as committed).
        const upstream = (
          await git
            .raw(['rev-parse', '--abbrev-ref', '--symbolic-full-name', '@{upstream}'])
            .catch(() => '')
        ).trim();
        if (upstream) await git.raw(['reset', '--hard', upstream]);
        await git.raw(['clean', '-f', '-d']);
      }
    });
  } catch (err) {
    if (err instanceof GitOpsError) throw err;
    throw new GitOpsError(
      'unavailable',
      `cannot refresh the clone of ${url} in ${dir}: ${(err as Error).message.trim()}. Fix: check the remote, or delete ${dir} to clone again.`,
    );
  }
  return repo;
}

export interface ResolveRepoOptions extends GitRepoOptions {
  /** The project directory (holds fleet/, policies/, .agent-canary/). @default process.cwd() */
  readonly projectDir?: string;
  /** Seeds a new embedded default repository (fleet, policies, synthesized dist). */
  readonly seed?: (repo: GitRepo) => Promise<void>;
  /** Create a repository at a local path that is not one yet (synth --repo PATH). @default false */
  readonly createPath?: boolean;
}

/** Opens the repository named by `spec` (see the file comment), creating the embedded default. */
export async function resolveRepo(
  spec: string | undefined,
  opts: ResolveRepoOptions = {},
): Promise<GitRepo> {
  const projectDir = resolve(opts.projectDir ?? process.cwd());
  if (spec !== undefined && spec !== '' && isRepoUrl(spec))
    return openClone(projectDir, spec, opts);
  if (spec !== undefined && spec !== '') {
    const dir = resolve(projectDir, spec);
    if (opts.createPath && !(await exists(join(dir, '.git')))) {
      const inside = await GitRepo.open(dir, opts).catch(() => undefined);
      if (inside) return inside;
      return GitRepo.init(dir, opts);
    }
    return GitRepo.open(dir, opts);
  }
  const dir = join(projectDir, DEFAULT_REPO_DIR);
  if (await exists(join(dir, '.git'))) {
    const repo = await GitRepo.open(dir, opts);
    // Seeding ends with the first commit: without one, seeding was interrupted (killed); start over.
    if ((await repo.head()) !== undefined || !opts.seed) return repo;
    await rm(dir, { recursive: true, force: true });
  }
  await ignoreStateDir(projectDir);
  // Built beside and renamed into place once seeded: a seeding that fails or is killed never
  // leaves a half-made repository where the next run would pick it up.
  const building = `${dir}.partial-${process.pid}-${Date.now()}`;
  try {
    const repo = await GitRepo.init(building, opts);
    if (opts.seed) await opts.seed(repo);
    await rename(building, dir).catch(async (err: unknown) => {
      // Another process seeded it first: use theirs.
      if (!(await exists(join(dir, '.git')))) throw err;
    });
  } finally {
    await rm(building, { recursive: true, force: true });
  }
  return GitRepo.open(dir, opts);
}
