/**
 * Where agent-canary keeps what it can rebuild (compiled schemas, the fleet schema, module
 * bundles): `$AGENT_CANARY_CACHE_DIR`, else `$XDG_CACHE_HOME/agent-canary`, else
 * `~/.cache/agent-canary`.
 *
 * Why not inside the package (node_modules/.cache): an installed package may be read-only (a
 * container image, a global install owned by root) and is shared by every user of the machine;
 * the XDG base-directory rule is what Linux tools and CI caches expect. Every cache entry is keyed
 * by its inputs, and a cache that cannot be written only costs speed.
 */
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';

export const CACHE_DIR_ENV = 'AGENT_CANARY_CACHE_DIR';

/** The cache directory for this environment (not created here; writers create it on demand). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[CACHE_DIR_ENV];
  if (configured) return resolve(configured);
  // The XDG spec says a relative XDG_CACHE_HOME is invalid and must be ignored.
  const xdg = env['XDG_CACHE_HOME'];
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'agent-canary');
}

/** The cache directory of this process, fixed at start. */
export const DEFAULT_CACHE_DIR = cacheDir();
