/**
 * The GitOps repository's history as events: who moved what, when, with which evidence.
 *
 * One `git log` reads every commit with its trailers and the fleet files it touched. Every
 * trailer whose key starts with `Agent-Canary-` is kept, whatever its name (events.ts writes
 * Event, Agent, Weight-From, Weight-To, Stable-Version, Canary-Version, Actor; the autopilot and
 * the guarded operations add their evidence, such as a verdict or scores, under the same prefix),
 * so a reader shows new evidence without a change here.
 *
 * The parsed history is kept per repository and brought up to date incrementally: a new HEAD
 * that descends from the one already read costs a `git log old..new`, so a dashboard over a long
 * history does not re-read it on every commit.
 */
import type { SimpleGit } from 'simple-git';
import { CANARY_EVENTS, type CanaryEvent } from './events.js';

/** Every trailer of the operations starts with this. */
export const TRAILER_PREFIX = 'Agent-Canary-';

export interface HistoryCommit {
  readonly sha: string;
  readonly parents: readonly string[];
  /** Commit time, ms since the epoch. */
  readonly at: number;
  readonly author: string;
  readonly subject: string;
  /**
   * The `Agent-Canary-*` trailers without the prefix, keys lower-cased (`event`, `agent`,
   * `weight-from`, `verdict`, ...). A key given twice keeps its values joined by `, `.
   */
  readonly trailers: Readonly<Record<string, string>>;
  /** The canary event, when the commit is one of the operations'. */
  readonly event?: CanaryEvent;
  /** The agent (`namespace/name`) of an operation's commit. */
  readonly agent?: string;
  readonly weightFrom?: number;
  readonly weightTo?: number;
  /** Fleet files (`<namespace>/<name>.yaml`, relative to the fleet folder) the commit changed. */
  readonly fleetFiles: readonly string[];
}

export interface History {
  /** The commit read up to. */
  readonly head: string | undefined;
  /** Newest first. */
  readonly commits: readonly HistoryCommit[];
}

const RS = '\x1e';
const US = '\x1f';
// Record separator first, so the file names `--name-only` prints after a record stay in it.
const FORMAT = `--format=${RS}%H${US}%P${US}%ct${US}%an${US}%s${US}%(trailers:only,unfold)${US}`;

function intOr(v: string | undefined): number | undefined {
  if (v === undefined || !/^-?\d+$/.test(v.trim())) return undefined;
  return Number(v.trim());
}

/** `Agent-Canary-*` trailer lines -> `{ key-without-prefix (lower case): value }`. */
export function canaryTrailers(block: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
    if (!m || !m[1]!.toLowerCase().startsWith(TRAILER_PREFIX.toLowerCase())) continue;
    const key = m[1]!.slice(TRAILER_PREFIX.length).toLowerCase();
    if (key === '') continue;
    const value = m[2]!.trim();
    out[key] = out[key] === undefined ? value : `${out[key]}, ${value}`;
  }
  return out;
}

/** Parses the output of `git log FORMAT --name-only`. */
export function parseLog(out: string, fleetDir = 'fleet'): HistoryCommit[] {
  const prefix = `${fleetDir.replace(/\/$/, '')}/`;
  const commits: HistoryCommit[] = [];
  for (const record of out.split(RS)) {
    if (record.trim() === '') continue;
    const [sha, parents, ct, author, subject, trailerBlock, names] = record.split(US);
    if (!sha || !/^[0-9a-f]{40,64}$/.test(sha)) continue;
    const trailers = canaryTrailers(trailerBlock ?? '');
    const event = (CANARY_EVENTS as readonly string[]).includes(trailers['event'] ?? '')
      ? (trailers['event'] as CanaryEvent)
      : undefined;
    const fleetFiles = (names ?? '')
      .split('\n')
      .map((n) => n.trim())
      .filter((n) => n.startsWith(prefix) && /\.ya?ml$/.test(n))
      .map((n) => n.slice(prefix.length));
    commits.push({
      sha,
      parents: (parents ?? '').split(' ').filter(Boolean),
      at: (intOr(ct) ?? 0) * 1000,
      author: author ?? '',
      subject: subject ?? '',
      trailers,
      event,
      agent: event ? trailers['agent'] : undefined,
      weightFrom: event ? intOr(trailers['weight-from']) : undefined,
      weightTo: event ? intOr(trailers['weight-to']) : undefined,
      fleetFiles,
    });
  }
  return commits;
}

async function logOf(git: SimpleGit, range: string[], fleetDir: string): Promise<HistoryCommit[]> {
  // Every commit (`--full-history --sparse`: a path limits the names listed, not the commits),
  // naming only files of the fleet folder: the commit that seeds a fleet of 10,000 agents also
  // touches its 100,000 output files, which would be read here only to be dropped.
  const out = await git.raw([
    'log',
    FORMAT,
    '--name-only',
    '--no-renames',
    '--full-history',
    '--sparse',
    ...range,
    '--',
    `:(literal)${fleetDir.replace(/\/$/, '')}/`,
  ]);
  return parseLog(out, fleetDir);
}

/**
 * Reads the history once and keeps it current. `read(head)` returns the history up to `head`
 * (the caller knows HEAD cheaply, `GitRepo.head()`); concurrent reads of one head share one
 * `git log`.
 */
export class HistoryReader {
  private current: History = { head: undefined, commits: [] };
  private pending: { head: string; promise: Promise<History> } | undefined;

  constructor(
    private readonly git: SimpleGit,
    private readonly fleetDir = 'fleet',
  ) {}

  read(head: string | undefined): Promise<History> {
    if (head === undefined) return Promise.resolve({ head: undefined, commits: [] });
    if (this.current.head === head) return Promise.resolve(this.current);
    if (this.pending?.head === head) return this.pending.promise;
    const promise = this.load(head).finally(() => {
      if (this.pending?.promise === promise) this.pending = undefined;
    });
    this.pending = { head, promise };
    return promise;
  }

  private async load(head: string): Promise<History> {
    const old = this.current;
    let commits: HistoryCommit[] | undefined;
    if (old.head !== undefined) {
      // The old head is an ancestor of the new one exactly when one of the new commits has it as
      // a parent (the commit just above it on any path between them). Otherwise the history was
      // rewritten: read it whole.
      const fresh = await logOf(this.git, [head, `^${old.head}`], this.fleetDir);
      if (fresh.some((c) => c.parents.includes(old.head!))) commits = [...fresh, ...old.commits];
    }
    commits ??= await logOf(this.git, [head], this.fleetDir);
    const next = { head, commits };
    this.current = next;
    return next;
  }
}
