/**
 * Reading repository files that must stay inside the repository.
 *
 * Why: fleet and policy files are served and committed by the GitOps API; a fleet file that is a
 * symlink to /proc/self/environ would hand the server's environment (tokens) to whoever asks,
 * and a namespace folder linking to / would make a scan walk the whole file system. Links are
 * allowed while they resolve inside the root; anything else is refused with a reason.
 */
import { AgentCanaryError } from '../errors/error.js';
import { lstatSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Why a path is not a regular file or folder inside the root (`undefined` when it is). */
export function outsideReason(
  root: string,
  path: string,
  want: 'file' | 'dir',
): string | undefined {
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return lstatSafe(path)?.isSymbolicLink()
      ? `a symbolic link that does not resolve (${code})`
      : `cannot be read (${code})`;
  }
  const rel = relative(realRoot, real);
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel))
    return `a symbolic link to ${real}, outside ${root}`;
  const st = statSync(real);
  if (want === 'file' && !st.isFile())
    return st.isDirectory() ? 'a folder, not a file' : 'not a regular file';
  if (want === 'dir' && !st.isDirectory()) return 'not a folder';
  return undefined;
}

function lstatSafe(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * Thrown by `readFileInside` with the reason (bad input: a link out of the repository, not a
 * regular file); callers turn it into their own located error.
 */
export class OutsideError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

/** The UTF-8 text of `root/rel`, which must be a regular file inside `root` (links resolved). */
export function readFileInside(root: string, rel: string): string {
  const path = join(root, rel);
  const why = outsideReason(root, path, 'file');
  if (why) throw new OutsideError(why);
  return readFileSync(path, 'utf8');
}
