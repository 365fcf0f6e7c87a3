/**
 * The fleet the validator reads beside the manifests: `--fleet DIR`, else a `fleet/` folder beside
 * a directory being validated (`validate repo/dist`), else `fleet/` in the current directory.
 * A fleet file that does not parse or breaks the fleet schema or rules is a finding of rule
 * `fleet-file` at that file's line and field (exit 1): dist/ may look fine while the file the
 * author edited cannot be synthesized, and every later synth or canary operation would fail on it.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import {
  checkFleet,
  checkFleetFile,
  duplicateId,
  FleetError,
  readFleetText,
  scanFleet,
} from '../fleet/load.js';
import type { FleetAgent } from '../fleet/types.js';
import { LocatedError } from '../errors/located.js';
import type { Finding } from './types.js';

export interface LoadedFleet {
  /** The fleet root that was read (as given, or found), if any. */
  readonly root?: string;
  readonly agents: readonly FleetAgent[];
  /** One `fleet-file` finding per error of a fleet file. */
  readonly findings: readonly Finding[];
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();

/** Where the fleet is: the option, `./fleet`, or `fleet/` beside a validated directory. */
export function fleetRoot(
  fleet: string | undefined,
  paths: readonly string[],
  cwd = process.cwd(),
): string | undefined {
  if (fleet !== undefined) return fleet;
  // Beside the validated tree first: `validate other/dist` from inside a project reads other/fleet.
  for (const p of paths) {
    if (p === '-') continue;
    const abs = resolve(cwd, p);
    if (!isDir(abs)) continue;
    const beside = join(dirname(abs), 'fleet');
    if (isDir(beside)) return shownPath(beside, cwd);
  }
  return isDir(resolve(cwd, 'fleet')) ? 'fleet' : undefined;
}

/** A path as a reader of the report wants it: relative to the current directory when inside it. */
export function shownPath(p: string, cwd = process.cwd()): string {
  if (!isAbsolute(p)) return p;
  const rel = relative(cwd, p);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
}

/** The finding for one fleet-file error, at `<root>/<file>:<line>`, field as its path. */
export function fleetFileFinding(root: string, err: LocatedError): Finding {
  const got =
    err.value !== undefined
      ? ` (got ${JSON.stringify(err.value)?.slice(0, 80) ?? String(err.value)}${err.allowed !== undefined ? `; allowed: ${err.allowed}` : ''})`
      : err.allowed !== undefined
        ? ` (allowed: ${err.allowed})`
        : '';
  const [namespace, file] = err.file.split('/');
  const name = file?.replace(/\.ya?ml$/, '');
  return {
    ruleId: 'fleet-file',
    severity: 'error',
    file: shownPath(join(root, err.file)),
    line: err.line,
    ...(namespace && name ? { object: { kind: 'Agent', namespace, name } } : {}),
    ...(err.field ? { path: err.field } : {}),
    message: `fleet file ${err.field ? `field ${err.field}: ` : ''}${err.problem}${got}`,
    fix: err.fix,
  };
}

/** Reads the fleet at `root` (if it exists): its agents, and a finding per broken file. */
export function loadFleetRoot(root: string | undefined): LoadedFleet {
  if (root === undefined || !existsSync(root)) return { agents: [], findings: [] };
  try {
    const { agents, errors } = checkFleet(root);
    return { root, agents, findings: errors.map((e) => fleetFileFinding(root, e)) };
  } catch (err) {
    // A file that cannot be read at all (checkFleet reports it as a located error).
    if (err instanceof LocatedError)
      return { root, agents: [], findings: [fleetFileFinding(root, err)] };
    throw err;
  }
}

/**
 * `loadFleetRoot` for some namespace folders only (a pull request's scope): the same files, checks
 * and findings as reading the whole fleet gives for those namespaces. An agent id is
 * `<namespace>/<name>` and its namespace is its folder's, so duplicates are within one folder.
 */
export function loadFleetNamespaces(root: string, namespaces: readonly string[]): LoadedFleet {
  if (!existsSync(root)) return { agents: [], findings: [] };
  const wanted = new Set(namespaces);
  const inScope = (rel: string) => wanted.has(rel.split('/')[0]!);
  const errors: FleetError[] = [];
  const agents: FleetAgent[] = [];
  const byId = new Map<string, FleetAgent>();
  let scan;
  try {
    scan = scanFleet(root, wanted);
  } catch (err) {
    if (err instanceof LocatedError)
      return { root, agents: [], findings: [fleetFileFinding(root, err)] };
    throw err;
  }
  errors.push(...scan.errors.filter((e) => inScope(e.file)));
  for (const rel of scan.files.filter(inScope)) {
    let text: string;
    try {
      text = readFleetText(root, rel, !scan.linked.has(rel));
    } catch (err) {
      if (err instanceof FleetError) {
        errors.push(err);
        continue;
      }
      throw err;
    }
    const result = checkFleetFile(rel, text);
    errors.push(...result.errors);
    const agent = result.agent;
    if (!agent) continue;
    const other = byId.get(agent.id);
    if (other) {
      errors.push(duplicateId(agent, other));
      continue;
    }
    byId.set(agent.id, agent);
    agents.push(agent);
  }
  agents.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { root, agents, findings: errors.map((e) => fleetFileFinding(root, e)) };
}
