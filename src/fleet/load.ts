/**
 * Loading fleet files: `<root>/<namespace>/<agent>.yaml` -> `FleetAgent`.
 *
 * Pipeline per file (modelled on kubeconform and the changesets config checks): parse one YAML
 * document keeping line numbers -> named pre-checks that a schema would word badly (both rollout
 * modes) -> JSON schema (ajv, `schema.ts`) -> rules over the whole file (`rules.ts`) -> the Agent
 * resource rebuilt in a fixed key order, without the `rollout` key.
 */
import { readdirSync, readFileSync, statSync, type Dirent } from 'node:fs';
import { outsideReason, OutsideError, readFileInside } from '../fs/inside.js';
import { join, posix } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { DEFAULT_CACHE_DIR } from '../package/cache-dir.js';
import { cachedValidator } from '../package/compiled-schema.js';
import { LocatedError, type Location, type ProblemDetails } from '../errors/located.js';
import { parseSingleMapping } from '../yaml/single-document.js';
import { schemaErrors } from '../yaml/schema-errors.js';
import type { YamlSource } from '../yaml/source.js';
import { fleetRules } from './rules.js';
import { fleetFileSchema } from './schema.js';
import { LazyYamlSource, rememberSource } from '../yaml/origin.js';
import { parseFastDocument, Unsupported } from '../yaml/fast-yaml.js';
import { toAgentResource, toRolloutSettings } from './normalize.js';
import type { FleetAgent, FleetWarningInfo } from './types.js';

/** A fleet file that cannot be used. `file` is relative to the fleet root; `field` is a path like `spec.canary.weight`. */
export class FleetError extends LocatedError {}

/** A finding that does not stop synthesis (reported by the validator, printed by `synth`). */
export class FleetWarning extends LocatedError implements FleetWarningInfo {}

/** Everything known about one fleet file: the agent when it is usable, and every finding. */
export interface FleetFileCheck {
  readonly file: string;
  readonly agent?: FleetAgent;
  /** Every error found, in file order (the first is what `parseFleetFile` throws). */
  readonly errors: readonly FleetError[];
  readonly warnings: readonly FleetWarning[];
}

const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true } as const;

/**
 * The fleet file validator. Compiling the schema costs ajv about 0.12 s of every CLI run, so the
 * generated code is kept in `fleet-schema-<hash>.cjs` in the user's cache directory
 * (src/package/compiled-schema.ts); a missing or broken cache file means compiling as before.
 */
export function loadFleetValidator(cacheDir: string = DEFAULT_CACHE_DIR): ValidateFunction {
  return cachedValidator(
    { name: 'fleet-schema', schema: fleetFileSchema, options: AJV_OPTIONS, keywords: ['x-allowed', 'x-fix', 'x-problem'] },
    cacheDir,
  );
}

const validateFile = loadFleetValidator();

const FLEET_EXT = /\.ya?ml$/;

/** Checks one fleet file's text and collects every error and warning instead of throwing. */
export function checkFleetFile(relFile: string, text: string): FleetFileCheck {
  const file = relFile.split('\\').join('/');
  let parsed: { source: YamlSource; data: Record<string, unknown> };
  try {
    parsed = parseFast(file, text) ?? parseSingleMapping(file, text, FleetError, 'Agent resource');
  } catch (err) {
    if (err instanceof FleetError) return { file, errors: [err], warnings: [] };
    throw err;
  }
  const { source, data } = parsed;

  const early = bothModesInMode(source, data);
  if (early) return { file, errors: [early], warnings: [] };

  if (!validateFile(data)) {
    const errors = schemaErrors(source, (validateFile.errors ?? []) as ErrorObject[], FleetError);
    return { file, errors, warnings: [] };
  }

  const errors: FleetError[] = [];
  const warnings: FleetWarning[] = [];
  const ctx = {
    file,
    data,
    source,
    error: (segments: readonly (string | number)[], d: Omit<ProblemDetails, 'field'> & { field?: string }) =>
      errors.push(source.error(FleetError, segments, d)),
    warn: (segments: readonly (string | number)[], d: Omit<ProblemDetails, 'field'> & { field?: string }) =>
      warnings.push(source.error(FleetWarning, segments, d)),
  };
  for (const rule of fleetRules) rule(ctx);
  errors.sort(byPosition);
  warnings.sort(byPosition);
  if (errors.length > 0) return { file, errors, warnings };

  const agentResource = toAgentResource(data);
  const fleetAgent: FleetAgent = {
    id: `${agentResource.metadata.namespace}/${agentResource.metadata.name}`,
    file,
    agent: agentResource,
    rollout: toRolloutSettings(data['rollout']),
    warnings: warnings.map(toWarningInfo),
  };
  rememberSource(fleetAgent, source);
  return { file, agent: fleetAgent, errors, warnings };
}

