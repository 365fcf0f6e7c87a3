/**
 * What the autopilot knows about a running canary, read from the repository's history alone
 * (Git is its only state, so a restarted or second autopilot reads the same):
 *
 * - `heldSince`: the newest commit that touched the agent's fleet file. Normally the commit that
 *   set the current weight (`canary weight`, the autopilot's own step, `canary start`); any later
 *   edit of the file (a new challenger prompt, a hand edit) restarts the hold, so a hold is never
 *   shortened.
 * - `failedChecks`: the `AgentCanaryCheckFailed` records (empty commits, operations.ts
 *   `recordCheck`) of this agent and canary version since the canary started (its newest
 *   `AgentCanaryStarted`, `AgentCanaryPromoted` or `AgentCanaryRolledBack` commit, or the start
 *   of the history for a canary committed by `synth --repo`), as Flagger counts failed checks
 *   over a whole analysis.
 * - `lastCheckAt`: the newest of those records (the next check waits `analysis.interval`).
 *
 * Times are author dates: the autopilot stamps its commits with its own clock (injected in tests
 * and the demo), and `git commit` stamps a person's with the time they committed.
 *
 * One `git log` serves a whole pass: it streams newest first and stops as soon as every agent is
 * resolved, so a pass over 1,000 agents costs one process, not 1,000. It lists every commit (the
 * failed-check records change no file) but names only the files asked about (`--full-history
 * --sparse -- <paths>`): the commit that seeded a fleet of 10,000 agents touches 100,000 files,
 * and listing them all cost more than the rest of a guarded weight change.
 */
import { spawn } from 'node:child_process';
import { CHECK_FAILED_EVENT, parseTrailers } from '../gitops/events.js';

export interface CanaryKey {
  /** `namespace/name`. */
  readonly id: string;
  /** The fleet file, relative to the repository root. */
  readonly fleetFile: string;
  /** The canary version the records must name; undefined: any. */
  readonly canaryVersion?: string;
}

export interface CanaryHistory {
  /** The commit that last touched the fleet file, and its author time (ms). */
  readonly heldSince?: { readonly sha: string; readonly at: number };
  readonly failedChecks: number;
  /** Author time (ms) of the newest failed-check record. */
  readonly lastCheckAt?: number;
}

const BOUNDARIES = new Set(['AgentCanaryStarted', 'AgentCanaryPromoted', 'AgentCanaryRolledBack']);

interface Tracking {
  key: CanaryKey;
  heldSince?: { sha: string; at: number };
  failedChecks: number;
  lastCheckAt?: number;
  /** The canary's start (or an earlier canary's end) was reached: older commits do not count. */
  bounded: boolean;
}

/** Reads the history of `keys` in the work tree `dir` (one `git log`, stopped early). */
export async function readCanaryHistory(
  dir: string,
  keys: readonly CanaryKey[],
): Promise<Map<string, CanaryHistory>> {
  const byId = new Map<string, Tracking>();
  const byFile = new Map<string, Tracking>();
  for (const key of keys) {
    const t: Tracking = { key, failedChecks: 0, bounded: false };
    byId.set(key.id, t);
    byFile.set(key.fleetFile, t);
  }
  let open = byId.size;
  const settle = (t: Tracking): void => {
    if (t.bounded && t.heldSince) open--;
  };
  const visit = (sha: string, at: number, message: string, files: readonly string[]): void => {
    const trailers = parseTrailers(message);
    const agent = trailers['Agent-Canary-Agent'];
    const event = trailers['Agent-Canary-Event'];
    const t = agent !== undefined ? byId.get(agent) : undefined;
    if (t && !t.bounded && event === CHECK_FAILED_EVENT) {
      const v = trailers['Agent-Canary-Canary-Version'];
      if (t.key.canaryVersion === undefined || v === t.key.canaryVersion) {
        t.failedChecks++;
        t.lastCheckAt ??= at;
      }
    }
    for (const f of files) {
      const ft = byFile.get(f);
      if (ft && !ft.heldSince) {
        ft.heldSince = { sha, at };
        if (ft.bounded) settle(ft);
      }
    }
    if (t && !t.bounded && event && BOUNDARIES.has(event)) {
      t.bounded = true;
      settle(t);
    }
  };
  if (open === 0) return result(byId);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'git',
      [
        '-c',
        'core.quotePath=false',
        'log',
        '--no-renames',
        '--name-only',
        '--format=%x1e%H%x1f%at%x1f%B%x1f',
        // Every commit (with no path limiting the walk), each naming only the files asked about.
        '--full-history',
        '--sparse',
        '--',
        ...namesOf(keys),
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The record being read, as the chunks it arrived in: each chunk is searched once for the
    // next record's start, so a long record (a commit naming many files) costs its length once.
    let pending: string[] = [];
    let stderr = '';
    let stopped = false;
    /** Visits one complete record; true once every agent is resolved (the log is stopped). */
    const record = (rec: string): boolean => {
      const [sha, at, message, rest] = rec.split('\x1f');
      if (sha === undefined || at === undefined) return false;
      const files = (rest ?? '').split('\n').filter(Boolean);
      visit(sha, Number(at) * 1000, message ?? '', files);
      if (open > 0) return false;
      stopped = true;
      child.kill();
      return true;
    };
    const take = (chunk: string): void => {
      // A record is complete once the next one starts (or the stream ends).
      for (let from = 0; ;) {
        const next = chunk.indexOf('\x1e', from);
        if (next === -1) {
          pending.push(chunk.slice(from));
          return;
        }
        pending.push(chunk.slice(from, next));
        const rec = pending.join('');
        pending = [];
        from = next + 1;
        if (rec !== '' && record(rec)) return;
      }
    };
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (!stopped) take(chunk);
    });
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (!stopped) {
        const rec = pending.join('');
        if (rec !== '') record(rec);
      }
      // An unborn branch has no history: nothing to read.
      if (stopped || code === 0 || /does not have any commits/.test(stderr)) resolve();
      else reject(new Error(`git log in ${dir} failed (exit ${code}): ${stderr.trim()}`));
    });
  });
  return result(byId);
}

/** More files than this are named by their top folders (a pathspec per file costs per tree entry). */
const MAX_PATHSPECS = 64;

/** The pathspecs whose names the log lists: the fleet files, or their top folders when many. */
function namesOf(keys: readonly CanaryKey[]): string[] {
  const files = [...new Set(keys.map((k) => k.fleetFile))];
  if (files.length <= MAX_PATHSPECS) return files.map((f) => `:(literal)${f}`);
  return [
    ...new Set(
      files.map((f) => `:(literal)${f.includes('/') ? f.slice(0, f.indexOf('/') + 1) : f}`),
    ),
  ];
}

function result(byId: Map<string, Tracking>): Map<string, CanaryHistory> {
  const out = new Map<string, CanaryHistory>();
  for (const [id, t] of byId) {
    out.set(id, {
      ...(t.heldSince ? { heldSince: t.heldSince } : {}),
      failedChecks: t.failedChecks,
      ...(t.lastCheckAt !== undefined ? { lastCheckAt: t.lastCheckAt } : {}),
    });
  }
  return out;
}
