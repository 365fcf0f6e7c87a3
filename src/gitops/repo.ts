/**
 * The Git layer: one GitOps repository, a working tree we commit in, and its remote.
 *
 * Every change goes through `transact`, which gives the guarantees the operations promise:
 * - serialized: one transaction at a time per repository (in-process queue + the lease
 *   `.git/agent-canary.lease`, lock.ts);
 * - recoverable: a transaction killed part-way (kill -9, a crashed server, a lost container) is
 *   undone by the next one before it starts (journal.ts), so no human has to clean up;
 * - atomic: the touched paths must be clean before, and on any failure (the operation throws,
 *   validation refuses, commit or push fails) the branch and those paths are put back exactly as
 *   they were; other files in the working tree are never touched, other staged changes are never
 *   committed (commits name their paths);
 * - pushed: with a remote, the commit is pushed; a rejected push (someone else pushed first) is
 *   resolved by fetching, fast-forwarding and re-applying the operation on the new head;
 * - branch mode: with `branch`, the commit lands on that branch (for a pull request) through a
 *   temporary worktree, so the checked-out branch and working tree stay as they are.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, realpath, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { GitError, simpleGit, type SimpleGit } from 'simple-git';
import { GitOpsError } from './errors.js';
import { clearJournal, recover, writeJournal } from './journal.js';
import { LockTimeoutError, lockStaleMsFromEnv, withRepoLock, type Lease } from './lock.js';
import { networkGit } from './network.js';

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

export interface GitRepoOptions {
  /** Author and committer of the commits. @default agent-canary <agent-canary@localhost> */
  readonly identity?: GitIdentity;
  /** Remote pushed to (when it exists). @default 'origin' */
  readonly remote?: string;
  /** Push attempts before giving up (each rejection fetches and re-applies). @default 5 */
  readonly pushAttempts?: number;
  /** Wait for another process's lock at most this long. @default 30_000 ms */
  readonly lockTimeoutMs?: number;
  /** A lease not refreshed for this long belongs to a stopped holder and is taken over. @default 20_000 ms */
  readonly lockStaleMs?: number;
  /**
   * A fetch or push that prints nothing for this long is stopped and fails.
   * @default AGENT_CANARY_GIT_TIMEOUT_MS, else 30_000 ms
   */
  readonly networkTimeoutMs?: number;
}

/** What a transaction body returns: a commit message, or none when there is nothing to commit. */
export interface Change<T> {
  readonly result: T;
  /** Commit message (subject, body, trailers). Absent: no commit (the operation was a no-op). */
  readonly message?: string;
  /**
   * Every file (relative to the work tree, inside the transaction's paths) the body may have
   * written, created or deleted, when it knows them all: only these are staged (`git
   * update-index`) instead of a scan of the paths (`git add -A`, which refreshes and searches
   * them for untracked files). A listed file that did not change costs nothing. Unlike `add`,
   * `update-index` does not consult `.gitignore`. @default the paths are scanned
   */
  readonly touched?: readonly string[];
}

export interface TransactOptions {
  /** Paths (relative to the repository root) the body may change; only they are committed. */
  readonly paths: readonly string[];
  /** Commit onto this branch instead of the checked-out one (pull-request mode). */
  readonly branch?: string;
  /** Scratch files (relative) the body may leave behind if killed; removed by crash recovery. */
  readonly scratch?: readonly string[];
  /**
   * Commit even when the paths hold no change (an empty commit that only carries its message:
   * the autopilot's record of a failed check). @default false
   */
  readonly allowEmpty?: boolean;
  /**
   * The commit's author date (ms since the epoch): the autopilot stamps its commits with its own
   * clock, from which it measures holds. @default now
   */
  readonly date?: number;
}

export interface Committed<T> {
  readonly result: T;
  /** The new commit, or undefined when nothing changed. */
  readonly commit?: string;
  /** The branch committed to. */
  readonly branch: string;
  /** Whether the commit was pushed to the remote. */
  readonly pushed: boolean;
  /** Push attempts used (1 when the first push went through; 0 without a push). */
  readonly attempts: number;
}

/** A failure whose rollback failed too: the journal stays, so the next transaction retries it. */
class RollbackFailed extends GitOpsError {}

const DEFAULT_IDENTITY: GitIdentity = { name: 'agent-canary', email: 'agent-canary@localhost' };

