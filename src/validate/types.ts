/**
 * The validator's vocabulary, shared by every stage of the pipeline
 * (load -> schema -> rules -> report), after kubeconform's resource/validator/output split.
 */

export type Severity = 'error' | 'warning';

/** kubeconform's result statuses: one per resource (or per file when nothing could be read). */
export type ResultStatus = 'valid' | 'invalid' | 'error' | 'skipped';

/** `kind namespace/name` of the object a finding is about. */
export interface ObjectRef {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly namespace?: string;
  readonly name?: string;
}

/** One problem, located as precisely as the input allows. */
export interface Finding {
  /** Stable id, e.g. `schema`, `flagger-step-mode`; documented in docs/validate.md. */
  readonly ruleId: string;
  readonly severity: Severity;
  /** What is wrong, naming the value and the allowed values. */
  readonly message: string;
  /** How to fix it. */
  readonly fix?: string;
  /** File path as given by the user (or `<stdin>`). */
  readonly file: string;
  /** 1-based line; 0 when unknown. */
  readonly line: number;
  readonly object?: ObjectRef;
  /** JSON path inside the object, dotted with [i] for arrays, e.g. `spec.analysis.webhooks[0].timeout`. */
  readonly path?: string;
}

/** A Kubernetes object read from a file, with enough context to locate any of its fields. */
export interface Resource {
  readonly file: string;
  /** 0-based index of the YAML document in the file (items of a `kind: List` share their document). */
  readonly docIndex: number;
  /** 1-based line where the object starts. */
  readonly line: number;
  readonly object: Record<string, unknown>;
  /** Path prefix when the object is an item of a `kind: List` (e.g. `items[2]`), else ''. */
  readonly basePath: string;
  /** Line of a JSON path inside this object (deepest existing node); `line` when not found. */
  locate(path: readonly (string | number)[]): number;
  /** Warnings the loader found in this object's text (e.g. YAML 1.1 booleans). */
  notes?: Finding[];
}

export interface ResourceResult {
  readonly file: string;
  readonly line: number;
  readonly object?: ObjectRef;
  readonly status: ResultStatus;
  readonly findings: readonly Finding[];
}

/** What a pull request does to live traffic of one agent (`validate --base`). */
export interface TrafficChange {
  /** `<namespace>/<agent>` */
  readonly agent: string;
  readonly kind:
    | 'canary-started'
    | 'canary-stopped'
    | 'promoted'
    | 'weight'
    | 'plan'
    | 'challenger'
    | 'stable'
    | 'mode'
    | 'added'
    | 'removed';
  /** Human sentence, e.g. `weight 10 -> 25`. */
  readonly summary: string;
  readonly from?: unknown;
  readonly to?: unknown;
}

export interface Summary {
  readonly resources: number;
  readonly files: number;
  readonly valid: number;
  readonly invalid: number;
  readonly errors: number;
  readonly skipped: number;
  readonly errorFindings: number;
  readonly warningFindings: number;
}

export interface Report {
  readonly results: readonly ResourceResult[];
  /** Every finding, resource-level and cross-resource, sorted by file and line. */
  readonly findings: readonly Finding[];
  readonly changes: readonly TrafficChange[];
  readonly summary: Summary;
  /** Exit code per the contract: 0 valid, 1 violations, 2 could not validate. */
  readonly exitCode: 0 | 1 | 2;
}

/** JSON path segments -> `spec.analysis.webhooks[0].timeout`. */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(seg)) out += out ? `.${seg}` : seg;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out;
}

export function objectRef(obj: Record<string, unknown>): ObjectRef {
  const md = (obj.metadata ?? {}) as Record<string, unknown>;
  return {
    apiVersion: typeof obj.apiVersion === 'string' ? obj.apiVersion : undefined,
    kind: typeof obj.kind === 'string' ? obj.kind : undefined,
    namespace: typeof md.namespace === 'string' ? md.namespace : undefined,
    name: typeof md.name === 'string' ? md.name : undefined,
  };
}

/** `Deployment team-a/support-bot` */
export function formatObject(ref: ObjectRef | undefined): string {
  if (!ref) return '';
  const ns = ref.namespace ? `${ref.namespace}/` : '';
  return `${ref.kind ?? '?'} ${ns}${ref.name ?? '?'}`;
}
