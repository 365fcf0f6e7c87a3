/**
 * The canary lifecycle as Git commits: start, weight, promote, rollback (and status, which only
 * reads). Each mutating operation runs these named steps (`mutate`) inside one repository
 * transaction (`GitRepo.transact`, which first checks the agent's paths are clean):
 * 1. plan: reads `fleet/<namespace>/<name>.yaml`, resolves the agent's policy and decides the
 *    edit and its event (or that there is nothing to do);
 * 2. edit: edits the file in place, comments and layout kept, re-parses it with the fleet schema
 *    and rules and checks the weight move against the policy's steps;
 * 3. synthesize: re-synthesizes only that agent into `dist/<namespace>/<name>/` (objects that are
 *    no longer produced, like the canary's after promote or rollback, are deleted);
 * 4. validate: validates that output;
 * 5. commit: the message whose trailers name the event, the agent and the weights (`events.ts`);
 *    the transaction commits the fleet file and the output together and pushes.
 * A refusal at any step leaves the repository as it was. Repeating promote or rollback, or
 * setting the weight it already has, changes nothing and makes no commit.
 */
import { readdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { AgentCanaryError } from '../errors/error.js';
import { LocatedError } from '../errors/located.js';
import type { AgentCanarySpec, FleetAgent } from '../fleet/types.js';
import { formatAgentId, parseAgentId, type AgentRef } from './agent-id.js';
import type { Engine } from './engine.js';
import { GitOpsError } from './errors.js';
import {
  CHECK_FAILED_EVENT,
  commitMessage,
  type CommitEvent,
  type EventFacts,
  type Trailer,
} from './events.js';
import { FleetFileEditor } from './fleet-edit.js';
import type { Committed, GitRepo } from './repo.js';
import { startWeight, weightMove } from './strategy-plan.js';
import {
  dropBaseline,
  isProgressive,
  progressivePromote,
  PROGRESSIVE_ROLLBACK_NOTE,
} from './progressive.js';

/** Fields of the challenger that override the stable spec (Recif `CanarySpec` minus enabled/weight/version). */
export const CHALLENGER_FIELDS = [
  'image',
  'modelType',
  'modelId',
  'systemPrompt',
  'skills',
  'tools',
] as const;
export type ChallengerField = (typeof CHALLENGER_FIELDS)[number];

/**
 * The challenger configuration a start accepts (the `config` object of the API, the CLI flags):
 * the fleet's `AgentCanarySpec` fields, all optional. `version` defaults to the stable version + 1,
 * `weight` to the policy's first step.
 */
export type CanaryConfig = Partial<Pick<AgentCanarySpec, ChallengerField | 'version' | 'weight'>>;

/** The Recif status shape (`data` of the API responses), plus the agent id and rollout mode. */
export interface CanaryStatus {
  readonly agent_id: string;
  readonly enabled: boolean;
  /** The challenger's overrides (only the fields it sets). */
  readonly config: Partial<Pick<AgentCanarySpec, ChallengerField>>;
  readonly stable_version: string | null;
  readonly canary_version: string | null;
  /** Canary traffic share in percent; 0 without a running canary. */
  readonly weight: number;
  readonly mode: 'manual' | 'progressive';
}

export interface OperationOutcome {
  readonly agentId: string;
  /** The event committed, or undefined when nothing changed. */
  readonly event?: CommitEvent;
  readonly changed: boolean;
  /** What happened, in words (also for the no-op answers). */
  readonly detail: string;
  readonly status: CanaryStatus;
  readonly commit?: string;
  readonly branch: string;
  readonly pushed: boolean;
  readonly attempts: number;
  readonly weightFrom: number;
  readonly weightTo: number;
  /** Nothing was done because the state differs from `OperationOptions.expect`. */
  readonly moved?: boolean;
}

export interface OperationOptions {
  /** Commit onto this branch (pull request) instead of the checked-out one. */
  readonly branch?: string;
  /** Who asked; recorded as the `Agent-Canary-Actor` trailer. */
  readonly actor?: string;
  /** Evidence recorded as extra trailers of the commit (the gate's verdict, the checks, ...). */
  readonly trailers?: readonly Trailer[];
  /**
   * The state the caller decided on: when the agent no longer has it (another writer moved the
   * canary first, seen again after a rejected push), nothing is done and the outcome says so
   * (`changed: false`, `moved: true`), so one decision is never applied to a state it was not
   * made for.
   */
  readonly expect?: ExpectedState;
  /** The commit's author date (ms), from the caller's clock. @default now */
  readonly date?: number;
}

/** What a decision was made on: the canary's weight and version as read. */
export interface ExpectedState {
  readonly weight: number;
  readonly canaryVersion?: string;
}

/** A failed check to record (an empty commit carrying the evidence). */
export interface CheckRecord {
  readonly weight: number;
  readonly canaryVersion?: string;
  readonly detail: string;
  /**
   * Failed checks of this canary already in the history when the decision was made: after a
   * rejected push the count is read again, and a record another writer made first wins.
   */
  readonly failedBefore: number;
  /** Counts the failed checks of the canary in a work tree (read from its history). */
  readonly countFailed: (root: string) => Promise<number>;
}

export interface GitOpsOptions {
  readonly engine: Engine;
  /** Fleet folder inside the repository. @default 'fleet' */
  readonly fleetDir?: string;
  /** Policies folder inside the repository. @default 'policies' */
  readonly policiesDir?: string;
  /** Output folder inside the repository. @default 'dist' */
  readonly distDir?: string;
}

/** What one operation decides after reading the agent: an edit with its event, or nothing to do. */
type Plan =
  | { readonly kind: 'noop'; readonly detail: string; readonly moved?: boolean }
  | {
      readonly kind: 'edit';
      readonly event: CommitEvent;
      readonly edit: (e: FleetFileEditor) => void;
      readonly weightFrom: number;
      readonly weightTo: number;
      /** Check `weightFrom -> weightTo` against the policy's steps. */
      readonly checkSteps: boolean;
      readonly detail: string;
      readonly body?: readonly string[];
    };

type EditPlan = Extract<Plan, { kind: 'edit' }>;

/** Decides an operation's plan from the agent as read and its policy's first step. */
type Decide = (agent: FleetAgent, firstStep: number) => Plan;

/** The policies as the engine loads them. */
type Policies = ReturnType<Engine['loadPolicies']>;

/** The plan step's reading: the file, the agent in it, the policies and the decision. */
interface Planned {
  readonly relInFleet: string;
  readonly text: string;
  readonly agent: FleetAgent;
  readonly policies: Policies;
  readonly plan: Plan;
}

/** The agent's state differs from what the caller decided on (`OperationOptions.expect`). */
function movedFrom(agent: FleetAgent, expect: ExpectedState | undefined): string | undefined {
  if (!expect) return undefined;
  const s = statusOf(agent);
  const sameVersion =
    expect.canaryVersion === undefined || expect.canaryVersion === (s.canary_version ?? undefined);
  if (s.enabled && s.weight === expect.weight && sameVersion) return undefined;
  const now = s.enabled
    ? `version ${s.canary_version ?? '?'} at ${s.weight}%`
    : 'no canary running';
  return `the canary moved since the decision (decided on ${expect.weight}%${expect.canaryVersion ? ` of version ${expect.canaryVersion}` : ''}, now ${now}); nothing done`;
}

interface MutationResult {
  readonly plan: Plan;
  readonly agent: FleetAgent;
  readonly weights: readonly [number, number];
}

export function statusOf(agent: FleetAgent): CanaryStatus {
  const spec = agent.agent.spec;
  const canary = spec.canary ?? undefined;
  const enabled = canary?.enabled === true;
  const config: Record<string, unknown> = {};
  if (canary) for (const f of CHALLENGER_FIELDS) if (canary[f] !== undefined) config[f] = canary[f];
  return {
    agent_id: agent.id,
    enabled,
    config,
    stable_version: spec.version ?? null,
    canary_version: canary?.version ?? null,
    weight: enabled ? canary!.weight : 0,
    mode: agent.rollout.mode,
  };
}

/**
 * The version after `v`: the last number in it plus one (`3` -> `4`, `v1.2` -> `v1.3`). An agent
 * without a version is at 1 (Recif's first release). Undefined when `v` holds no number.
 */
export function nextVersion(v: string | undefined): string | undefined {
  if (v === undefined || v === '') return '2';
  const m = /(\d+)(?!.*\d)/.exec(v);
  if (!m) return undefined;
  return v.slice(0, m.index) + String(Number(m[1]) + 1) + v.slice(m.index + m[1]!.length);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The files of an agent's output folder (repository paths), or undefined when it holds anything
 * but files (then the commit scans the folder instead). A missing folder holds none.
 */
async function outputFiles(root: string, outputDir: string): Promise<string[] | undefined> {
  const entries = await readdir(join(root, outputDir), { withFileTypes: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    },
  );
  if (entries.some((e) => !e.isFile())) return undefined;
  return entries.map((e) => posix.join(outputDir, e.name));
}

function refused(err: unknown): never {
  if (err instanceof GitOpsError) throw err;
  if (err instanceof LocatedError)
    throw new GitOpsError('refused', err.message, {
      field: err.field,
      value: err.value,
      allowed: err.allowed,
    });
  // The generator's input errors (ConstructInputError, SynthesisError) name the agent, the prop
  // and the allowed values: the edit produced input the generator refuses.
  if (err instanceof AgentCanaryError && err.kind === 'bad-request')
    throw new GitOpsError('refused', err.message);
  throw err;
}

export class GitOps {
  readonly repo: GitRepo;
  private readonly engine: Engine;
  readonly fleetDir: string;
  readonly policiesDir: string;
  readonly distDir: string;

  constructor(repo: GitRepo, opts: GitOpsOptions) {
    this.repo = repo;
    this.engine = opts.engine;
    this.fleetDir = opts.fleetDir ?? 'fleet';
    this.policiesDir = opts.policiesDir ?? 'policies';
    this.distDir = opts.distDir ?? 'dist';
  }

  /** The fleet file of `ref` relative to the repository root (`.yaml`, else an existing `.yml`). */
  private async fleetFile(root: string, ref: AgentRef): Promise<string | undefined> {
    for (const ext of ['.yaml', '.yml']) {
      const rel = posix.join(this.fleetDir, ref.namespace, `${ref.name}${ext}`);
      if (
        await stat(join(root, rel)).then(
          (s) => s.isFile(),
          () => false,
        )
      )
        return rel;
    }
    return undefined;
  }

  private notFound(ref: AgentRef): GitOpsError {
    return new GitOpsError(
      'not-found',
      `agent ${formatAgentId(ref)} is not in the fleet: no ${posix.join(this.fleetDir, ref.namespace, `${ref.name}.yaml`)} in ${this.repo.dir}. ` +
        "Fix: check the id ('agent-canary canary status <namespace>/<name>'), or synthesize the fleet into this repository first.",
      { field: 'id', value: formatAgentId(ref) },
    );
  }

  /**
   * Resolves an id to an agent of the fleet: `namespace/name`, `namespace.name`, or a bare slug
   * that exists in exactly one namespace. Throws `bad-request`, `not-found` or `ambiguous`.
   */
  async resolve(id: string): Promise<AgentRef> {
    const ref = parseAgentId(id);
    if (ref) {
      if (!(await this.fleetFile(this.repo.dir, ref))) throw this.notFound(ref);
      return ref;
    }
    const namespaces = await readdir(join(this.repo.dir, this.fleetDir), {
      withFileTypes: true,
    }).catch(() => []);
    const found: AgentRef[] = [];
    for (const d of namespaces) {
      if (!d.isDirectory() || d.name.startsWith('.')) continue;
      const candidate = { namespace: d.name, name: id };
      if (await this.fleetFile(this.repo.dir, candidate)) found.push(candidate);
    }
    if (found.length === 0)
      throw new GitOpsError(
        'not-found',
        `no agent named '${id}' in any namespace of ${join(this.repo.dir, this.fleetDir)}. Fix: check the name, or use <namespace>.<name>.`,
        { field: 'id', value: id },
      );
    if (found.length > 1) {
      throw new GitOpsError(
        'ambiguous',
        `agent name '${id}' exists in ${found.length} namespaces (${found.map(formatAgentId).join(', ')}). Fix: use <namespace>.<name>, e.g. '${found[0]!.namespace}.${id}'.`,
        {
          field: 'id',
          value: id,
          allowed: found.map((r) => `${r.namespace}.${r.name}`).join(', '),
        },
      );
    }
    return found[0]!;
  }

  private async readAgent(
    root: string,
    ref: AgentRef,
  ): Promise<{ rel: string; relInFleet: string; text: string; agent: FleetAgent }> {
    const rel = await this.fleetFile(root, ref);
    if (!rel) throw this.notFound(ref);
    const relInFleet = posix.relative(this.fleetDir, rel);
    const text = await readFile(join(root, rel), 'utf8');
    let agent: FleetAgent;
    try {
      agent = this.engine.parseFleetFile(relInFleet, text);
    } catch (err) {
      if (err instanceof LocatedError) {
        throw new GitOpsError(
          'conflict',
          `the fleet file is not valid as it stands, so no operation can start from it: ${err.message}`,
          { field: err.field, value: err.value },
        );
      }
      throw err;
    }
    return { rel, relInFleet, text, agent };
  }

  /** The canary state of an agent as committed in the working tree. */
  async status(ref: AgentRef): Promise<CanaryStatus> {
    return statusOf((await this.readAgent(this.repo.dir, ref)).agent);
  }

  /** Starts a canary with `config` (idempotent: the same start again changes nothing). */
  start(
    ref: AgentRef,
    config: CanaryConfig,
    opts: OperationOptions = {},
  ): Promise<OperationOutcome> {
    return this.mutate(ref, opts, (agent, firstStep) => {
      const spec = agent.agent.spec;
      const current = spec.canary ?? undefined;
      // The strategy decides the starting weight (strategy-plan.ts: ab and blue-green start at 0).
      const { weight, checkSteps } = startWeight(agent, firstStep, config.weight);
      const version = config.version ?? nextVersion(spec.version);
      if (version === undefined) {
        throw new GitOpsError(
          'bad-request',
          `cannot derive the challenger version from the stable version '${spec.version}' (it holds no number). Fix: pass config.version (--version).`,
          {
            field: 'config.version',
          },
        );
      }
      if (current?.enabled) {
        const same =
          CHALLENGER_FIELDS.every(
            (f) => config[f] === undefined || sameValue(config[f], current[f]),
          ) &&
          (config.version === undefined || config.version === current.version) &&
          (config.weight === undefined || config.weight === current.weight);
        if (same)
          return {
            kind: 'noop',
            detail: `a canary (version ${current.version ?? '?'}, ${current.weight}%) is already running with this configuration; nothing to do`,
          };
        throw new GitOpsError(
          'conflict',
          `${agent.id} already runs a canary (version ${current.version ?? '?'} at ${current.weight}%) with another configuration. ` +
            'Fix: promote or roll it back first, or change only its weight.',
        );
      }
      const next: Record<string, unknown> = { enabled: true, weight };
      for (const f of CHALLENGER_FIELDS) if (config[f] !== undefined) next[f] = config[f];
      next['version'] = version;
      const changes = CHALLENGER_FIELDS.filter((f) => config[f] !== undefined).map(
        (f) => `- ${f}: ${JSON.stringify(spec[f] ?? null)} -> ${JSON.stringify(config[f])}`,
      );
      return {
        kind: 'edit',
        event: 'AgentCanaryStarted',
        weightFrom: 0,
        weightTo: weight,
        checkSteps,
        detail: `canary version ${version} started at ${weight}%`,
        body: changes.length > 0 ? ['Challenger overrides:', ...changes] : undefined,
        edit: (e) => {
          if (current) e.delete(['spec', 'canary']);
          e.set(['spec', 'canary'], next);
          dropBaseline(e, agent);
        },
      };
    });
  }

  /** Moves the canary weight (manual mode): to the policy's next step or back down. */
  setWeight(ref: AgentRef, weight: number, opts: OperationOptions = {}): Promise<OperationOutcome> {
    return this.mutate(ref, opts, (agent) => {
      const canary = agent.agent.spec.canary ?? undefined;
      if (!canary?.enabled) {
        throw new GitOpsError(
          'conflict',
          `${agent.id} has no running canary, so there is no weight to change. Fix: start one first ('canary start').`,
        );
      }
      // A/B has no weights, blue-green only 0/100 (strategy-plan.ts); canary: the policy's steps.
      const move = weightMove(agent, weight);
      if (agent.rollout.mode === 'progressive') {
        throw new GitOpsError(
          'conflict',
          `${agent.id} uses rollout.mode progressive: Flagger owns the live weight and Git holds only the plan. Fix: change the policy's steps, or switch the agent to rollout.mode manual.`,
        );
      }
      if (canary.weight === weight)
        return { kind: 'noop', detail: `the canary weight is already ${weight}%; nothing to do` };
      return {
        kind: 'edit',
        event: 'AgentCanaryWeightChanged',
        weightFrom: canary.weight,
        weightTo: weight,
        checkSteps: move.checkSteps,
        detail: move.detail ?? `canary weight ${canary.weight}% -> ${weight}%`,
        edit: (e) => e.set(['spec', 'canary', 'weight'], weight),
      };
    });
  }

  /** Makes the challenger the stable spec, advances the version and clears the canary. */
  promote(ref: AgentRef, opts: OperationOptions = {}): Promise<OperationOutcome> {
    return this.mutate(ref, opts, (agent) => {
      const spec = agent.agent.spec;
      const canary = spec.canary ?? undefined;
      if (!canary?.enabled) {
        return {
          kind: 'noop',
          detail: `no canary is running (already promoted or rolled back); stable version ${spec.version ?? '(unset)'} is unchanged`,
        };
      }
      const version = canary.version ?? nextVersion(spec.version);
      const fields = CHALLENGER_FIELDS.filter((f) => canary[f] !== undefined);
      const body = [
        'Stable spec after promotion:',
        ...fields.map(
          (f) => `- ${f}: ${JSON.stringify(spec[f] ?? null)} -> ${JSON.stringify(canary[f])}`,
        ),
      ];
      body.push(
        `- version: ${JSON.stringify(spec.version ?? null)} -> ${JSON.stringify(version ?? spec.version ?? null)}`,
      );
      // Progressive mode (progressive.ts): the target Flagger analyses, and the gate's baseline.
      const flagger = isProgressive(agent) ? progressivePromote(agent, version) : undefined;
      return {
        kind: 'edit',
        event: 'AgentCanaryPromoted',
        weightFrom: canary.weight,
        weightTo: 100,
        checkSteps: false,
        detail: flagger
          ? `canary version ${version ?? '?'} is the new target spec; Flagger rolls it out under analysis`
          : `canary version ${version ?? '?'} promoted to stable`,
        body: flagger ? [...body, ...flagger.body] : body,
        edit: (e) => {
          for (const f of fields) e.set(['spec', f], canary[f]);
          if (version !== undefined) e.set(['spec', 'version'], version);
          e.delete(['spec', 'canary']);
          flagger?.edit(e);
        },
      };
    });
  }

  /** Clears the canary; stable takes all traffic again. */
  rollback(ref: AgentRef, opts: OperationOptions = {}): Promise<OperationOutcome> {
    return this.mutate(ref, opts, (agent) => {
      const canary = agent.agent.spec.canary;
      if (canary === undefined || canary === null) {
        return {
          kind: 'noop',
          detail: 'no canary is set (already rolled back or promoted); nothing to do',
        };
      }
      return {
        kind: 'edit',
        event: 'AgentCanaryRolledBack',
        weightFrom: canary.enabled ? canary.weight : 0,
        weightTo: 0,
        checkSteps: false,
        detail: isProgressive(agent)
          ? `canary version ${canary.version ?? '?'} rolled back; ${PROGRESSIVE_ROLLBACK_NOTE}`
          : `canary version ${canary.version ?? '?'} rolled back; stable takes all traffic`,
        edit: (e) => {
          e.delete(['spec', 'canary']);
          dropBaseline(e, agent);
        },
      };
    });
  }

  /**
   * Records a failed check of the running canary as an empty commit (event
   * `AgentCanaryCheckFailed`, evidence in `opts.trailers`), pushed like any operation. Nothing is
   * recorded when the canary moved (`opts.expect`) or when the history already holds more failed
   * checks than `failedBefore` (another writer recorded this check first).
   */
  recordCheck(
    ref: AgentRef,
    record: CheckRecord,
    opts: OperationOptions = {},
  ): Promise<OperationOutcome> {
    let counted = record.failedBefore;
    return this.mutate(
      ref,
      {
        ...opts,
        expect: opts.expect ?? { weight: record.weight, canaryVersion: record.canaryVersion },
      },
      (agent) => {
        if (counted !== record.failedBefore) {
          return {
            kind: 'noop',
            detail: `another writer recorded this check first (${counted} failed checks in the history, ${record.failedBefore} when decided); nothing done`,
            moved: true,
          };
        }
        const canary = agent.agent.spec.canary!;
        return {
          kind: 'edit',
          event: CHECK_FAILED_EVENT,
          weightFrom: canary.weight,
          weightTo: canary.weight,
          checkSteps: false,
          detail: record.detail,
          edit: () => {},
        };
      },
      true,
      async (root) => {
        counted = await record.countFailed(root);
      },
    );
  }

  /**
   * One mutating operation, as the steps of docs/gitops.md, inside one repository transaction
   * (which checks the paths are clean first, commits what the steps return and pushes):
   * plan (read the agent and its policy, decide) -> edit (the fleet file, re-checked) ->
   * synthesize (that agent only) -> validate (its output) -> commit (the message).
   */
  private async mutate(
    ref: AgentRef,
    opts: OperationOptions,
    decide: Decide,
    allowEmpty = false,
    before?: (root: string) => Promise<void>,
  ): Promise<OperationOutcome> {
    const id = formatAgentId(ref);
    const rel =
      (await this.fleetFile(this.repo.dir, ref)) ??
      posix.join(this.fleetDir, ref.namespace, `${ref.name}.yaml`);
    const outputDir = posix.join(this.distDir, ref.namespace, ref.name);
    // Fixed name (not per process) so that crash recovery knows what to remove.
    const scratch = posix.join(posix.dirname(rel), `.${posix.basename(rel)}.agent-canary-tmp`);
    const committed = await this.repo.transact<MutationResult>(
      {
        paths: [rel, outputDir],
        scratch: [scratch],
        branch: opts.branch,
        allowEmpty,
        ...(opts.date !== undefined ? { date: opts.date } : {}),
      },
      async (root) => {
        await before?.(root);
        const planned = await this.planStep(root, ref, (agent, first) => {
          const moved = movedFrom(agent, opts.expect);
          return moved ? { kind: 'noop', detail: moved, moved: true } : decide(agent, first);
        });
        const { plan, agent } = planned;
        if (plan.kind === 'noop') {
          const weight = statusOf(agent).weight;
          return { result: { plan, agent, weights: [weight, weight] } };
        }
        if (plan.event === CHECK_FAILED_EVENT) {
          // A record changes no file: only the commit message carries it.
          return {
            result: { plan, agent, weights: [plan.weightFrom, plan.weightTo] },
            message: this.commitStep(id, plan, agent, agent, opts),
          };
        }
        const filesBefore = await outputFiles(root, outputDir);
        const next = await this.editStep(root, rel, scratch, id, planned, plan);
        await this.synthesizeStep(root, id, next, planned.policies);
        const filesAfter = await outputFiles(root, outputDir);
        await this.validateStep(root, id, outputDir, next, planned.policies);
        return {
          result: { plan, agent: next, weights: [plan.weightFrom, plan.weightTo] },
          message: this.commitStep(id, plan, agent, next, opts),
          // The files the commit may hold: the fleet file and the agent's output before and after
          // (written, unchanged or deleted), so the commit stages only them (repo.ts).
          ...(filesBefore && filesAfter
            ? { touched: [rel, ...new Set([...filesBefore, ...filesAfter])] }
            : {}),
        };
      },
    );
    return this.outcome(id, committed);
  }

  /** Plan: reads the agent, loads the policies, resolves its policy and decides the edit (or none). */
  private async planStep(root: string, ref: AgentRef, decide: Decide): Promise<Planned> {
    const { relInFleet, text, agent } = await this.readAgent(root, ref);
    const policies = this.safe(() => this.engine.loadPolicies(join(root, this.policiesDir)));
    const spec = this.safe(() => this.engine.resolvePolicy(policies, agent));
    return { relInFleet, text, agent, policies, plan: decide(agent, spec.steps[0]?.weight ?? 5) };
  }

  /**
   * Edit: applies the plan to the file's text (comments and layout kept), re-parses it with the
   * fleet schema and rules, checks the weight move against the policy's steps, and writes it.
   */
  private async editStep(
    root: string,
    rel: string,
    scratch: string,
    id: string,
    planned: Planned,
    plan: EditPlan,
  ): Promise<FleetAgent> {
    const editor = new FleetFileEditor(rel, planned.text);
    plan.edit(editor);
    const edited = editor.toString();
    const next = this.safe(() => this.engine.parseFleetFile(planned.relInFleet, edited));
    const nextSpec = this.safe(() => this.engine.resolvePolicy(planned.policies, next));
    if (plan.checkSteps)
      this.refuseSkippedStep(id, next.rollout.policy, nextSpec, plan.weightFrom, plan.weightTo);
    // Temp file + rename: a concurrent `status` (GET) never reads a half-written file.
    const tmp = join(root, scratch);
    await writeFile(tmp, edited);
    await rename(tmp, join(root, rel));
    return next;
  }

  /** The policy's step rule on a weight move: throws the `refused` error the operation gives. */
  private refuseSkippedStep(
    id: string,
    policyName: string,
    spec: ReturnType<Engine['resolvePolicy']>,
    from: number,
    to: number,
  ): void {
    const problems = this.engine.checkWeightChange(spec, from, to);
    if (problems.length === 0) return;
    const steps = spec.steps.map((s) => s.weight).join(', ');
    throw new GitOpsError(
      'refused',
      `${id}: weight ${from}% -> ${to}% refused by policy '${policyName}' (steps ${steps}): ${problems.join('; ')}`,
      {
        field: 'weight',
        value: to,
        allowed: `the next step of the policy or any lower step (steps: ${steps})`,
        violations: problems,
      },
    );
  }

  /**
   * Refuses a weight move the policy's steps (or the strategy: strategy-plan.ts) do not allow,
   * as `setWeight` would, without touching the repository (the guarded paths check this before
   * asking the gate).
   */
  async checkStep(ref: AgentRef, to: number): Promise<void> {
    const { agent } = await this.readAgent(this.repo.dir, ref);
    // A blue-green switch (0 -> 100) is not a canary step: only the strategy's rule applies.
    if (!weightMove(agent, to).checkSteps) return;
    const policies = this.safe(() =>
      this.engine.loadPolicies(join(this.repo.dir, this.policiesDir)),
    );
    const spec = this.safe(() => this.engine.resolvePolicy(policies, agent));
    this.refuseSkippedStep(agent.id, agent.rollout.policy, spec, statusOf(agent).weight, to);
  }

  /** Synthesize: only this agent, written into its output folder (objects no longer produced are deleted). */
  private async synthesizeStep(
    root: string,
    id: string,
    next: FleetAgent,
    policies: Policies,
  ): Promise<void> {
    const manifests = this.safe(() => this.engine.synthesizeAgent(next, policies));
    await this.engine.writeAgentOutput(join(root, this.distDir), id, manifests);
  }

  /** Validate: the agent's output against the schemas and the canary rules; any error refuses. */
  private async validateStep(
    root: string,
    id: string,
    outputDir: string,
    next: FleetAgent,
    policies: Policies,
  ): Promise<void> {
    if (!this.engine.validateAgent) return;
    const violations = await this.engine.validateAgent(root, outputDir, next, policies);
    if (violations.length > 0) {
      throw new GitOpsError(
        'refused',
        `${id}: the result does not validate: ${violations.slice(0, 5).join('; ')}${violations.length > 5 ? ` (+${violations.length - 5} more)` : ''}`,
        {
          violations,
        },
      );
    }
  }

  /** Commit: the message whose trailers name the event, the agent and the weights (events.ts). */
  private commitStep(
    id: string,
    plan: EditPlan,
    before: FleetAgent,
    next: FleetAgent,
    opts: OperationOptions,
  ): string {
    const facts: EventFacts = {
      event: plan.event,
      agentId: id,
      weightFrom: plan.weightFrom,
      weightTo: plan.weightTo,
      stableVersion: next.agent.spec.version,
      canaryVersion:
        plan.event === 'AgentCanaryPromoted'
          ? next.agent.spec.version
          : (before.agent.spec.canary?.version ?? next.agent.spec.canary?.version ?? undefined),
      body: plan.body,
      actor: opts.actor,
      trailers: opts.trailers,
    };
    return commitMessage(facts);
  }

  /** What the caller is told: the plan's words, the status after, and where the commit went. */
  private outcome(id: string, committed: Committed<MutationResult>): OperationOutcome {
    const { plan, agent, weights } = committed.result;
    return {
      agentId: id,
      event: plan.kind === 'edit' && committed.commit ? plan.event : undefined,
      changed: committed.commit !== undefined,
      detail: plan.detail,
      status: statusOf(agent),
      commit: committed.commit,
      branch: committed.branch,
      pushed: committed.pushed,
      attempts: committed.attempts,
      weightFrom: weights[0],
      weightTo: weights[1],
      ...(plan.kind === 'noop' && plan.moved ? { moved: true } : {}),
    };
  }

  private safe<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      refused(err);
    }
  }
}
