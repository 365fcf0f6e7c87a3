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
 * resolved, so a pass over 1,000 agents costs one process, not 1,000.
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

/**
 * Reads the history of `keys` in the work tree `dir` (one `git log`, stopped early). `keys` may
 * be a promise: the `git log` starts at once and its output waits in memory while the caller
 * still reads the fleet files that name the keys, so the two overlap.
 */
export async function readCanaryHistory(
  dir: string,
  keys: readonly CanaryKey[] | Promise<readonly CanaryKey[]>,
): Promise<Map<string, CanaryHistory>> {
  const byId = new Map<string, Tracking>();
  const byFile = new Map<string, Tracking>();
  const index = (ks: readonly CanaryKey[]): void => {
    for (const key of ks) {
      const t: Tracking = { key, failedChecks: 0, bounded: false };
      byId.set(key.id, t);
      byFile.set(key.fleetFile, t);
    }
  };
  let open = 0;
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
  const child = spawn(
    'git',
    [
      '-c',
      'core.quotePath=false',
      'log',
      '--no-renames',
      '--name-only',
      '--format=%x1e%H%x1f%at%x1f%B%x1f',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  // Awaited below; marked handled now so a spawn error while the keys are read is not unhandled.
  closed.catch(() => {});
  let buf = '';
  let stderr = '';
  let stopped = false;
  let ready = false;
  const stop = (): void => {
    stopped = true;
    child.kill();
  };
  const flush = (final: boolean): void => {
    // A record is complete once the next one starts (or the stream ends).
    let start = buf.indexOf('\x1e');
    while (start !== -1) {
      const next = buf.indexOf('\x1e', start + 1);
      if (next === -1 && !final) break;
      const rec = buf.slice(start + 1, next === -1 ? undefined : next);
      buf = next === -1 ? '' : buf.slice(next);
      start = next === -1 ? -1 : 0;
      const [sha, ct, message, rest] = rec.split('\x1f');
      if (sha === undefined || ct === undefined) continue;
      const files = (rest ?? '').split('\n').filter(Boolean);
      visit(sha, Number(ct) * 1000, message ?? '', files);
      if (open <= 0) {
        stop();
        return;
      }
    }
  };
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    if (stopped) return;
    buf += chunk;
    // Until the keys are known the output waits in `buf`.
    if (ready) flush(false);
  });
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    index(await keys);
  } catch (err) {
    stop();
    await closed.catch(() => {});
    throw err;
  }
  open = byId.size;
  if (open === 0) {
    stop();
    await closed.catch(() => {});
    return result(byId);
  }
  ready = true;
  flush(false);
  const code = await closed;
  if (!stopped) flush(true);
  // An unborn branch has no history: nothing to read.
  if (stopped || code === 0 || /does not have any commits/.test(stderr)) return result(byId);
  throw new Error(`git log in ${dir} failed (exit ${code}): ${stderr.trim()}`);
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
