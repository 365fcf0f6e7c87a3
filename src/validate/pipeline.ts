/**
 * The pipeline, as kubeconform reads: resources (load) -> registry (schema lookup) -> validator
 * (ajv) -> rules (canary policies) -> report. Statuses per resource: valid, invalid (a finding of
 * severity error), error (could not be validated: unreadable, no kind, no schema) and skipped.
 */
import type { FleetAgent } from '../fleet/types.js';
import type { Policy } from '../policy/types.js';
import { collectInputs, InputError } from './load/read.js';
import { loadText } from './load/documents.js';
import { SchemaRegistry } from './schema/registry.js';
import { schemaFindings } from './schema/findings.js';
import { removedApi } from './schema/removed-apis.js';
import { rules as allRules, type LiveCanary, type Rule } from './rules/index.js';
import { createContext } from './rules/context.js';
import { policyResolver } from './policy-resolver.js';
import { loadLive } from './load/live.js';
import { fleetRoot, loadFleetRoot, type LoadedFleet } from './fleet-files.js';
import {
  objectRef,
  type Finding,
  type Report,
  type Resource,
  type ResourceResult,
  type TrafficChange,
} from './types.js';

export interface ValidateOptions {
  /** Extra CRD files/directories (`--crd`). */
  readonly crds?: readonly string[];
  /** kubeconform-layout schema directories (`--schemas`). */
  readonly schemaDirs?: readonly string[];
  /** Report kinds without a schema as skipped instead of errors. @default false */
  readonly skipMissingSchemas?: boolean;
  /** Kinds to skip entirely (`--skip Kind,Kind`). @default [] */
  readonly skipKinds?: readonly string[];
  /** Policy directory, or the policies themselves. @default 'policies' when it exists */
  readonly policies?: string | ReadonlyMap<string, Policy>;
  /** Fleet root, used to find each agent's policy and overrides. @default 'fleet' when it exists */
  readonly fleet?: string | readonly FleetAgent[];
  /** Live Canary status file (`--live`). */
  readonly live?: string;
  /** Exit 1 on warnings too. @default false */
  readonly failOnWarn?: boolean;
  /** @default 64 MiB */
  readonly maxFileBytes?: number;
  /** Text for `-` (tests, programmatic use). */
  readonly stdin?: string;
  /** Run the canary rules. @default true */
  readonly rules?: boolean;
  /** Manual weights at the base revision (PR mode). */
  readonly baseWeights?: ReadonlyMap<string, number>;
  /** Reuse compiled schemas across calls. */
  readonly registry?: SchemaRegistry;
}

/** Findings that are not about one resource, with extra traffic changes (PR mode). */
export interface Extra {
  readonly findings?: readonly Finding[];
  readonly changes?: readonly TrafficChange[];
  /** The fleet as the caller already read it (PR mode reads only the namespaces in scope). */
  readonly fleet?: LoadedFleet;
}