/** Messages of git (and of hooks that stand for it) meaning "the remote moved, fetch and retry". */
const REJECTED =
  /\[rejected\]|non-fast-forward|fetch first|failed to update ref|cannot lock ref|stale info|\(remote rejected\).*(lock|update)|Updates were rejected/i;

function gitMessage(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).trim();
}

function pathspecArgs(paths: readonly string[]): string[] {
  return ['--', ...paths];
}

/** Whether the repository path `file` is one of `paths` or inside one of them. */
function within(file: string, paths: readonly string[]): boolean {
  return paths.some((p) => file === p || file.startsWith(`${p.replace(/\/$/, '')}/`));
}

/** `git <args>` in `dir`: its stdout, or a `git` error with its stderr. */
function runGit(dir: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(env ? { env: { ...process.env, ...env } } : {}),
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.stderr.on('data', (d: Buffer) => err.push(d));
    child.on('error', (e) => reject(new GitOpsError('git', `git ${args.join(' ')}: ${e.message}`)));
    child.on('close', (code) => {
      if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
      const why = Buffer.concat(err).toString('utf8').trim() || `exit ${code}`;
      reject(
        new GitOpsError(
          'git',
          `git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? ''} failed in ${dir}: ${why}`,
        ),
      );
    });
  });
}

export function simpleGitFor(dir: string, identity: GitIdentity = DEFAULT_IDENTITY): SimpleGit {
  return simpleGit({
    baseDir: dir,
    config: [`user.name=${identity.name}`, `user.email=${identity.email}`],
    // The operations pass their own argv (never user input as options); let git see `-c` configs.
    unsafe: { allowUnsafeCustomBinary: false },
  });
}

export class GitRepo {
  readonly dir: string;
  readonly gitDir: string;
  readonly git: SimpleGit;
  private readonly opts: GitRepoOptions;
  private readonly identity: GitIdentity;

  private constructor(dir: string, gitDir: string, opts: GitRepoOptions) {
    this.dir = dir;
    this.gitDir = gitDir;
    this.opts = opts;
    this.identity = opts.identity ?? DEFAULT_IDENTITY;
    this.git = simpleGitFor(dir, this.identity);
  }

  /** Opens the working tree at `dir` (its top level). Throws `unavailable` when it is not one. */
  static async open(dir: string, opts: GitRepoOptions = {}): Promise<GitRepo> {
    const abs = resolve(dir);
    const exists = await stat(abs).then(
      (s) => s.isDirectory(),
      () => false,
    );
    if (!exists)
      throw new GitOpsError(
        'unavailable',
        `GitOps repository ${abs} does not exist. Fix: pass --repo with a Git working tree or a URL.`,
      );
    const git = simpleGitFor(abs);
    let top: string;
    let gitDir: string;
    try {
      top = (await git.raw(['rev-parse', '--show-toplevel'])).trim();
      gitDir = (await git.raw(['rev-parse', '--absolute-git-dir'])).trim();
    } catch (err) {
      throw new GitOpsError(
        'unavailable',
        `${abs} is not a Git working tree (${gitMessage(err)}). Fix: run 'git init' there or pass --repo with a repository.`,
      );
    }
    return new GitRepo(await realpath(top), gitDir, opts);
  }

