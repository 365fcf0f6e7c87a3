/**
 * More traffic for a canary asks first: `canary weight` up, `canary promote` and the HTTP API's
 * PATCH (up) and promote go through an `AdvanceGuard` before the operation runs. The guard that
 * checks the step's hold, the quality gate and the traffic is the autopilot's own decision
 * (src/autopilot/guard.ts), wired in by the CLI (src/cli.ts) and the gate server; this file holds
 * only the contract and the helpers, so the operations stay free of MLflow and Prometheus.
 * Backing down (a lower weight) and rollback never ask.
 *
 * `force` (CLI `--force --reason TEXT`, API `{"force": true, "reason": "..."}`) passes a refusal;
 * the reason is recorded in the commit's `Agent-Canary-Forced` trailer.
 */
import type { AgentRef } from './agent-id.js';
import { formatAgentId } from './agent-id.js';
import { GitOpsError } from './errors.js';
import type { Trailer } from './events.js';
import type { ExpectedState, GitOps, OperationOptions, OperationOutcome } from './operations.js';

export interface AdvanceRequest {
  readonly ref: AgentRef;
  /** The new weight, or promotion. */
  readonly to: number | 'promote';
  /** The reason to pass a refusal (recorded); undefined: not forced. */
  readonly force?: string;
  /** Who asks and through what, e.g. `canary weight (CLI, alice)`; recorded as `Agent-Canary-Decided-By`. */
  readonly via: string;
  /** How to force on this path, for the refusal's fix (`--force --reason TEXT`). */
  readonly forceHint: string;
}

export interface AdvanceApproval {
  /** Evidence trailers for the commit. */
  readonly trailers: readonly Trailer[];
  /** The state the approval was given for (the commit does nothing if the canary moved). */
  readonly expect?: ExpectedState;
}

export interface AdvanceGuard {
  /** Approves (evidence to record) or refuses (throws a `refused` GitOpsError with the reason and the fix). */
  approve(gitops: GitOps, req: AdvanceRequest): Promise<AdvanceApproval>;
}

/**
 * The guard when nothing can judge a canary (no gate wired into this command or server): every
 * increase is refused, saying so, unless forced. Never a silent pass.
 */
export const NO_GATE_GUARD: AdvanceGuard = {
  approve(_gitops, req) {
    const what = req.to === 'promote' ? 'promotion' : `weight ${req.to}%`;
    if (req.force !== undefined) {
      return Promise.resolve({
        trailers: [
          ['Agent-Canary-Decided-By', req.via],
          ['Agent-Canary-Verdict', 'not-configured'],
          ['Agent-Canary-Forced', req.force],
        ],
      });
    }
    return Promise.reject(
      new GitOpsError(
        'refused',
        `${formatAgentId(req.ref)}: ${what} refused: no quality gate is configured here (no MLflow), so neither the step's hold nor the canary's evaluation can be checked. Fix: configure MLflow (--mlflow URI or MLFLOW_TRACKING_URI), or pass ${req.forceHint} to move it anyway (recorded in the commit).`,
        { field: 'force', allowed: req.forceHint },
      ),
    );
  },
};

/** Checks a force request: a reason is required with force, and meaningless without it. */
export function forceReason(
  force: boolean,
  reason: string | undefined,
  names: { force: string; reason: string },
): string | undefined {
  const r = reason?.trim();
  if (force && !r) {
    throw new GitOpsError(
      'bad-request',
      `${names.force} needs ${names.reason} TEXT: the reason is recorded in the commit. Fix: e.g. ${names.force} ${names.reason} "hotfix approved by on-call".`,
      { field: names.reason },
    );
  }
  if (!force && r) {
    throw new GitOpsError(
      'bad-request',
      `${names.reason} is only used with ${names.force}. Fix: add ${names.force}, or drop ${names.reason}.`,
      { field: names.force },
    );
  }
  return force ? r!.slice(0, 500) : undefined;
}

type GuardedOptions = OperationOptions & Pick<AdvanceRequest, 'force' | 'via' | 'forceHint'>;

function withApproval(opts: GuardedOptions, a: AdvanceApproval): OperationOptions {
  return {
    ...(opts.branch !== undefined ? { branch: opts.branch } : {}),
    ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
    trailers: [...(opts.trailers ?? []), ...a.trailers],
    // A pull-request branch may hold another state than the work tree the guard read.
    ...(a.expect && opts.branch === undefined ? { expect: a.expect } : {}),
  };
}

/** `setWeight`, asking the guard first when the weight goes up. */
export async function guardedSetWeight(
  gitops: GitOps,
  guard: AdvanceGuard,
  ref: AgentRef,
  weight: number,
  opts: GuardedOptions,
): Promise<OperationOutcome> {
  const s = await gitops.status(ref);
  // Down, the same, or a state the operation refuses anyway (no canary, progressive): no question.
  if (!s.enabled || s.mode !== 'manual' || weight <= s.weight)
    return gitops.setWeight(ref, weight, opts);
  // A skipped step is refused for what it is before any evidence is asked for.
  await gitops.checkStep(ref, weight);
  const approval = await guard.approve(gitops, { ref, to: weight, ...pick(opts) });
  return gitops.setWeight(ref, weight, withApproval(opts, approval));
}

/** `promote`, asking the guard first when a manual canary is running. */
export async function guardedPromote(
  gitops: GitOps,
  guard: AdvanceGuard,
  ref: AgentRef,
  opts: GuardedOptions,
): Promise<OperationOutcome> {
  const s = await gitops.status(ref);
  if (!s.enabled || s.mode !== 'manual') return gitops.promote(ref, opts);
  const approval = await guard.approve(gitops, { ref, to: 'promote', ...pick(opts) });
  return gitops.promote(ref, withApproval(opts, approval));
}

function pick(o: GuardedOptions): Pick<AdvanceRequest, 'force' | 'via' | 'forceHint'> {
  return {
    ...(o.force !== undefined ? { force: o.force } : {}),
    via: o.via,
    forceHint: o.forceHint,
  };
}
