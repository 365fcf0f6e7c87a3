/**
 * `agent-canary autopilot`: walk every manual-mode canary of a GitOps repository through its
 * policy's steps as commits (autopilot.ts). Long-running by default; `--once` runs one pass and
 * exits (a CronJob, CI); `--dry-run` prints the decisions and commits nothing.
 * Exit codes: 0 done, 2 bad usage, a repository that cannot be opened, or (with --once) a
 * canary whose decision failed.
 */
import { parseArgs } from 'node:util';
import { AgentCanaryError } from '../errors/error.js';
import { createLogger, type LogLevel } from '../http/log.js';
import { chooseRepo, repoLabel } from '../gitops/default-repo.js';
import { GitOpsError } from '../gitops/errors.js';
import { seedFrom } from '../gitops/synth-to-repo.js';
import { resolveRepo } from '../gitops/workspace.js';
import { parseDuration } from '../duration/duration.js';
import type { PassEntry, PassReport } from './autopilot.js';
import { openAutopilot, qualityEngine } from './wiring.js';

export const USAGE = `usage: agent-canary autopilot [options]

For every manual-mode agent with a running canary: wait the step's hold (from the commit that set
the weight), ask the quality gate (MLflow) and the policy's traffic checks (Prometheus), then commit
the next weight, the promotion after the last step, or a rollback after analysis.threshold failed
checks. Each commit carries its evidence in trailers. Git is the only state (docs/autopilot.md).

options:
  --repo PATH|URL       GitOps repository (default: as 'canary': the work tree around the current folder
                        holding fleet/, else .agent-canary/gitops). A URL is cloned into .agent-canary/clones/
  --mlflow URI          MLFLOW_TRACKING_URI: the quality gate's MLflow (without it every canary waits, saying so)
  --prometheus URL      AGENT_CANARY_PROMETHEUS_URL (default: each policy's prometheus)
  --once                one pass, then exit
  --dry-run             print the decisions, commit nothing
  --interval DURATION   longest time between passes (default 15s; a pass comes sooner when a hold ends)
  --max-commits N       at most N commits per pass (the rest on the next pass; default: no limit)
  --name TEXT           recorded as Agent-Canary-Decided-By (default: autopilot (<host> pid <pid>))
  --no-validate         skip the validator on each commit's re-synthesized output
  --json                one JSON object per pass on stdout
  --log-level debug|info|warn|error (default info; logs go to stderr)
  -h, --help

exit codes: 0 done, 2 bad usage, a repository that cannot be opened, or (--once) a failed decision.`;

/** A bad flag or flag value: bad input (exit 2, the `bad-request` kind of the one table). */
class UsageError extends AgentCanaryError {
  constructor(message: string) {
    super('bad-request', message);
  }
}

function line(e: PassEntry): string {
  return `${e.agentId}: ${e.detail}`;
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      allowPositionals: false,
      options: {
        repo: { type: 'string' },
        mlflow: { type: 'string' },
        prometheus: { type: 'string' },
        once: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        interval: { type: 'string' },
        name: { type: 'string' },
        'max-commits': { type: 'string' },
        'no-validate': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        'log-level': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    console.error(`agent-canary autopilot: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values['help']) {
    console.log(USAGE);
    return 0;
  }
  const s = (k: string): string | undefined => (values[k] as string | undefined) || undefined;
  const json = values['json'] === true;
  try {
    const interval = s('interval');
    const pollMs = interval === undefined ? 15_000 : parseDuration(interval);
    if (pollMs === null || pollMs <= 0)
      throw new UsageError(`--interval: invalid duration '${interval}' (allowed: e.g. 10s, 1m)`);
    const level = (s('log-level') ?? 'info') as LogLevel;
    if (!['debug', 'info', 'warn', 'error'].includes(level))
      throw new UsageError(
        `--log-level: invalid value '${level}' (allowed: debug, info, warn, error)`,
      );
    const logger = createLogger({ level, base: { component: 'autopilot' } });
    const maxRaw = s('max-commits');
    const maxCommits = maxRaw === undefined ? undefined : Number(maxRaw);
    if (maxCommits !== undefined && (!Number.isInteger(maxCommits) || maxCommits < 1))
      throw new UsageError(`--max-commits: invalid value '${maxRaw}' (allowed: an integer >= 1)`);
    const projectDir = process.cwd();
    const choice = await chooseRepo(s('repo'), projectDir);
    if (choice.announce) console.error(`agent-canary autopilot: ${choice.announce}`);
    // The embedded default is created (seeded) like the canary command does; a URL is cloned.
    const repo = await resolveRepo(choice.spec, { projectDir, seed: seedFrom(projectDir) });
    const where = repoLabel(choice.spec, repo.dir, projectDir);
    const mlflow = s('mlflow') ?? (process.env['MLFLOW_TRACKING_URI'] || undefined);
    if (!mlflow)
      console.error(
        'agent-canary autopilot: no MLflow configured (--mlflow / MLFLOW_TRACKING_URI): canaries wait, none is advanced',
      );
    const autopilot = await openAutopilot({
      repo: choice.spec ?? repo.dir,
      projectDir,
      engine: qualityEngine(mlflow),
      ...((s('prometheus') ?? process.env['AGENT_CANARY_PROMETHEUS_URL'])
        ? { prometheus: (s('prometheus') ?? process.env['AGENT_CANARY_PROMETHEUS_URL'])! }
        : {}),
      logger,
      validate: values['no-validate'] !== true,
      dryRun: values['dry-run'] === true,
      ...(s('name') !== undefined ? { decidedBy: s('name')! } : {}),
      ...(maxCommits !== undefined ? { maxCommits } : {}),
    });
    const print = (r: PassReport): void => {
      if (json) {
        console.log(JSON.stringify({ repository: where, ...r }));
        return;
      }
      console.log(
        `autopilot pass over ${where}: ${r.canaries} canaries, ${r.commits} commits${values['dry-run'] ? ' (dry run)' : ''}`,
      );
      for (const e of r.entries) console.log(`  ${line(e)}`);
    };
    if (values['once']) {
      const report = await autopilot.pass();
      print(report);
      return report.entries.some((e) => e.action === 'error') ? 2 : 0;
    }
    const ctl = new AbortController();
    const stop = (): void => ctl.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      await autopilot.run({ signal: ctl.signal, pollMs, onPass: print });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
    return 0;
  } catch (err) {
    if (err instanceof UsageError || err instanceof GitOpsError) {
      console.error(`agent-canary autopilot: ${err.message}`);
      return err.exitCode;
    }
    throw err;
  }
}
