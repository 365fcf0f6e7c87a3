/**
 * The guard of the manual paths (`canary weight` up, `canary promote`, the API's PATCH up and
 * promote): the autopilot's own assessment (assess.ts, decide.ts) of the canary as committed.
 * Approved only when the autopilot would make the same move now: the step's hold is over, the
 * quality gate passes (MLflow), and the traffic checks pass when a Prometheus is given.
 * Otherwise refused (`refused`: exit 1, HTTP 422) with the reason and the fix. Forcing records
 * the reason and what was known (the hold) in the commit.
 */
import { readFile } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseFleetFile } from '../fleet/load.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import { formatAgentId } from '../gitops/agent-id.js';
import type { AdvanceApproval, AdvanceGuard, AdvanceRequest } from '../gitops/advance-guard.js';
import { GitOpsError } from '../gitops/errors.js';
import { plannedSteps } from '../fleet/planned-steps.js';
import type { GitOps } from '../gitops/operations.js';
import { Assessor, holdText } from './assess.js';
import { describeTarget, targetAfter } from './decide.js';
import { evidenceTrailers } from './evidence.js';
import { readCanaryHistory } from './history.js';

export class GateGuard implements AdvanceGuard {
  constructor(private readonly assessor: Assessor) {}

  async approve(gitops: GitOps, req: AdvanceRequest): Promise<AdvanceApproval> {
    const root = gitops.repo.dir;
    const id = formatAgentId(req.ref);
    let rel = posix.join(gitops.fleetDir, req.ref.namespace, `${req.ref.name}.yaml`);
    let text = await readFile(join(root, rel), 'utf8').catch(() => undefined);
    if (text === undefined) {
      rel = rel.replace(/\.yaml$/, '.yml');
      text = await readFile(join(root, rel), 'utf8');
    }
    const agent = parseFleetFile(posix.relative(gitops.fleetDir, rel), text);
    const policy = resolvePolicy(loadPolicies(join(root, gitops.policiesDir)), agent);
    const canary = agent.agent.spec.canary!;
    const canaryVersion = canary.version;
    const expect = {
      weight: canary.weight,
      ...(canaryVersion !== undefined ? { canaryVersion } : {}),
    };
    const history = (
      await readCanaryHistory(root, [
        { id, fleetFile: rel, ...(canaryVersion !== undefined ? { canaryVersion } : {}) },
      ])
    ).get(id) ?? { failedChecks: 0 };
    const what = req.to === 'promote' ? 'promotion' : `weight ${canary.weight}% -> ${req.to}%`;
    if (req.force !== undefined) {
      const state = this.assessor.state(agent, policy, history);
      return {
        expect,
        trailers: evidenceTrailers({
          decidedBy: req.via,
          hold: holdText({ state, history }),
          forced: req.force,
        }),
      };
    }
    const steps = plannedSteps(agent, policy);
    const next = targetAfter(canary.weight, steps);
    if (req.to === 'promote' && next.kind !== 'promote') {
      throw new GitOpsError(
        'refused',
        `${id}: ${what} refused: promotion comes after the policy's last step (${steps.map((s) => s.weight).join(', ')}), and the canary is at ${canary.weight}%. Fix: move it to ${describeTarget(next)} first, or pass ${req.forceHint} to promote anyway (recorded in the commit).`,
        { field: 'weight', value: canary.weight, allowed: describeTarget(next) },
      );
    }
    const a = await this.assessor.assess(root, gitops.distDir, agent, policy, history);
    const d = a.decision;
    if (d.action === 'advance') {
      return {
        expect,
        trailers: evidenceTrailers({
          decidedBy: req.via,
          hold: holdText(a),
          evidence: a.evidence,
          failedChecks: { failed: a.state.failedChecks, threshold: a.state.threshold },
        }),
      };
    }
    const reason =
      d.action === 'wait' ? d.reason : `the canary failed its checks: ${d.reasons.join('; ')}`;
    const fix =
      d.action === 'wait' ? d.fix : 'keep the weight (or roll back) until the canary passes';
    throw new GitOpsError(
      'refused',
      `${id}: ${what} refused: ${reason}. Fix: ${fix}; or pass ${req.forceHint} to move it anyway (recorded in the commit).`,
      { field: 'weight', value: canary.weight, violations: [reason] },
    );
  }
}
