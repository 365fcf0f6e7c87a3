/**
 * When the base revision's canary weight was set: the oldest commit of the newest unbroken run of
 * commits of the fleet file in which the canary had that weight (and version). A step's hold is
 * measured from there. Read from Git history, so it does not depend on who made the commit (the
 * `canary weight` command or a hand-written pull request). A shallow clone sees fewer commits, so
 * the hold can only look shorter there, never longer: the check errs on the side of refusing.
 */
import { parse } from 'yaml';
import { readObjects } from './changed.js';
import { gitOutput } from './git.js';

/** How far back the walk goes: a weight unchanged for more commits than this is old enough. */
const MAX_COMMITS = 200;

export interface WeightSet {
  readonly commit: string;
  /** Committer time, Unix milliseconds. */
  readonly time: number;
}

interface CanaryState {
  readonly enabled: boolean;
  readonly weight: number;
  readonly version?: string;
}

function canaryState(text: string): CanaryState | undefined {
  try {
    const doc = parse(text) as { spec?: { canary?: Record<string, unknown> | null } } | null;
    const c = doc?.spec?.canary;
    if (!c || typeof c !== 'object') return undefined;
    return {
      enabled: c.enabled === true,
      weight: typeof c.weight === 'number' ? c.weight : 0,
      version: c.version === undefined ? undefined : String(c.version),
    };
  } catch {
    return undefined;
  }
}

const sameState = (a: CanaryState | undefined, b: CanaryState | undefined) =>
  a !== undefined &&
  b !== undefined &&
  a.enabled === b.enabled &&
  a.weight === b.weight &&
  a.version === b.version;

/**
 * The commit at or before `commit` that set the canary state `file` has there (repository
 * path). Undefined when the file has no canary at `commit`.
 */
export async function weightSetAt(
  repo: string,
  commit: string,
  file: string,
): Promise<WeightSet | undefined> {
  const log = await gitOutput(repo, [
    'log',
    `--max-count=${MAX_COMMITS}`,
    '--format=%H %ct',
    commit,
    '--',
    file,
  ]);
  const commits = log
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [sha, ct] = l.split(' ');
      return { commit: sha!, time: Number(ct) * 1000 };
    });
  // The file at every commit of the walk, in one `git cat-file --batch` (not a process each).
  const texts = await readObjects(
    repo,
    commits.map((c) => `${c.commit}:${file}`),
  ).catch(() => commits.map(() => undefined));
  let target: CanaryState | undefined;
  let found: WeightSet | undefined;
  for (const [i, c] of commits.entries()) {
    const text = texts[i]?.toString('utf8');
    const state = text === undefined ? undefined : canaryState(text);
    if (target === undefined) {
      if (!state) return undefined;
      target = state;
    } else if (!sameState(state, target)) break;
    found = c;
  }
  return found;
}