  /** Initializes a repository on branch `main` at `dir` (created when missing) and opens it. */
  static async init(dir: string, opts: GitRepoOptions = {}): Promise<GitRepo> {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir, { recursive: true });
    await simpleGitFor(dir).raw(['init', '-b', 'main', dir]);
    // A fleet of 1,000 agents is ~10,000 files: git's settings for many files (index v4, untracked
    // cache) make every status/add/commit of the operations cheaper.
    await simpleGitFor(dir).raw(['config', 'feature.manyFiles', 'true']);
    return GitRepo.open(dir, opts);
  }

  get remote(): string {
    return this.opts.remote ?? 'origin';
  }

  /*
   * Hot-path reads (HEAD, the branch, the remotes) come from the files under .git instead of a
   * git process each: a weight change is a handful of git commands, and every spawn costs
   * 8-15 ms here. Anything unusual (packed or symbolic refs, includes) falls back to git.
   */

  async hasRemote(): Promise<boolean> {
    const config = await readFile(join(this.gitDir, 'config'), 'utf8').catch(() => undefined);
    if (config !== undefined && !/^\s*\[include/im.test(config)) {
      return config.includes(`[remote "${this.remote}"]`);
    }
    // `config --list` always prints (core.*), unlike `git remote` on a repository without remotes,
    // which would cost simple-git's 50 ms wait for silent commands.
    const names = (await this.git.raw(['config', '--list', '--name-only'])).split('\n');
    return names.includes(`remote.${this.remote}.url`);
  }

  private async headRef(): Promise<string | undefined> {
    const text = await readFile(join(this.gitDir, 'HEAD'), 'utf8').catch(() => undefined);
    const m = text === undefined ? null : /^ref: (refs\/heads\/\S+)\s*$/.exec(text);
    return m ? m[1] : undefined;
  }

  /** The checked-out branch; `conflict` on a detached HEAD (there is nowhere to commit to). */
  async currentBranch(git: SimpleGit = this.git): Promise<string> {
    if (git === this.git) {
      const ref = await this.headRef();
      if (ref) return ref.slice('refs/heads/'.length);
    }
    try {
      return (await git.raw(['symbolic-ref', '--short', 'HEAD'])).trim();
    } catch {
      throw new GitOpsError(
        'conflict',
        `${this.dir}: HEAD is detached. Fix: check out a branch (git switch main) or pass --branch.`,
      );
    }
  }

  /** The commit HEAD points at, or undefined on an unborn branch. */
  async head(git: SimpleGit = this.git): Promise<string | undefined> {
    if (git === this.git) {
      const ref = await this.headRef();
      if (ref) {
        const loose = await readFile(join(this.gitDir, ref), 'utf8').catch(() => undefined);
        if (loose !== undefined && /^[0-9a-f]{40,64}\s*$/.test(loose)) return loose.trim();
      }
    }
    try {
      return (await git.raw(['rev-parse', '--verify', '-q', 'HEAD^{commit}'])).trim() || undefined;
    } catch {
      return undefined;
    }
  }

  private async revParse(ref: string, git: SimpleGit = this.git): Promise<string | undefined> {
    try {
      return (
        (await git.raw(['rev-parse', '--verify', '-q', `${ref}^{commit}`])).trim() || undefined
      );
    } catch {
      return undefined;
    }
  }

  /** Paths under `paths` that differ from HEAD or are untracked (`git status --porcelain`). */
  async changedPaths(paths: readonly string[], git: SimpleGit = this.git): Promise<string[]> {
    // `-b` always prints the branch line, which spares simple-git's 50 ms wait on empty output.
    // `--no-optional-locks`: a status refreshes the index's stat data and writes the whole index
    // back (11 MB at 10,000 agents) for a check that needs only to read it.
    const out = await git.raw([
      '--no-optional-locks',
      'status',
      '--porcelain',
      '-b',
      '--untracked-files=all',
      ...pathspecArgs(paths),
    ]);
    return out
      .split('\n')
      .filter((l) => l.length > 3 && !l.startsWith('##'))
      .map((l) => l.slice(3));
  }

  /**
   * Commits exactly `paths` (other staged changes stay staged, uncommitted). Returns false when
   * the paths hold no change (`add -v` printed nothing), without committing.
   */
  private async commitPaths(
    git: SimpleGit,
    workdir: string,
    paths: readonly string[],
    message: string,
    allowEmpty = false,
    date?: number,
    touched?: readonly string[],
  ): Promise<boolean> {
    const dateArgs = date === undefined ? [] : [`--date=@${Math.floor(date / 1000)} +0000`];
    const parent = await this.head(git);
    if (parent !== undefined && touched?.every((f) => within(f, paths))) {
      // The body named its files: stage exactly those, and let the tree comparison say whether
      // anything changed.
      if (touched.length > 0)
        await this.plumbing(workdir, ['update-index', '--add', '--remove', '--', ...touched]);
      const made = await this.commitIndex(workdir, parent, paths, message, allowEmpty, date);
      if (made === 'unchanged' || (made !== 'committed' && made.ours === 0 && !allowEmpty))
        return false;
      if (made === 'committed') return true;
      return this.commitWithGit(git, paths, message, dateArgs, made.ours === 0);
    }
    const added = await git.raw(['add', '-A', '-v', ...pathspecArgs(paths)]);
    if (added.trim() === '' && (await this.changedPaths(paths, git)).length === 0) {
      if (!allowEmpty) return false;
      return this.commitWithGit(git, paths, message, dateArgs, true);
    }
    if (parent !== undefined) {
      const made = await this.commitIndex(workdir, parent, paths, message, allowEmpty, date);
      if (made === 'unchanged') return false;
      if (made === 'committed') return true;
    }
    return this.commitWithGit(git, paths, message, dateArgs, false);
  }

  /**
   * `git commit` of what is staged under `paths`: for the first commit of a branch, or when
   * someone else has staged other files (then the commit names the paths: `commit -- paths`
   * builds a temporary index, 2-3x slower, and leaves their files staged). `empty`: an empty
   * commit that leaves out whatever else is staged.
   */
  private async commitWithGit(
    git: SimpleGit,
    paths: readonly string[],
    message: string,
    dateArgs: readonly string[],
    empty: boolean,
  ): Promise<boolean> {
    if (empty) {
      // `--only` with no path: an empty commit that leaves out whatever else is staged.
      await git.raw([
        'commit',
        '--no-verify',
        '--allow-empty',
        '--only',
        ...dateArgs,
        '-m',
        message,
      ]);
      return true;
    }
    const staged = (await git.raw(['diff', '--cached', '--name-only', '--no-renames']))
      .split('\n')
      .filter(Boolean);
    const onlyOurs = staged.every((f) => within(f, paths));
    // Not `-q`: simple-git waits 50 ms after a command that prints nothing.
    await git.raw([
      'commit',
      '--no-verify',
      ...dateArgs,
      '-m',
      message,
      ...(onlyOurs ? [] : pathspecArgs(paths)),
    ]);
    return true;
  }

  /**
   * Commits the index as it is, with Git's plumbing, when it differs from `parent` only under
   * `paths`: `write-tree` (only the folders whose cached tree the edit invalidated are hashed
   * again), `diff-tree` of that tree against the parent's (which files it changes: a tree
   * comparison that skips every unchanged folder, instead of `diff --cached`, which reads the
   * whole index again), `commit-tree`, and `update-ref` of HEAD checked against `parent` (so a
   * concurrent commit fails the update instead of being lost). `unchanged`: the tree is the
   * parent's and no empty commit was asked for; `others-staged` (with how many of the changed
   * files are ours) when the tree holds changes of someone else's: nothing is committed and the
   * caller uses `git commit`.
   *
   * Why not `git commit`: it refreshes the whole index first, one lstat per tracked file; at
   * 10,000 agents (100,000 files) that was most of a weight change's Git time, for files this
   * operation knows it did not touch (measured: docs/gitops.md, "Performance"). A dated commit
   * (the autopilot's clock) gets its date through the environment, as `git commit --date` would.
   */
  private async commitIndex(
    workdir: string,
    parent: string,
    paths: readonly string[],
    message: string,
    allowEmpty: boolean,
    date?: number,
  ): Promise<'committed' | 'unchanged' | { readonly ours: number }> {
    const tree = (await this.plumbing(workdir, ['write-tree'])).trim();
    const changed = (
      await this.plumbing(workdir, [
        'diff-tree',
        '-r',
        '-z',
        '--name-only',
        '--no-renames',
        parent,
        tree,
      ])
    )
      .split('\0')
      .filter(Boolean);
    const ours = changed.filter((f) => within(f, paths)).length;
    if (ours < changed.length) return { ours };
    if (changed.length === 0 && !allowEmpty) return 'unchanged';
    const env =
      date === undefined ? undefined : { GIT_AUTHOR_DATE: `@${Math.floor(date / 1000)} +0000` };
    const commit = (
      await this.plumbing(workdir, ['commit-tree', tree, '-p', parent, '-m', message], env)
    ).trim();
    const subject = message.split('\n', 1)[0] ?? '';
    await this.plumbing(workdir, [
      'update-ref',
      '-m',
      `commit: ${subject}`,
      'HEAD',
      commit,
      parent,
    ]);
    return 'committed';
  }

  /**
   * A plumbing command in `dir`, resolved with its output when it exits. Not through simple-git,
   * which waits 50 ms after a command that prints nothing (`update-ref`); the output is streamed
   * in, never cut at a buffer size.
   */
  private plumbing(dir: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<string> {
    return runGit(
      dir,
      ['-c', `user.name=${this.identity.name}`, '-c', `user.email=${this.identity.email}`, ...args],
      env,
    );
  }

  /**
   * Puts `paths` and the branch back to `base`. The paths were clean at the start, so their state
   * in `base` is exactly what the working tree held.
   */
  private async rollback(
    git: SimpleGit,
    base: string | undefined,
    paths: readonly string[],
    branchRef?: { ref: string; old: string | undefined },
  ): Promise<void> {
    if (base && (await this.head(git)) !== base) await git.raw(['reset', '--soft', base]);
    if (branchRef) {
      if (branchRef.old) await git.raw(['update-ref', branchRef.ref, branchRef.old]);
      else await git.raw(['update-ref', '-d', branchRef.ref]).catch(() => undefined);
    }
    for (const p of paths) {
      // `restore` refuses a pathspec that matches nothing anywhere (a file the operation created).
      if (base)
        await git
          .raw(['restore', `--source=${base}`, '--staged', '--worktree', '--', p])
          .catch(() => undefined);
      else
        await git
          .raw(['rm', '-r', '-q', '--cached', '--ignore-unmatch', '--', p])
          .catch(() => undefined);
    }
    await git.raw(['clean', '-f', '-d', ...pathspecArgs(paths)]);
  }

  /**
   * `rollback` on the way out of a failure: if the rollback itself fails, the error says both what
   * failed and what state is left, instead of hiding the first failure behind the second.
   */
  private async safeRollback(
    git: SimpleGit,
    base: string | undefined,
    paths: readonly string[],
    branchRef: { ref: string; old: string | undefined } | undefined,
    cause: unknown,
  ): Promise<void> {
    try {
      await this.rollback(git, base, paths, branchRef);
    } catch (err) {
      throw new RollbackFailed(
        'git',
        `${(cause as Error)?.message ?? String(cause)}; then restoring ${paths.join(', ')} to ${base?.slice(0, 12) ?? 'the unborn branch'} failed too: ${gitMessage(err)}. ` +
          `Fix: check 'git status' in ${this.dir} and restore those paths by hand (git restore --source=${base ?? 'HEAD'} --staged --worktree -- ${paths.join(' ')}).`,
      );
    }
  }

  /** A git command in `dir` that talks to the remote, with the network timeout (network.ts). */
  private network(dir: string, args: string[], what: string): Promise<string> {
    return networkGit(args, {
      dir,
      config: [`user.name=${this.identity.name}`, `user.email=${this.identity.email}`],
      timeoutMs: this.opts.networkTimeoutMs,
      what,
      // Only read when a message needs it (shown without credentials).
      remote: async () =>
        (
          await this.git.raw(['config', '--get', `remote.${this.remote}.url`]).catch(() => '')
        ).trim() || this.remote,
    });
  }

  /**
   * Refuses to commit or push once the lease is lost (its heartbeat failed for the stale time, so
   * another process may have taken the repository over); the caller rolls back.
   */
  private assertLease(lease: Lease): void {
    if (lease.lost) {
      throw new GitOpsError(
        'git',
        `${this.dir}: the repository's lease was lost while this operation ran (${lease.lost.message}), so it was not committed. Fix: retry.`,
      );
    }
  }

  /** Fetches `branch` from the remote; returns the remote head or undefined when it has none. */
  async fetch(
    branch: string,
    git: SimpleGit = this.git,
    dir: string = this.dir,
  ): Promise<string | undefined> {
    try {
      await this.network(
        dir,
        [
          'fetch',
          '--no-tags',
          this.remote,
          `+refs/heads/${branch}:refs/remotes/${this.remote}/${branch}`,
        ],
        `git fetch ${this.remote} ${branch}`,
      );
    } catch (err) {
      if (err instanceof GitOpsError) throw err;
      if (/couldn't find remote ref/i.test(gitMessage(err))) return undefined;
      throw new GitOpsError('git', `git fetch ${this.remote} ${branch} failed: ${gitMessage(err)}`);
    }
    return this.revParse(`refs/remotes/${this.remote}/${branch}`, git);
  }

  private async push(dir: string, sha: string, branch: string): Promise<'ok' | 'rejected'> {
    try {
      await this.network(
        dir,
        ['push', '--porcelain', this.remote, `${sha}:refs/heads/${branch}`],
        `git push ${this.remote} ${branch}`,
      );
      return 'ok';
    } catch (err) {
      if (err instanceof GitOpsError) throw err;
      const msg = gitMessage(err);
      if (REJECTED.test(msg)) return 'rejected';
      throw new GitOpsError(
        'git',
        `git push ${this.remote} ${branch} failed: ${msg}. Fix: check the remote's URL and credentials (git remote -v).`,
      );
    }
  }

  /**
   * Runs `body` in a working tree, commits what it changed under `paths`, pushes, and on a
   * rejected push fetches, moves to the remote head and runs `body` again. See the file comment.
   */
  transact<T>(
    opts: TransactOptions,
    body: (workdir: string) => Promise<Change<T>>,
  ): Promise<Committed<T>> {
    for (const p of opts.paths) {
      if (isAbsolute(p) || p.split('/').includes('..'))
        throw new Error(`transact: path '${p}' must be relative and inside the repository`);
    }
    return this.exclusive((lease) => this.transactLocked(opts, body, lease));
  }

  /**
   * Runs `fn` holding the repository's lease, after undoing whatever an interrupted transaction
   * left behind (journal.ts). Every writer of the working tree goes through here.
   */
  exclusive<T>(fn: (lease: Lease) => Promise<T>): Promise<T> {
    const staleMs = this.opts.lockStaleMs ?? lockStaleMsFromEnv();
    return withRepoLock(
      this.gitDir,
      join(this.gitDir, 'agent-canary.lease'),
      async (lease) => {
        await recover(this.git, this.dir, this.gitDir, { staleMs }).catch((err: unknown) => {
          throw new GitOpsError(
            'git',
            `${this.dir}: undoing an interrupted operation failed: ${gitMessage(err)}. Fix: check 'git status' there, restore the files it names (git restore), then retry.`,
          );
        });
        return fn(lease);
      },
      { timeoutMs: this.opts.lockTimeoutMs, staleMs },
    ).catch((err: unknown) => {
      if (err instanceof LockTimeoutError) throw new GitOpsError('git', err.message);
      throw err;
    });
  }

  private async transactLocked<T>(
    opts: TransactOptions,
    body: (workdir: string) => Promise<Change<T>>,
    lease: Lease,
  ): Promise<Committed<T>> {
    const checkedOut = await this.currentBranch().catch((err: unknown) => {
      if (opts.branch) return undefined;
      throw err;
    });
    if (!opts.branch || opts.branch === checkedOut) {
      try {
        const done = await this.inWorktree(
          this.git,
          this.dir,
          checkedOut!,
          undefined,
          opts,
          body,
          lease,
        );
        await clearJournal(this.gitDir);
        return done;
      } catch (err) {
        // A failed rollback leaves the record, so the next transaction tries again.
        if (!(err instanceof RollbackFailed)) await clearJournal(this.gitDir);
        throw err;
      }
    }

    // Pull-request mode: a detached temporary worktree at the branch's head (local, else the
    // remote's, else the checked-out HEAD), then the branch ref is moved to the new commit.
    const branch = opts.branch;
    await this.git.raw(['check-ref-format', '--branch', branch]).catch(() => {
      throw new GitOpsError(
        'bad-request',
        `--branch '${branch}' is not a valid branch name. Fix: use a name like 'canary/team-a-support-bot'.`,
      );
    });
    const remote = (await this.hasRemote()) ? await this.fetch(branch) : undefined;
    const local = await this.revParse(`refs/heads/${branch}`);
    const start = local ?? remote ?? (await this.head());
    if (!start)
      throw new GitOpsError(
        'conflict',
        `${this.dir} has no commit to branch '${branch}' from. Fix: commit the fleet first.`,
      );
    const tmp = await mkdtemp(join(tmpdir(), 'agent-canary-wt-'));
    // The checked-out tree is not touched in this mode; a crash leaves only the worktree to remove.
    await writeJournal(this.gitDir, { worktree: tmp, branch });
    try {
      await this.git.raw(['worktree', 'add', '--detach', tmp, start]);
      const wt = simpleGitFor(tmp, this.identity);
      return await this.inWorktree(
        wt,
        tmp,
        branch,
        { ref: `refs/heads/${branch}`, old: local },
        opts,
        body,
        lease,
      );
    } finally {
      await this.git.raw(['worktree', 'remove', '--force', tmp]).catch(() => undefined);
      await rm(tmp, { recursive: true, force: true });
      await clearJournal(this.gitDir);
    }
  }

  /**
   * One transaction in one working tree. `branchRef` is set in pull-request mode (detached
   * worktree): the branch ref is moved explicitly, and put back on failure.
   */
  private async inWorktree<T>(
    git: SimpleGit,
    workdir: string,
    branch: string,
    branchRef: { ref: string; old: string | undefined } | undefined,
    opts: TransactOptions,
    body: (workdir: string) => Promise<Change<T>>,
    lease: Lease,
  ): Promise<Committed<T>> {
    const withRemote = await this.hasRemote();
    const attemptsAllowed = withRemote ? Math.max(1, this.opts.pushAttempts ?? 5) : 1;
    let lastRejection = '';
    for (let attempt = 1; attempt <= attemptsAllowed; attempt++) {
      const dirty = await this.changedPaths(opts.paths, git);
      if (dirty.length > 0) {
        throw new GitOpsError(
          'conflict',
          `${workdir}: uncommitted changes in ${dirty.slice(0, 5).join(', ')}${dirty.length > 5 ? ', ...' : ''}. ` +
            'Fix: commit or discard them first; the operation commits these paths and would mix your edits into its commit.',
        );
      }
      // From here on the paths hold only our work: a crash is undone by restoring them.
      if (workdir === this.dir)
        await writeJournal(this.gitDir, { paths: opts.paths, scratch: opts.scratch, branch });
      const base = await this.head(git);
      const oldRef = branchRef
        ? { ref: branchRef.ref, old: await this.revParse(branchRef.ref, git) }
        : undefined;
      let committed: string | undefined;
      let change: Change<T>;
      try {
        change = await body(workdir);
        if (change.message !== undefined) {
          this.assertLease(lease);
          if (
            await this.commitPaths(
              git,
              workdir,
              opts.paths,
              change.message,
              opts.allowEmpty,
              opts.date,
              change.touched,
            )
          ) {
            committed = await this.head(git);
            if (oldRef) await git.raw(['update-ref', oldRef.ref, committed!]);
          }
        } else if ((await this.changedPaths(opts.paths, git)).length > 0) {
          // A no-op must leave nothing behind (e.g. output files rewritten to identical content).
          await this.rollback(git, base, opts.paths);
        }
      } catch (err) {
        await this.safeRollback(git, base, opts.paths, oldRef, err);
        if (err instanceof GitOpsError) throw err;
        throw err instanceof GitError
          ? new GitOpsError('git', `commit failed in ${workdir}: ${gitMessage(err)}`)
          : err;
      }
      if (!committed || !withRemote) {
        return { result: change.result, commit: committed, branch, pushed: false, attempts: 0 };
      }
      let outcome: 'ok' | 'rejected';
      try {
        this.assertLease(lease);
        outcome = await this.push(workdir, committed, branch);
      } catch (err) {
        await this.safeRollback(git, base, opts.paths, oldRef, err);
        throw err;
      }
      if (outcome === 'ok')
        return {
          result: change.result,
          commit: committed,
          branch,
          pushed: true,
          attempts: attempt,
        };

      // Rejected: someone pushed first. Undo, move to their head, re-apply.
      lastRejection = `attempt ${attempt} rejected`;
      await this.rollback(git, base, opts.paths, oldRef);
      const remoteHead = await this.fetch(branch, git, workdir);
      if (!remoteHead) continue;
      try {
        if (branchRef) {
          await git.raw(['checkout', '-q', '--detach', remoteHead]);
          await git.raw(['update-ref', branchRef.ref, remoteHead]);
        } else {
          await git.raw(['merge', '--ff-only', '-q', remoteHead]);
        }
      } catch (err) {
        throw new GitOpsError(
          'conflict',
          `${workdir}: branch '${branch}' has diverged from ${this.remote}/${branch} (${gitMessage(err)}). Fix: pull or rebase the branch, then retry.`,
        );
      }
    }
    throw new GitOpsError(
      'git',
      `push to ${this.remote}/${branch} was rejected ${attemptsAllowed} times (${lastRejection}); nothing was changed. Fix: retry later.`,
    );
  }
}