export async function runPipeline(
  paths: readonly string[],
  opts: ValidateOptions = {},
  extra: Extra = {},
): Promise<{ report: Report; resources: Resource[] }> {
  const setup: Finding[] = [];
  const registry =
    opts.registry ?? new SchemaRegistry({ crds: opts.crds, schemaDirs: opts.schemaDirs });
  // CRDs named on the command line are read now, so a broken one is reported (exit 2) even when
  // no object needs it; built-in CRDs and schema files are read on first use.
  if (opts.crds?.length) registry.loadCrds();

  const { inputs, findings: inputFindings } = await collectInputs(paths, {
    maxFileBytes: opts.maxFileBytes,
    stdin: opts.stdin,
  });
  const results: ResourceResult[] = [];
  const fileFindings: Finding[] = [...inputFindings];
  const resources: Resource[] = [];
  for (const input of inputs) {
    let text: string;
    try {
      text = await input.read();
    } catch (err) {
      const fix = err instanceof InputError ? err.fix : 'check the path and its permissions';
      fileFindings.push({
        ruleId: 'input',
        severity: 'error',
        file: input.file,
        line: 0,
        message: `cannot read: ${err instanceof Error ? err.message : String(err)}`,
        fix,
      });
      continue;
    }
    const loaded = loadText(input.file, text);
    fileFindings.push(...loaded.findings);
    resources.push(...loaded.resources);
  }

  if (!resources.length && !fileFindings.length) {
    fileFindings.push({
      ruleId: 'input',
      severity: 'error',
      file: paths.join(' '),
      line: 0,
      message: `no Kubernetes objects found in ${paths.join(', ')} (${inputs.length} file${inputs.length === 1 ? '' : 's'} read${inputs.length ? ', all empty' : ''})`,
      fix: 'pass the files or directories holding the manifests (directories are searched for .yaml, .yml and .json)',
    });
  }

  // Schema stage.
  const perResource = new Map<Resource, Finding[]>();
  const status = new Map<Resource, ResourceResult['status']>();
  const skip = new Set(opts.skipKinds ?? []);
  const checked: Resource[] = [];
  for (const r of resources) {
    const list: Finding[] = [...(r.notes ?? [])];
    perResource.set(r, list);
    const { apiVersion, kind } = r.object;
    if (typeof kind === 'string' && skip.has(kind)) {
      status.set(r, 'skipped');
      continue;
    }
    if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !apiVersion || !kind) {
      const missing = [
        typeof apiVersion !== 'string' || !apiVersion ? 'apiVersion' : '',
        typeof kind !== 'string' || !kind ? 'kind' : '',
      ].filter(Boolean);
      list.push({
        ruleId: 'missing-kind',
        severity: 'error',
        file: r.file,
        line: r.line,
        object: objectRef(r.object),
        path: r.basePath,
        message: `object has no ${missing.join(' and ')}`,
        fix: 'every Kubernetes object needs apiVersion and kind',
      });
      status.set(r, 'error');
      continue;
    }
    const removed = removedApi(apiVersion, kind);
    if (removed) {
      // The cluster answers "no matches for kind" whatever the schema says: invalid, not checked.
      list.push({
        ruleId: 'removed-api',
        severity: 'error',
        file: r.file,
        line: r.locate(['apiVersion']),
        object: objectRef(r.object),
        path: r.basePath ? `${r.basePath}.apiVersion` : 'apiVersion',
        message: `${kind} ${apiVersion} is no longer served (removed in Kubernetes ${removed.removedIn})${removed.replacement ? `; served as ${removed.replacement}` : ''}`,
        fix: removed.replacement
          ? `use apiVersion: ${removed.replacement} (and the fields that version requires)`
          : (removed.note ?? 'remove the object'),
      });
      continue;
    }
    const peeked = registry.peek(apiVersion, kind);
    const check = peeked === null ? await registry.lookup(apiVersion, kind) : peeked;
    if (!check) {
      if (opts.skipMissingSchemas) status.set(r, 'skipped');
      else {
        list.push({
          ruleId: 'missing-schema',
          severity: 'error',
          file: r.file,
          line: r.line,
          object: objectRef(r.object),
          path: r.basePath,
          message: `no schema for ${kind} (${apiVersion})`,
          fix: 'pass its CRD with --crd or a schema directory with --schemas, or use --skip-missing-schemas',
        });
        status.set(r, 'error');
      }
      continue;
    }
    const { errors, unknown } = check.validate(r.object);
    if (errors.length || unknown.length)
      list.push(...schemaFindings(r, check.source, errors, unknown));
    checked.push(r);
  }

  // Problems with schema sources, including those met while looking kinds up.
  for (const p of registry.problems)
    setup.push({
      ruleId: 'schema-source',
      severity: 'error',
      file: p.file,
      line: 0,
      message: p.message,
      fix: 'pass readable CRD YAML files (--crd) or a kubeconform schema directory (--schemas)',
    });

  // The fleet beside the manifests: its agents name the policies, its broken files are findings.
  const fleet: LoadedFleet | undefined =
    extra.fleet ??
    (Array.isArray(opts.fleet)
      ? undefined
      : loadFleetRoot(fleetRoot(opts.fleet as string | undefined, paths)));
  const fleetFindings = fleet?.findings ?? [];

  // Rules stage.
  if (opts.rules !== false && checked.length) {
    const policyFor = policyResolver(opts, setup, fleet);
    const live = opts.live ? loadLive(opts.live, setup) : new Map<string, LiveCanary>();
    const ctx = createContext(checked, { policyFor, live, baseWeights: opts.baseWeights }, (r, f) =>
      perResource.get(r)!.push(f),
    );
    for (const rule of allRules) runRule(rule, ctx, setup);
  }

  for (const r of resources) {
    const list = dedupe(perResource.get(r)!);
    perResource.set(r, list);
    const st =
      status.get(r) ??
      (list.some((f) => f.severity === 'error' || (opts.failOnWarn && f.severity === 'warning'))
        ? 'invalid'
        : 'valid');
    results.push({
      file: r.file,
      line: r.line,
      object: objectRef(r.object),
      status: st,
      findings: list,
    });
  }
  // A warning about a file (a hidden directory not entered) does not make it an error.
  for (const f of fileFindings)
    results.push({
      file: f.file,
      line: f.line,
      status: f.severity === 'error' ? 'error' : 'skipped',
      findings: [f],
    });
  // Findings about no single resource still get a result, so junit and the counts show them.
  for (const f of setup)
    results.push({ file: f.file, line: f.line, status: 'error', findings: [f] });
  for (const f of [...fleetFindings, ...(extra.findings ?? [])])
    results.push({
      file: f.file,
      line: f.line,
      object: f.object,
      status: f.severity === 'error' ? 'invalid' : 'valid',
      findings: [f],
    });

  const findings = [
    ...setup,
    ...fileFindings,
    ...resources.flatMap((r) => perResource.get(r)!),
    ...fleetFindings,
    ...(extra.findings ?? []),
  ].sort(byLocation);
  const report = buildReport(
    results,
    findings,
    extra.changes ?? [],
    inputs.length,
    opts.failOnWarn ?? false,
    resources.length,
  );
  return { report, resources };
}