/**
 * Text that the fast reader may take: one document, no marker or directive lines, no byte-order
 * mark, CR, tab or NUL, and nothing that looks like an anchor or alias (the `yaml` package counts
 * alias expansions its own way). Anything else goes straight to the `yaml` package.
 */
const FAST_UNSAFE = /^(?:---|\.\.\.|%)|[\r\t\0\ufeff]|(?:^|[\s[{,])[&*]\S/m;

/**
 * The fast path of fleet loading: the validator's subset reader (which resolves what it accepts
 * exactly as the `yaml` package does, and throws `Unsupported` otherwise) plus a source that is
 * parsed with positions only when an error or warning needs a line. Returns undefined when the
 * file must go through `parseSingleMapping` (outside the subset, empty, not a mapping, duplicate
 * keys): that path produces every parse error, with its line, exactly as before.
 */
function parseFast(file: string, text: string): { source: YamlSource; data: Record<string, unknown> } | undefined {
  if (FAST_UNSAFE.test(text)) return undefined;
  let data: unknown;
  try {
    const lines = text.split('\n');
    data = parseFastDocument(lines, 0, lines.length);
  } catch (err) {
    if (err instanceof Unsupported || err instanceof RangeError) return undefined;
    throw err;
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) return undefined;
  const source = new LazyYamlSource(file, () => parseSingleMapping(file, text, FleetError, 'Agent resource').source);
  return { source, data: data as Record<string, unknown> };
}

/** Parses and validates one fleet file; throws the first `FleetError` (in file order). */
export function parseFleetFile(relFile: string, text: string): FleetAgent {
  const result = checkFleetFile(relFile, text);
  if (result.errors[0]) throw result.errors[0];
  return result.agent!;
}

/** Reads `<root>/<relFile>` and parses it; errors name `relFile`. */
export function loadAgentFile(root: string, relFile: string): FleetAgent {
  return parseFleetFile(relFile, readFleetText(root, relFile));
}

/**
 * Every fleet file below `root` (relative paths, `/` separators, sorted). A YAML file outside a
 * `<namespace>/` folder, or nested deeper, is an error: it would otherwise be silently skipped.
 */
export function listFleetFiles(root: string): string[] {
  const { files, errors } = scanFleet(root);
  if (errors[0]) throw errors[0];
  return files;
}

/**
 * The fleet files and the misplaced YAML files (errors), without reading any fleet file; throws
 * only when `root` cannot be read. What an incremental synthesis lists before it hashes the files.
 * With `only`, the folders of those namespaces alone are listed (a pull request's scope: at
 * 10,000 agents the other folders are most of the work), and nothing at the top of `root`.
 */
export function scanFleet(
  root: string,
  only?: ReadonlySet<string>,
): {
  files: string[];
  errors: FleetError[];
  /**
   * Files that are not plain regular files in a plain folder (a link, or reached through a
   * linked namespace folder, or not a regular file): read them with `readFleetText(.., false)`.
   */
  linked: Set<string>;
} {
  let entries: Dirent[];
  try {
    entries = readdirSync(root, { withFileTypes: true }).sort(byName);
  } catch (err) {
    throw new FleetError(
      { file: root, line: 0, column: 0 },
      {
        field: '',
        problem: `cannot read the fleet folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        value: root,
        allowed: 'a folder holding <namespace>/<agent>.yaml files',
        fix: 'pass the path of the fleet folder (e.g. fleet)',
      },
    );
  }
  const files: string[] = [];
  const errors: FleetError[] = [];
  const linked = new Set<string>();
  for (const ns of entries) {
    if (ns.name.startsWith('.') || (only && !only.has(ns.name))) continue;
    const nsPath = join(root, ns.name);
    if (ns.isSymbolicLink()) {
      // A namespace folder may be a link, but only to a folder inside the fleet root.
      const why = outsideReason(root, nsPath, 'dir');
      if (why && !(why === 'not a folder' && !FLEET_EXT.test(ns.name))) {
        errors.push(notFollowed(ns.name, why));
        continue;
      }
    }
    if (!isDirectory(ns, nsPath)) {
      if (FLEET_EXT.test(ns.name)) errors.push(misplaced(ns.name));
      continue;
    }
    const children = readdirSync(nsPath, { withFileTypes: true }).sort(byName);
    for (const child of children) {
      if (child.name.startsWith('.')) continue;
      const rel = posix.join(ns.name, child.name);
      const childPath = join(nsPath, child.name);
      if (child.isSymbolicLink()) {
        const why = outsideReason(root, childPath, FLEET_EXT.test(child.name) ? 'file' : 'dir');
        if (why && (FLEET_EXT.test(child.name) || why !== 'not a folder')) {
          errors.push(notFollowed(rel, why));
          continue;
        }
      }
      if (isDirectory(child, childPath)) {
        if (containsYaml(childPath)) errors.push(misplaced(`${rel}/`));
        continue;
      }
      if (FLEET_EXT.test(child.name)) {
        files.push(rel);
        if (ns.isSymbolicLink() || !child.isFile()) linked.add(rel);
      }
    }
  }
  return { files, errors, linked };
}

/** Like `loadFleet`, but collects the findings of every file instead of throwing the first one. */
export function checkFleet(root: string): { agents: FleetAgent[]; errors: FleetError[]; warnings: FleetWarning[] } {
  const agents: FleetAgent[] = [];
  const errors: FleetError[] = [];
  const warnings: FleetWarning[] = [];
  const byId = new Map<string, FleetAgent>();
  const scan = scanFleet(root);
  errors.push(...scan.errors);
  for (const rel of scan.files) {
    // Plain files (no link on the way, scanFleet says) are read without resolving links again.
    const result = checkFleetFile(rel, readFleetText(root, rel, !scan.linked.has(rel)));
    errors.push(...result.errors);
    warnings.push(...result.warnings);
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
  return { agents, errors, warnings };
}

/** Loads every agent of the fleet, sorted by id; throws the first `FleetError`. */
export function loadFleet(root: string): FleetAgent[] {
  const { agents, errors } = checkFleet(root);
  if (errors[0]) throw errors[0];
  return agents;
}

/**
 * The text of one fleet file (a regular file inside the root), or a `FleetError` naming it.
 * `plain`: `scanFleet` saw neither the file nor its namespace folder as a link, so it is inside
 * the root without resolving links again (what makes reading 10,000 files cheap).
 */
export function readFleetText(root: string, relFile: string, plain = false): string {
  try {
    return plain ? readFileSync(join(root, relFile), 'utf8') : readFileInside(root, relFile);
  } catch (err) {
    throw new FleetError(
      { file: relFile, line: 0, column: 0 },
      {
        field: '',
        problem: err instanceof OutsideError ? `not read: ${err.message}` : `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        value: relFile,
        allowed: 'a readable <namespace>/<agent>.yaml below the fleet root',
        fix: 'check the path and the file permissions',
      },
    );
  }
}

function byName(a: Dirent, b: Dirent): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** Directory entries, following symlinks (a namespace folder may be a link). */
function isDirectory(entry: Dirent, path: string): boolean {
  return entry.isDirectory() || (entry.isSymbolicLink() && statSync(path).isDirectory());
}

/** Whether a misplaced folder holds YAML; links are not followed and the search is bounded. */
function containsYaml(dir: string, depth = 0): boolean {
  if (depth > 8) return false;
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some((e) => (e.isFile() && FLEET_EXT.test(e.name)) || (e.isDirectory() && containsYaml(join(dir, e.name), depth + 1)));
}

function notFollowed(rel: string, why: string): FleetError {
  return new FleetError(
    { file: rel, line: 0, column: 0 },
    {
      field: '',
      problem: `not read: ${why}`,
      value: rel,
      allowed: 'folders and regular files inside the fleet root (links only to places inside it)',
      fix: 'replace the link with the files themselves, or point it inside the fleet root',
    },
  );
}

function misplaced(rel: string): FleetError {
  return new FleetError(
    { file: rel, line: 0, column: 0 },
    {
      field: '',
      problem: 'fleet files sit exactly one folder deep: <namespace>/<agent>.yaml',
      value: rel,
      allowed: '<namespace>/<agent>.yaml',
      fix: 'move the file into the folder named after its namespace',
    },
  );
}

/** The error for an agent id found in two files (`checkFleet`, and incremental synthesis from its cache). */
export function duplicateId(
  agent: Pick<FleetAgent, 'id' | 'file'>,
  other: Pick<FleetAgent, 'file'>,
): FleetError {
  const loc: Location = { file: agent.file, line: 1, column: 1 };
  return new FleetError(loc, {
    field: 'metadata.name',
    problem: `agent ${agent.id} is defined twice, in ${other.file} and in ${agent.file}`,
    value: agent.id,
    allowed: 'one file per agent id (<namespace>/<name>)',
    fix: `keep one of ${other.file} and ${agent.file} and delete the other`,
  });
}

/**
 * `mode: [manual, progressive]` (or any list/mapping) asks for both modes at once. Checked before
 * the schema so the user gets the reason, not "must be string".
 */
function bothModesInMode(source: YamlSource, data: Record<string, unknown>): FleetError | undefined {
  const rollout = data['rollout'];
  if (!rollout || typeof rollout !== 'object' || Array.isArray(rollout)) return undefined;
  const r = rollout as Record<string, unknown>;
  const mode = r['mode'];
  const modeKeys = ['manual', 'progressive'].filter((k) => k in r);
  if (Array.isArray(mode) || (mode !== null && typeof mode === 'object')) {
    return source.error(FleetError, ['rollout', 'mode'], {
      problem: 'both rollout modes on one agent: an agent has exactly one mode (manual and progressive objects share names and collide)',
      value: mode,
      allowed: 'manual | progressive',
      fix: 'pick one mode: manual (Git owns the weight) or progressive (Flagger owns the weight); split the agent if you need both',
    });
  }
  if (modeKeys.length > 0) {
    return source.error(FleetError, ['rollout', modeKeys[0]!], {
      problem: 'both rollout modes on one agent: modes are chosen with `mode:`, not with per-mode blocks',
      value: modeKeys,
      allowed: 'mode: manual | progressive',
      fix: `replace the \`${modeKeys.join('`/`')}\` block(s) with \`mode: <one mode>\``,
    });
  }
  return undefined;
}

function byPosition(a: LocatedError, b: LocatedError): number {
  return a.line - b.line || a.column - b.column;
}

function toWarningInfo(w: FleetWarning): FleetWarningInfo {
  return { file: w.file, line: w.line, column: w.column, field: w.field, message: w.message };
}
