/**
 * `agent-canary canary start|status|weight|promote|rollback <namespace>/<agent>`: the canary
 * lifecycle as commits in a GitOps repository (see operations.ts). Exit codes: 0 done (also when
 * there was nothing to do), 1 refused by a policy or the agent's state, 2 bad input or a Git failure.
 */
import { parseArgs } from 'node:util';
import { parseFullAgentId } from './agent-id.js';
import { parseCanaryConfig } from './api.js';
import { defaultEngine } from './default-engine.js';
import { GitOpsError } from './errors.js';
import { GitOps, type CanaryStatus, type OperationOutcome } from './operations.js';
import { seedFrom } from './synth-to-repo.js';
import { DEFAULT_REPO_DIR, resolveRepo } from './workspace.js';
import { chooseRepo, repoLabel } from './default-repo.js';
import {
  NO_GATE_GUARD,
  forceReason,
  guardedPromote,
  guardedSetWeight,
  type AdvanceGuard,
} from './advance-guard.js';

/** What the CLI wires in (src/cli.ts): the guard that judges increases (src/autopilot/guard.ts). */
export interface CanaryCommandDeps {
  readonly guard?: (cfg: { mlflow?: string; prometheus?: string }) => AdvanceGuard;
}

export const USAGE = `usage: agent-canary canary <action> <namespace>/<agent> [options]

actions:
  start      start a canary: the challenger's overrides, at the policy's first step (or --weight)
  status     print the canary state (enabled, weight, versions, challenger config)
  weight     set the canary weight: the policy's next step, or any lower step  (--weight N or a 3rd argument);
             a higher weight asks first: the step's hold must be over and the quality gate must pass
  promote    the challenger becomes the stable spec, the version advances, the canary is cleared;
             asks first like a higher weight, and only after the policy's last step
  rollback   clear the canary; stable takes all traffic

options:
  --repo PATH|URL      GitOps repository (default: the Git work tree around the current folder when
                       it holds fleet/; otherwise ${DEFAULT_REPO_DIR}, created and seeded from ./fleet
                       and ./policies on first use, announced). A URL is cloned into .agent-canary/clones/
  --branch NAME        commit to branch NAME (for a pull request) instead of the checked-out branch
  --weight N           start: initial weight; weight: the new weight
  --image REF          start: challenger image
  --model-type TYPE    start: challenger model provider (e.g. openai)
  --model-id ID        start: challenger model
  --system-prompt TXT  start: challenger system prompt
  --skills a,b         start: challenger skills
  --tools a,b          start: challenger tools
  --version V          start: challenger version (default: stable version + 1)
  --actor NAME         recorded in the commit's Agent-Canary-Actor trailer (default: $USER)
  --mlflow URI         weight up, promote: MLflow of the quality gate (MLFLOW_TRACKING_URI); without it
                       increases are refused (saying so) unless forced
  --prometheus URL     weight up, promote: also run the policy's traffic checks against this Prometheus
                       (AGENT_CANARY_PROMETHEUS_URL; default: not checked, and the commit says so)
  --force --reason TXT weight up, promote: move the canary although the check refused it; the reason is
                       recorded in the commit's Agent-Canary-Forced trailer
  --no-validate        skip the validator on the re-synthesized output (the policy's weight steps are always checked)
  --json               print the result as JSON

exit codes: 0 done (or nothing to do), 1 refused (policy step, hold not over, gate or checks failed),
2 bad input, unknown agent or a Git failure. Lowering the weight and rollback never ask.`;

const ACTIONS = ['start', 'status', 'weight', 'promote', 'rollback'] as const;
type Action = (typeof ACTIONS)[number];

function list(v: string | undefined): string[] | undefined {
  return v === undefined
    ? undefined
    : v
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
}

function parseWeight(v: string): number {
  if (!/^\d+$/.test(v)) {
    throw new GitOpsError(
      'bad-request',
      `weight '${v}' is not an integer percentage. Fix: pass one of the policy's steps, e.g. --weight 25.`,
      { field: 'weight', value: v },
    );
  }
  return Number(v);
}

