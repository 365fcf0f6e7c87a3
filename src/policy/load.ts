/**
 * Loading rollout policies (`policies/<name>.yaml`) and resolving the policy of one agent.
 *
 * A policy file is parsed keeping line numbers, checked against `policySpecSchema`, completed with
 * the defaults and checked by the cross-field rules. `resolvePolicy` merges an agent's
 * `rollout.overrides` over its policy and runs the same checks; a problem caused by an override is
 * reported at the override's line in the fleet file, any other at the policy file's line.
 */
import { readdirSync } from 'node:fs';
import { OutsideError, readFileInside } from '../fs/inside.js';
import { isAbsolute, join, relative, sep } from 'node:path';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { cachedValidator } from '../package/compiled-schema.js';
import { Document, LineCounter } from 'yaml';
import { LocatedError } from '../errors/located.js';
import { fieldPath, type PathSegment } from '../yaml/path.js';
import { parseSingleMapping } from '../yaml/single-document.js';
import { schemaErrors } from '../yaml/schema-errors.js';
import { YamlSource } from '../yaml/source.js';
import { sourceOf } from '../yaml/origin.js';
import { completeSpec, DEFAULT_POLICY_SPEC } from './defaults.js';
import { checkPolicySpec, type PolicyFinding } from './rules.js';
import { policyFileSchema, policySpecSchema } from './schema.js';
import type { Policy, PolicySpec } from './types.js';

/** A policy that cannot be used, or an agent's overrides that break its policy. */
export class PolicyError extends LocatedError {}

// `optimize: false`: ajv's code optimization passes cost more than half of compiling these two
// schemas (measured 150-300 ms -> 90-105 ms here); they validate a handful of small policy
// documents, where the unoptimized code's speed does not show. The compiled code is kept in the
// user's cache directory (src/package/compiled-schema.ts), and each validator is built on its
// first use: most agents have no overrides, so most runs never need `validateSpec`.
const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, code: { optimize: false } };
const KEYWORDS = ['x-allowed', 'x-fix', 'x-problem'];
let fileValidator: ValidateFunction | undefined;
let specValidator: ValidateFunction | undefined;
const policyFileValidator = (): ValidateFunction =>
  (fileValidator ??= cachedValidator({
    name: 'policy-schema',
    schema: policyFileSchema,
    options: AJV_OPTIONS,
    keywords: KEYWORDS,
  }));
const policySpecValidator = (): ValidateFunction =>
  (specValidator ??= cachedValidator({
    name: 'policy-spec-schema',
    schema: policySpecSchema,
    options: AJV_OPTIONS,
    keywords: KEYWORDS,
  }));

const sources = new WeakMap<Policy, YamlSource>();
const POLICY_EXT = /\.ya?ml$/;

/**
 * Parses one policy file. `file` is the path shown in errors; the policy's name must equal the
 * file name without extension.
 */
export function parsePolicyFile(file: string, text: string): Policy {
  const { source, data } = parseSingleMapping(file, text, PolicyError, 'RolloutPolicy');
  const validateFile = policyFileValidator();
  if (!validateFile(data)) {
    throw schemaErrors(source, (validateFile.errors ?? []) as ErrorObject[], PolicyError)[0]!;
  }
  const name = (data['metadata'] as { name: string }).name;
  const stem = (file.split(/[\\/]/).pop() ?? file).replace(POLICY_EXT, '');
  if (name !== stem) {
    throw source.error(PolicyError, ['metadata', 'name'], {
      problem: `metadata.name must equal the file name without extension ('${stem}'); agents refer to policies by that name`,
      value: name,
      allowed: stem,
      fix: `set metadata.name to ${stem}, or rename the file to ${name}.yaml`,
    });
  }
  const spec = completeSpec(DEFAULT_POLICY_SPEC, data['spec'] ?? {});
  const finding = checkPolicySpec(spec)[0];
  if (finding) throw policyFindingError(source, finding, data['spec']);
  const policy: Policy = {
    apiVersion: 'agent-canary.dev/v1alpha1',
    kind: 'RolloutPolicy',
    metadata: { name },
    spec,
  };
  sources.set(policy, source);
  return policy;
}