/**
 * A rule that reports the same field as the schema explains it better (what Flagger does with the
 * value, the fix): keep the rule's finding. A failed oneOf on a parent is covered the same way.
 */
function dedupe(list: Finding[]): Finding[] {
  const rulePaths = list.filter((f) => f.ruleId !== 'schema').map((f) => f.path ?? '');
  if (!rulePaths.length) return list;
  return list.filter((f) => {
    if (f.ruleId !== 'schema') return true;
    const p = f.path ?? '';
    if (rulePaths.includes(p)) return false;
    return !(f.message.includes('alternatives') && rulePaths.some((rp) => rp.startsWith(`${p}.`)));
  });
}

function runRule(rule: Rule, ctx: Parameters<Rule['check']>[0], setup: Finding[]): void {
  try {
    rule.check(ctx);
  } catch (err) {
    // A rule that trips over unexpected input must not hide every other finding.
    setup.push({
      ruleId: rule.id,
      severity: 'error',
      file: '',
      line: 0,
      message: `rule failed: ${err instanceof Error ? err.message : String(err)}`,
      fix: 'report this as a bug in agent-canary validate',
    });
  }
}

export function buildReport(
  results: ResourceResult[],
  findings: Finding[],
  changes: readonly TrafficChange[],
  files: number,
  failOnWarn: boolean,
  resourceCount?: number,
): Report {
  const count = (s: ResourceResult['status']) => results.filter((r) => r.status === s).length;
  const errorFindings = findings.filter((f) => f.severity === 'error').length;
  const warningFindings = findings.filter((f) => f.severity === 'warning').length;
  const resourcesSeen = resourceCount ?? results.filter((r) => r.object).length;
  const couldNot =
    count('error') > 0 ||
    findings.some((f) => f.ruleId === 'schema-source' || f.ruleId === 'policy-source') ||
    resourcesSeen === 0;
  const exitCode: Report['exitCode'] = couldNot
    ? 2
    : errorFindings > 0 || (failOnWarn && warningFindings > 0)
      ? 1
      : 0;
  return {
    results,
    findings,
    changes,
    exitCode,
    summary: {
      resources: resourcesSeen,
      files,
      valid: count('valid'),
      invalid: count('invalid'),
      errors: count('error'),
      skipped: count('skipped'),
      errorFindings,
      warningFindings,
    },
  };
}

const byLocation = (a: Finding, b: Finding) =>
  a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line;