function describeStatus(s: CanaryStatus): string {
  if (!s.enabled)
    return `${s.agent_id}: no canary; stable version ${s.stable_version ?? '(unset)'} takes 100% (${s.mode} mode)`;
  const cfg = Object.entries(s.config)
    .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : String(v)}`)
    .join(' ');
  return `${s.agent_id}: canary version ${s.canary_version ?? '?'} at ${s.weight}%, stable version ${s.stable_version ?? '(unset)'} (${s.mode} mode)${cfg ? `; challenger ${cfg}` : ''}`;
}

function describeOutcome(o: OperationOutcome, repo: string): string {
  if (!o.changed) return `${o.agentId}: ${o.detail} (no commit in ${repo})`;
  const where = `commit ${o.commit!.slice(0, 12)} on ${o.branch} in ${repo}${o.pushed ? `, pushed${o.attempts > 1 ? ` after ${o.attempts} attempts` : ''}` : ''}`;
  return `${o.agentId}: ${o.detail}: ${where}`;
}

export async function run(argv: string[], deps: CanaryCommandDeps = {}): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        repo: { type: 'string' },
        branch: { type: 'string' },
        weight: { type: 'string' },
        image: { type: 'string' },
        'model-type': { type: 'string' },
        'model-id': { type: 'string' },
        'system-prompt': { type: 'string' },
        skills: { type: 'string' },
        tools: { type: 'string' },
        version: { type: 'string' },
        actor: { type: 'string' },
        force: { type: 'boolean', default: false },
        reason: { type: 'string' },
        mlflow: { type: 'string' },
        prometheus: { type: 'string' },
        'no-validate': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    console.error(`agent-canary canary: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values['help']) {
    console.log(USAGE);
    return 0;
  }
  const [action, id, extra, ...rest] = positionals;
  if (
    !action ||
    !(ACTIONS as readonly string[]).includes(action) ||
    !id ||
    rest.length > 0 ||
    (extra !== undefined && action !== 'weight')
  ) {
    console.error(
      `agent-canary canary: expected <action> <namespace>/<agent>${action ? ` (got '${positionals.join(' ')}')` : ''}; actions: ${ACTIONS.join(', ')}\n\n${USAGE}`,
    );
    return 2;
  }
  const json = values['json'] === true;
  try {
    const ref = parseFullAgentId(id);
    const projectDir = process.cwd();
    const choice = await chooseRepo(
      (values['repo'] as string | undefined) || undefined,
      projectDir,
    );
    if (choice.announce) console.error(`agent-canary canary: ${choice.announce}`);
    const repo = await resolveRepo(choice.spec, { projectDir, seed: seedFrom(projectDir) });
    const where = repoLabel(choice.spec, repo.dir, projectDir);
    const gitops = new GitOps(repo, {
      engine: defaultEngine({ validate: values['no-validate'] !== true, repoDir: repo.dir }),
    });
    const opts = {
      branch: values['branch'] as string | undefined,
      actor: (values['actor'] as string | undefined) ?? process.env['USER'] ?? undefined,
    };
    const force = forceReason(values['force'] === true, values['reason'] as string | undefined, {
      force: '--force',
      reason: '--reason',
    });
    const env = (k: string): string | undefined => process.env[k] || undefined;
    const guard: AdvanceGuard = deps.guard
      ? deps.guard({
          mlflow: (values['mlflow'] as string | undefined) ?? env('MLFLOW_TRACKING_URI'),
          prometheus:
            (values['prometheus'] as string | undefined) ?? env('AGENT_CANARY_PROMETHEUS_URL'),
        })
      : NO_GATE_GUARD;
    const guarded = {
      ...opts,
      ...(force !== undefined ? { force } : {}),
      via: `canary ${action} (CLI${opts.actor ? `, ${opts.actor}` : ''})`,
      forceHint: '--force --reason TEXT',
    };
    let outcome: OperationOutcome;
    switch (action as Action) {
      case 'status': {
        const s = await gitops.status(await gitops.resolve(id));
        console.log(
          json
            ? JSON.stringify({ repository: where, data: s }, null, 2)
            : `${describeStatus(s)} [${where}]`,
        );
        return 0;
      }
      case 'start': {
        const raw: Record<string, unknown> = {
          image: values['image'],
          modelType: values['model-type'],
          modelId: values['model-id'],
          systemPrompt: values['system-prompt'],
          skills: list(values['skills'] as string | undefined),
          tools: list(values['tools'] as string | undefined),
          version: values['version'],
          weight:
            values['weight'] === undefined ? undefined : parseWeight(String(values['weight'])),
        };
        for (const k of Object.keys(raw)) if (raw[k] === undefined) delete raw[k];
        outcome = await gitops.start(ref, parseCanaryConfig(raw, 'option'), opts);
        break;
      }
      case 'weight': {
        const w = extra ?? (values['weight'] as string | undefined);
        if (w === undefined)
          throw new GitOpsError(
            'bad-request',
            'canary weight needs the new weight: --weight N (or a third argument). Fix: e.g. agent-canary canary weight team-a/bot 25.',
          );
        outcome = await guardedSetWeight(gitops, guard, ref, parseWeight(w), guarded);
        break;
      }
      case 'promote':
        outcome = await guardedPromote(gitops, guard, ref, guarded);
        break;
      case 'rollback':
        outcome = await gitops.rollback(ref, opts);
        break;
    }
    if (json) {
      console.log(
        JSON.stringify(
          {
            repository: where,
            agent_id: outcome.agentId,
            changed: outcome.changed,
            detail: outcome.detail,
            event: outcome.event ?? null,
            commit: outcome.commit ?? null,
            branch: outcome.branch,
            pushed: outcome.pushed,
            data: outcome.status,
          },
          null,
          2,
        ),
      );
    } else {
      console.log(describeOutcome(outcome, where));
    }
    return 0;
  } catch (err) {
    if (err instanceof GitOpsError) {
      if (json)
        console.log(
          JSON.stringify({ error: err.kind, detail: err.message, ...err.details }, null, 2),
        );
      console.error(`agent-canary canary ${action}: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