/** Loads every `*.yaml` (and `*.yml`) of `dir`, keyed by policy name, in name order. */
export function loadPolicies(dir: string): Map<string, Policy> {
  let names: string[];
  try {
    names = readdirSync(dir)
      .filter((n) => POLICY_EXT.test(n) && !n.startsWith('.'))
      .sort();
  } catch (err) {
    throw new PolicyError(
      { file: displayPath(dir), line: 0, column: 0 },
      {
        field: '',
        problem: `cannot read the policy folder: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
        value: dir,
        allowed: 'a folder of <name>.yaml RolloutPolicy files',
        fix: 'pass the path of the policies folder (e.g. policies)',
      },
    );
  }
  const out = new Map<string, Policy>();
  const fileOf = new Map<string, string>();
  for (const n of names) {
    const file = displayPath(join(dir, n));
    let text: string;
    try {
      // Only regular files inside the policies folder: a link to /proc/self/environ is refused.
      text = readFileInside(dir, n);
    } catch (err) {
      throw new PolicyError(
        { file, line: 0, column: 0 },
        {
          field: '',
          problem:
            err instanceof OutsideError
              ? `not read: ${err.message}`
              : `cannot read the file: ${(err as NodeJS.ErrnoException).code ?? String(err)}`,
          value: n,
          allowed: 'regular <name>.yaml files inside the policies folder',
          fix: 'replace the link with the file itself',
        },
      );
    }
    const policy = parsePolicyFile(file, text);
    const name = policy.metadata.name;
    const other = fileOf.get(name);
    if (other) {
      throw new PolicyError(
        { file, line: sources.get(policy)?.locate(['metadata', 'name']).line ?? 1, column: 1 },
        {
          field: 'metadata.name',
          problem: `policy ${name} is defined twice, in ${other} and in ${file}`,
          value: name,
          allowed: 'one file per policy name',
          fix: `keep one of ${other} and ${file}`,
        },
      );
    }
    fileOf.set(name, file);
    out.set(name, policy);
  }
  return out;
}

/**
 * What the resolver needs of a fleet agent (a `FleetAgent` fits). Stated here, not imported, so
 * the policy model sits below the fleet model: a fleet file names a policy, not the other way.
 */
export interface PolicyUser {
  /** `namespace/name`, for messages. */
  readonly id: string;
  /** The fleet file, relative to the fleet root, for messages when no parsed source is known. */
  readonly file: string;
  readonly rollout: {
    readonly policy: string;
    readonly overrides?: Readonly<Record<string, unknown>>;
  };
}

/**
 * The complete policy spec of one agent: the policy named by `rollout.policy` with
 * `rollout.overrides` deep-merged over it (lists replace), validated.
 */
export function resolvePolicy(
  policies: ReadonlyMap<string, Policy>,
  agent: PolicyUser,
): PolicySpec {
  const fleetSource = sourceOf(agent) ?? emptySource(agent.file);
  const name = agent.rollout.policy;
  const policy = policies.get(name);
  if (!policy) {
    const available = [...policies.keys()].sort();
    throw fleetSource.error(PolicyError, ['rollout', 'policy'], {
      problem: `agent ${agent.id} uses policy '${name}', which does not exist`,
      value: name,
      allowed: available.length ? available.join(', ') : '(no policies loaded)',
      fix: available.length
        ? `set rollout.policy to one of ${available.join(', ')}, or add policies/${name}.yaml`
        : `add policies/${name}.yaml`,
    });
  }
  const overrides = agent.rollout.overrides;
  if (overrides === undefined || Object.keys(overrides).length === 0) return policy.spec;
  const validateSpec = policySpecValidator();
  if (!validateSpec(overrides)) {
    throw schemaErrors(fleetSource, (validateSpec.errors ?? []) as ErrorObject[], PolicyError, {
      prefix: ['rollout', 'overrides'],
    })[0]!;
  }
  const merged = completeSpec(policy.spec, overrides);
  const finding = checkPolicySpec(merged)[0];
  if (finding) {
    const fromOverride = [finding.path, ...(finding.related ?? [])].some((p) =>
      hasPath(overrides, p),
    );
    if (fromOverride) {
      const direct = hasPath(overrides, finding.path);
      const path = direct ? finding.path : finding.related!.find((p) => hasPath(overrides, p))!;
      throw fleetSource.error(PolicyError, ['rollout', 'overrides', ...path], {
        problem: `${finding.problem} (policy ${name} with the overrides of ${agent.id})`,
        value: direct ? finding.value : valueAt(overrides, path),
        allowed: direct ? finding.allowed : (finding.relatedAllowed ?? finding.allowed),
        fix: finding.fix,
      });
    }
    const source = sources.get(policy) ?? emptySource(`policies/${name}.yaml`);
    throw policyFindingError(source, finding, undefined);
  }
  return merged;
}

/** The source a policy was parsed from (for tools that want to point at a policy's lines). */
export function policySource(policy: Policy): YamlSource | undefined {
  return sources.get(policy);
}

function policyFindingError(
  source: YamlSource,
  finding: PolicyFinding,
  rawSpec: unknown,
): PolicyError {
  const segments: PathSegment[] = ['spec', ...finding.path];
  const explicit =
    rawSpec === undefined ? source.locate(segments).exact : hasPath(rawSpec, finding.path);
  return source.error(PolicyError, segments, {
    ...finding,
    field: fieldPath(segments),
    problem: explicit ? finding.problem : `${finding.problem} (this value is the default)`,
  });
}

function valueAt(root: unknown, path: readonly PathSegment[]): unknown {
  let node: unknown = root;
  for (const seg of path) node = (node as Record<string | number, unknown> | undefined)?.[seg];
  return node;
}

function hasPath(root: unknown, path: readonly PathSegment[]): boolean {
  let node: unknown = root;
  for (const seg of path) {
    if (node === null || typeof node !== 'object') return false;
    if (!(seg in (node as object))) return false;
    node = (node as Record<string | number, unknown>)[seg];
  }
  return true;
}

/** A source for agents or policies built in code: no lines to point at (line 0). */
function emptySource(file: string): YamlSource {
  return new YamlSource(file, new Document(null), new LineCounter());
}

/** Paths in messages: relative to the working directory when below it (e.g. policies/default.yaml). */
function displayPath(p: string): string {
  const rel = relative(process.cwd(), p);
  const shown = rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : p;
  return shown.split(sep).join('/');
}
