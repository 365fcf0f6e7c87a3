/**
 * Which repository a `canary` command uses when it is not told (`--repo`), and how messages name
 * it. A project that is itself a Git work tree holding fleet/ is its own GitOps repository: the
 * commands commit there (the top of the work tree), as a user editing fleet/ by hand would. Only
 * a project that is not one gets the embedded repository `.agent-canary/gitops`, and its
 * creation is announced, so no commit lands somewhere the user did not expect.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { promisify } from 'node:util';
import { redactCredentials } from '../redact/credentials.js';
import { DEFAULT_REPO_DIR, isRepoUrl } from './workspace.js';

const run = promisify(execFile);

export interface RepoChoice {
  /** What to pass to resolveRepo: a path, a URL, or undefined for the embedded default. */
  readonly spec: string | undefined;
  /** Why this one, for the user (printed before the first commit of a new embedded repository). */
  readonly announce?: string;
}

/** The top of the Git work tree holding `dir`, when that work tree has a fleet/ folder. */
export async function gitOpsWorkTree(dir: string): Promise<string | undefined> {
  try {
    const { stdout } = await run('git', ['rev-parse', '--show-toplevel'], { cwd: dir });
    const top = stdout.trim();
    return top !== '' && existsSync(join(top, 'fleet')) ? top : undefined;
  } catch {
    return undefined; // not a work tree (or no git): the embedded default
  }
}

/** The repository for `explicit` (--repo) in `projectDir`. */
export async function chooseRepo(
  explicit: string | undefined,
  projectDir: string,
): Promise<RepoChoice> {
  if (explicit) return { spec: explicit };
  const top = await gitOpsWorkTree(projectDir);
  if (top !== undefined) return { spec: top };
  if (existsSync(join(projectDir, DEFAULT_REPO_DIR, '.git'))) return { spec: undefined };
  return {
    spec: undefined,
    announce: `creating the embedded GitOps repository ${DEFAULT_REPO_DIR} (seeded from fleet/ and policies/; ${projectDir} is not a Git work tree with fleet/). Pass --repo PATH|URL to use another repository.`,
  };
}

/** How messages name a repository: its URL (credentials removed), or its path from `cwd`. */
export function repoLabel(spec: string | undefined, dir: string, cwd: string): string {
  if (spec !== undefined && isRepoUrl(spec)) return redactCredentials(spec);
  const rel = relative(cwd, dir);
  if (rel === '') return '. (this work tree)';
  return rel.startsWith('..') || isAbsolute(rel) ? dir : rel;
}
