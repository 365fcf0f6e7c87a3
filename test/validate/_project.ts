/** The project's own example fleet, policies and dist/, as test inputs (read, never written). */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse } from 'yaml';
import { checkFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const DIST = join(ROOT, 'dist');
export const policies = loadPolicies(join(ROOT, 'policies'));
export const fleet = checkFleet(join(ROOT, 'fleet')).agents;

function walk(dir: string, out: string[] = []): string[] {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else if (e.name.endsWith('.yaml')) out.push(p);
  }
  return out.sort();
}

/** dist/ as `relative path -> object` (fresh copies, safe to mutate). */
export function distObjects(): Map<string, Record<string, unknown>> {
  return new Map(
    walk(DIST).map((f) => [
      relative(DIST, f).split(sep).join('/'),
      parse(readFileSync(f, 'utf8')) as Record<string, unknown>,
    ]),
  );
}

export function distTexts(): Map<string, string> {
  return new Map(
    walk(DIST).map((f) => [relative(DIST, f).split(sep).join('/'), readFileSync(f, 'utf8')]),
  );
}

/** Sets or deletes (value undefined) a nested field. */
export function setPath(obj: unknown, path: (string | number)[], value: unknown): void {
  let cur = obj as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) cur = cur[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (value === undefined) {
    if (Array.isArray(cur) && typeof last === 'number') cur.splice(last, 1);
    else delete cur[last];
  } else cur[last] = value;
}

export function getPath(obj: unknown, path: (string | number)[]): unknown {
  let cur = obj as Record<string | number, unknown> | undefined;
  for (const seg of path) cur = cur?.[seg] as Record<string | number, unknown> | undefined;
  return cur;
}
