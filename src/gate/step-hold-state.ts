/**
 * The step-hold state file (`--state-file` / `AGENT_CANARY_GATE_STATE`): approval counts and the
 * time of the last approval per revision, so a restarted gate continues each hold where it was
 * instead of approving the next step at once.
 *
 * Written atomically (temp file in the same folder, fsync, rename, fsync of the folder): a crash
 * leaves either the old or the new file, never half of one. Read once at start. A file that is not
 * what this module writes is reported and treated as empty; the caller then applies the
 * lost-state rule (docs/gate.md, "Step holds").
 */
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';

export const STATE_VERSION = 1;

export interface HoldEntry {
  /** Approvals this gate gave the revision. */
  approvals: number;
  /** When the current hold started: the last approval, or the first sight of the revision. */
  since: number;
  /** Last call for the revision (for pruning). */
  seen: number;
  /** The gate does not know how many approvals were given before it saw the revision. */
  uncertain?: boolean;
  /** Earliest time of the next approval, whatever the hold (lost-state rule). */
  notBefore?: number;
}

export interface StateSnapshot {
  /** Approvals given before this time may be unknown to the gate (its knowledge horizon). */
  readonly horizon: number;
  readonly holds: ReadonlyMap<string, HoldEntry>;
}

export type LoadResult =
  | { readonly status: 'loaded'; readonly snapshot: StateSnapshot }
  | { readonly status: 'missing' }
  | { readonly status: 'corrupt'; readonly problem: string };

function isTime(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v) && v >= 0;
}

/** Parses the file's text; a problem names the field and what was expected. */
export function parseState(text: string): StateSnapshot | string {
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch (err) {
    return `not JSON (${(err as Error).message})`;
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return 'not a JSON object';
  const o = json as Record<string, unknown>;
  if (o.version !== STATE_VERSION)
    return `version: expected ${STATE_VERSION}, got ${JSON.stringify(o.version)}`;
  if (!isTime(o.horizon))
    return `horizon: expected epoch milliseconds, got ${JSON.stringify(o.horizon)}`;
  if (typeof o.holds !== 'object' || o.holds === null || Array.isArray(o.holds))
    return 'holds: expected an object keyed by namespace/name/checksum';
  const holds = new Map<string, HoldEntry>();
  for (const [key, raw] of Object.entries(o.holds as Record<string, unknown>)) {
    const e = raw as Record<string, unknown> | null;
    const where = `holds[${JSON.stringify(key)}]`;
    if (typeof e !== 'object' || e === null) return `${where}: expected an object`;
    if (typeof e.approvals !== 'number' || !Number.isInteger(e.approvals) || e.approvals < 0)
      return `${where}.approvals: expected an integer >= 0, got ${JSON.stringify(e.approvals)}`;
    for (const f of ['since', 'seen'] as const)
      if (!isTime(e[f]))
        return `${where}.${f}: expected epoch milliseconds, got ${JSON.stringify(e[f])}`;
    if (e.uncertain !== undefined && typeof e.uncertain !== 'boolean')
      return `${where}.uncertain: expected a boolean`;
    if (e.notBefore !== undefined && !isTime(e.notBefore))
      return `${where}.notBefore: expected epoch milliseconds`;
    holds.set(key, {
      approvals: e.approvals,
      since: e.since as number,
      seen: e.seen as number,
      ...(e.uncertain ? { uncertain: true } : {}),
      ...(e.notBefore !== undefined ? { notBefore: e.notBefore as number } : {}),
    });
  }
  return { horizon: o.horizon, holds };
}

export function loadState(file: string): LoadResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', problem: `cannot read: ${(err as Error).message}` };
  }
  const parsed = parseState(text);
  return typeof parsed === 'string'
    ? { status: 'corrupt', problem: parsed }
    : { status: 'loaded', snapshot: parsed };
}

export function serializeState(s: StateSnapshot): string {
  const holds: Record<string, HoldEntry> = {};
  for (const [k, v] of [...s.holds].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) holds[k] = v;
  return `${JSON.stringify({ version: STATE_VERSION, horizon: s.horizon, holds }, null, 1)}\n`;
}

/** Atomic write: temp file next to the target, fsync, rename over it, fsync the folder. Throws on failure (the temp file is removed). */
export function saveState(file: string, s: StateSnapshot): void {
  const dir = dirname(file);
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, serializeState(s));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  // The rename is durable only once the folder is synced; not every file system allows it.
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* best effort */
  }
}
