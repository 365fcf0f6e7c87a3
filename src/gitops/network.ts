/**
 * Git commands that talk to a remote (clone, fetch, push, ls-remote) run with a timeout: a remote
 * that accepts the connection and never answers would otherwise hold the repository's lease for
 * ever, and with it every operation queued on that repository. The timeout is simple-git's "block"
 * timeout: the git process is stopped after `timeoutMs` without any output, so a slow transfer
 * that is still making progress is not cut short.
 *
 * Other repositories are never affected: operations are serialized per repository only
 * (lock.ts), so one stuck remote delays only the operations on its own repository.
 */
import { GitPluginError, simpleGit } from 'simple-git';
import { redactCredentials } from '../redact/credentials.js';
import { GitOpsError } from './errors.js';

/** Default timeout of a network git command, overridable with `AGENT_CANARY_GIT_TIMEOUT_MS`. */
export const DEFAULT_NETWORK_TIMEOUT_MS = 30_000;

/** The timeout to use: the explicit one, else `AGENT_CANARY_GIT_TIMEOUT_MS`, else 30 s. */
export function networkTimeoutMs(explicit?: number): number {
  if (explicit !== undefined) return explicit;
  const env = process.env['AGENT_CANARY_GIT_TIMEOUT_MS'];
  if (env !== undefined && /^\d+$/.test(env.trim()) && Number(env) > 0) return Number(env);
  return DEFAULT_NETWORK_TIMEOUT_MS;
}

export interface NetworkGitOptions {
  /** Where git runs. */
  readonly dir: string;
  /** `-c` settings (identity). */
  readonly config?: readonly string[];
  readonly timeoutMs?: number;
  /** What the command does, for the message: `git push origin main`. */
  readonly what: string;
  /** The remote's URL (or name), shown without credentials; read only for a message. */
  readonly remote: string | (() => Promise<string>);
}

/**
 * Runs `git <args>` with the network timeout. A timeout becomes a `GitOpsError` of kind
 * `unavailable` naming the remote (credentials stripped); other failures are rethrown as they are.
 */
export async function networkGit(
  args: readonly string[],
  opts: NetworkGitOptions,
): Promise<string> {
  const timeoutMs = networkTimeoutMs(opts.timeoutMs);
  const git = simpleGit({
    baseDir: opts.dir,
    config: [...(opts.config ?? [])],
    timeout: { block: timeoutMs },
  });
  try {
    return await git.raw([...args]);
  } catch (err) {
    if (err instanceof GitPluginError && err.plugin === 'timeout') {
      const remote = typeof opts.remote === 'string' ? opts.remote : await opts.remote();
      throw new GitOpsError(
        'unavailable',
        `${opts.what}: the remote ${redactCredentials(remote)} did not answer within ${timeoutMs} ms, so the git process was stopped. ` +
          'Fix: check that the remote is reachable and retry; a slower remote needs a longer AGENT_CANARY_GIT_TIMEOUT_MS.',
      );
    }
    throw err;
  }
}
