/**
 * The pipeline, as kubeconform reads: resources (load) -> registry (schema lookup) -> validator
 * (ajv) -> rules (canary policies) -> report. Statuses per resource: valid, invalid (a finding of
 * severity error), error (could not be validated: unreadable, no kind, no schema) and skipped.
 */
import type { FleetAgent } from '../fleet/types.js';
import type { Policy } from '../policy/types.js';
import { collectInputs, type InputFile } from './load/read.js';
import { checkInWorkers, workerCount, type CheckedFiles } from './parallel.js';
import { loadFile } from './load/file.js';
import { SchemaRegistry } from './schema/registry.js';
import { checkSchema } from './schema/check.js';
import { rules as allRules, ruleView, type LiveCanary, type Rule } from './rules/index.js';
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
  /**
   * Worker threads for reading, parsing and schema checks (`--workers`); 0: in-process.
   * @default one per core from `WORKER_THRESHOLD` (20,000) files on, else 0 (parallel.ts)
   */
  readonly workers?: number;
}

/** Findings that are not about one resource, with extra traffic changes (PR mode). */
export interface Extra {
  readonly findings?: readonly Finding[];
  readonly changes?: readonly TrafficChange[];
  /** The fleet as the caller already read it (PR mode reads only the namespaces in scope). */
  readonly fleet?: LoadedFleet;
  /**
   * What the caller derives from the head's objects once this pipeline has read them (PR mode:
   * the traffic changes and base weights), so the head is parsed once; called before the rules.
   */
  readonly fromHead?: (resources: readonly Resource[]) => Promise<FromHead>;
}

/** What `Extra.fromHead` adds: findings and changes, and the base weights the rules compare with. */
export interface FromHead {
  readonly findings?: readonly Finding[];
  readonly changes?: readonly TrafficChange[];
  readonly baseWeights?: ReadonlyMap<string, number>;
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
  const skip = new Set(opts.skipKinds ?? []);
  // Workers for large trees of files; `--schemas` lookups stay in one registry (their problems
  // are reported per lookup, in order).
  const count =
    inputs.some((i) => i.file === '<stdin>') || opts.schemaDirs?.length
      ? 0
      : workerCount(inputs.length, opts.workers);
  const inWorkers =
    count > 0
      ? checkInWorkers(
          inputs,
          count,
          { crds: opts.crds, skipKinds: [...skip], skipMissingSchemas: opts.skipMissingSchemas },
          registry.problems,
        ).catch((err: unknown) => {
          // A worker failed: the same stage in-process gives the same result.
          if (process.env.AGENT_CANARY_DEBUG)
            console.error(
              `agent-canary validate: workers failed, checking in-process: ${String(err)}`,
            );
          return undefined;
        })
      : undefined;
  // The fleet beside the manifests: its agents name the policies, its broken files are findings.
  const fleet: LoadedFleet | undefined =
    extra.fleet ??
    (Array.isArray(opts.fleet)
      ? undefined
      : loadFleetRoot(fleetRoot(opts.fleet as string | undefined, paths)));
  // (read here while the workers, if any, parse: this thread has nothing else to do)
  const stage: CheckedFiles =
    (await inWorkers) ?? (await checkInProcess(inputs, registry, skip, opts));
  const { resources, perResource, status, checked } = stage;
  const late: FromHead = extra.fromHead ? await extra.fromHead(resources) : {};
  const baseWeights = late.baseWeights ?? opts.baseWeights;
  const extraFindings = [...(extra.findings ?? []), ...(late.findings ?? [])];
  const fileFindings: Finding[] = [...inputFindings, ...stage.fileFindings];

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

  // Problems with schema sources, including those met while looking kinds up.
  for (const p of [...registry.problems, ...stage.problems])
    setup.push({
      ruleId: 'schema-source',
      severity: 'error',
      file: p.file,
      line: 0,
      message: p.message,
      fix: 'pass readable CRD YAML files (--crd) or a kubeconform schema directory (--schemas)',
    });

  const fleetFindings = fleet?.findings ?? [];

  // Rules stage.
  if (opts.rules !== false && checked.length) {
    const policyFor = policyResolver(opts, setup, fleet);
    const live = opts.live ? loadLive(opts.live, setup) : new Map<string, LiveCanary>();
    const ctx = createContext(checked, { policyFor, live, baseWeights }, (r, f) =>
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
  for (const f of [...fleetFindings, ...extraFindings])
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
    ...extraFindings,
  ].sort(byLocation);
  const report = buildReport(
    results,
    findings,
    [...(extra.changes ?? []), ...(late.changes ?? [])],
    inputs.length,
    opts.failOnWarn ?? false,
    resources.length,
  );
  return { report, resources };
}

/** Reading, parsing and schema checks in this thread. */
async function checkInProcess(
  inputs: readonly InputFile[],
  registry: SchemaRegistry,
  skip: ReadonlySet<string>,
  opts: ValidateOptions,
): Promise<CheckedFiles> {
  const out: CheckedFiles = {
    resources: [],
    fileFindings: [],
    perResource: new Map(),
    status: new Map(),
    checked: [],
    problems: [],
  };
  // File by file, each object checked as soon as it is read and then kept only as the rules see
  // it (ruleView, as workers send it): most of a large tree's objects (ConfigMaps, MetricTemplates,
  // Services, ...) are then garbage before the next file instead of living to the end of the run,
  // which is most of the garbage collector's work and of the peak memory. Same order as reading
  // every file first: the objects, findings and schema lookups come in file order either way.
  for (const input of inputs) {
    const loaded = await loadFile(input.file, input.read);
    out.fileFindings.push(...loaded.findings);
    for (const read of loaded.resources) {
      const done = await checkSchema(read, registry, skip, opts);
      const object = ruleView(read.object);
      const r: Resource = object === read.object ? read : { ...read, object };
      out.resources.push(r);
      out.perResource.set(r, done.list);
      if (done.status) out.status.set(r, done.status);
      if (done.checked) out.checked.push(r);
    }
  }
  return out;
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
