/**
 * The autopilot: for every manual-mode agent with a running canary, walk the policy's steps as
 * commits through the GitOps operations. One `pass`:
 *
 * 1. refresh: with a remote, fetch and fast-forward to its head (a managed clone is reset to it),
 *    so every replica decides on what the remote holds;
 * 2. read: the fleet files (one bounded batch of reads), their policies, and one `git log` for
 *    the holds and failed checks (history.ts);
 * 3. decide each canary (assess.ts, decide.ts): wait for its hold or the next check, else ask
 *    the quality gate and Prometheus;
 * 4. commit the decision with its evidence as trailers: the next weight (`setWeight`), the
 *    promotion (`promote`), a failed check (`recordCheck`, an empty commit), or the rollback
 *    (`rollback`) once `analysis.threshold` checks failed.
 *
 * Every commit names the state it was decided on (`expect`): when another replica's push wins,
 * the transaction re-reads the remote head, finds the canary moved and does nothing, and the
 * next pass decides again on the new state. So each decision is committed once, and a restarted
 * autopilot resumes from the repository alone.
 */
import { hostname } from 'node:os';
import { readdir } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { parseFleetFile } from '../fleet/load.js';
import { readMany } from '../fs/read-many.js';
import type { FleetAgent } from '../fleet/types.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import type { Policy, PolicySpec } from '../policy/types.js';
import { silentLogger, type Logger } from '../http/log.js';
import type { GitOps, OperationOutcome } from '../gitops/operations.js';
import { Assessor, holdText, type Assessment } from './assess.js';
import { describeTarget } from './decide.js';
import { evidenceTrailers } from './evidence.js';
import { readCanaryHistory, type CanaryKey } from './history.js';

export interface AutopilotOptions {
  readonly gitops: GitOps;
  readonly assessor: Assessor;
  /** Print decisions, commit nothing. @default false */
  readonly dryRun?: boolean;
  /** Recorded as `Agent-Canary-Decided-By`. @default `autopilot (<host> pid <pid>)` */
  readonly decidedBy?: string;
  /** The repository is a managed clone: a diverged clone is reset to the remote head. @default false */
  readonly managedClone?: boolean;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** At most this many commits per pass; the other canaries are decided on the next pass. @default unlimited */
  readonly maxCommits?: number;
}

/** What a pass did for one canary. */
export interface PassEntry {
  readonly agentId: string;
  readonly action:
    'wait' | 'advance' | 'promote' | 'check-failed' | 'rollback' | 'skipped' | 'error';
  /** In words: the decision and what came of it. */
  readonly detail: string;
  readonly commit?: string;
  /** The trailers written (or that would be, in a dry run). */
  readonly trailers?: readonly (readonly [string, string])[];
  /** When waiting ends by time alone (ms). */
  readonly until?: number;
}

export interface PassReport {
  readonly entries: readonly PassEntry[];
  /** Manual-mode agents with a running canary that were looked at. */
  readonly canaries: number;
  readonly commits: number;
}

interface Candidate {
  readonly agent: FleetAgent;
  readonly rel: string;
  readonly policy?: PolicySpec;
  readonly problem?: string;
}

export class Autopilot {
  private readonly logger: Logger;
  readonly decidedBy: string;

  constructor(private readonly opts: AutopilotOptions) {
    this.logger = opts.logger ?? silentLogger;
    this.decidedBy = opts.decidedBy ?? `autopilot (${hostname()} pid ${process.pid})`;
  }

  /** One pass over the fleet (see the file comment). */
  async pass(): Promise<PassReport> {
    await this.refresh();
    const gitops = this.opts.gitops;
    const root = gitops.repo.dir;
    const candidates = await this.candidates(root);
    const keys: CanaryKey[] = candidates.map((c) => ({
      id: c.agent.id,
      fleetFile: c.rel,
      ...(c.agent.agent.spec.canary?.version !== undefined
        ? { canaryVersion: c.agent.agent.spec.canary.version }
        : {}),
    }));
    const history = await readCanaryHistory(root, keys);
    const entries: PassEntry[] = [];
    let commits = 0;
    for (const c of candidates) {
      if (!c.policy) {
        entries.push({ agentId: c.agent.id, action: 'skipped', detail: c.problem ?? 'no policy' });
        continue;
      }
      if (this.opts.maxCommits !== undefined && commits >= this.opts.maxCommits) {
        entries.push({
          agentId: c.agent.id,
          action: 'wait',
          detail: `wait: this pass made its ${this.opts.maxCommits} commits; decided on the next pass`,
        });
        continue;
      }
      try {
        const a = await this.opts.assessor.assess(
          root,
          gitops.distDir,
          c.agent,
          c.policy,
          history.get(c.agent.id) ?? { failedChecks: 0 },
        );
        const entry = await this.act(a, c.rel);
        if (entry.commit) commits++;
        entries.push(entry);
      } catch (err) {
        const detail = (err as Error).message;
        this.logger.error('autopilot decision failed', { agent: c.agent.id, error: detail });
        entries.push({ agentId: c.agent.id, action: 'error', detail });
      }
    }
    for (const e of entries) {
      if (e.action !== 'wait') this.logger.info(`${e.agentId}: ${e.detail}`, { action: e.action });
    }
    return { entries, canaries: candidates.length, commits };
  }

  /** Runs passes until `signal` aborts; between passes waits `pollMs` (or less, when a hold ends sooner). */
  async run(opts: {
    readonly signal: AbortSignal;
    readonly pollMs?: number;
    readonly onPass?: (r: PassReport) => void;
  }): Promise<void> {
    const poll = opts.pollMs ?? 15_000;
    while (!opts.signal.aborted) {
      let wait = poll;
      try {
        const report = await this.pass();
        opts.onPass?.(report);
        const now = this.opts.assessor.clock();
        for (const e of report.entries)
          if (e.until !== undefined) wait = Math.min(wait, Math.max(200, e.until - now));
        // Something moved: the next step's hold starts now, look again soon.
        if (report.commits > 0) wait = Math.min(wait, 200);
      } catch (err) {
        this.logger.error('autopilot pass failed', { error: (err as Error).message });
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        opts.signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  /** Brings the work tree to the remote head (nothing to do without a remote). */
  private async refresh(): Promise<void> {
    const repo = this.opts.gitops.repo;
    if (!(await repo.hasRemote())) return;
    await repo.exclusive(async () => {
      const branch = await repo.currentBranch();
      const head = await repo.fetch(branch);
      if (!head) return;
      try {
        await repo.git.raw(['merge', '--ff-only', '-q', head]);
      } catch (err) {
        if (!this.opts.managedClone) throw err;
        // A managed clone is a cache: only what reached the remote counts.
        await repo.git.raw(['reset', '--hard', '-q', head]);
      }
    });
  }

  /** Manual-mode agents with a running canary, with their policies (a bad file is skipped, said). */
  private async candidates(root: string): Promise<Candidate[]> {
    const gitops = this.opts.gitops;
    const fleetRoot = join(root, gitops.fleetDir);
    let policies: Map<string, Policy> | undefined;
    let policyProblem: string | undefined;
    try {
      policies = loadPolicies(join(root, gitops.policiesDir));
    } catch (err) {
      policyProblem = (err as Error).message;
    }
    const out: Candidate[] = [];
    const namespaces = (await readdir(fleetRoot, { withFileTypes: true }).catch(() => []))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => d.name)
      .sort();
    // Every fleet file first, then their texts in one batch (readMany): no read waits for another.
    const listed = await Promise.all(
      namespaces.map(async (ns) =>
        (await readdir(join(fleetRoot, ns)))
          .filter((f) => /\.ya?ml$/.test(f) && !f.startsWith('.'))
          .sort()
          .map((f) => `${ns}/${f}`),
      ),
    );
    const files = listed.flat();
    const texts = await readMany(files.map((f) => join(fleetRoot, f)));
    for (const [i, relInFleet] of files.entries()) {
      let agent: FleetAgent;
      try {
        const text = texts[i]!;
        if (text instanceof Error) throw text;
        agent = parseFleetFile(relInFleet, text);
      } catch (err) {
        this.logger.warn('fleet file skipped', {
          file: relInFleet,
          error: (err as Error).message,
        });
        continue;
      }
      const canary = agent.agent.spec.canary;
      if (agent.rollout.mode !== 'manual' || !canary?.enabled || canary.weight <= 0) continue;
      const rel = posix.join(gitops.fleetDir, relInFleet);
      if (!policies) {
        out.push({ agent, rel, problem: `policies cannot be read: ${policyProblem}` });
        continue;
      }
      try {
        out.push({ agent, rel, policy: resolvePolicy(policies, agent) });
      } catch (err) {
        out.push({ agent, rel, problem: (err as Error).message });
      }
    }
    return out;
  }

  /** Commits (or, dry, describes) the decision of one assessment. */
  private async act(a: Assessment, rel: string): Promise<PassEntry> {
    const id = a.agent.id;
    const d = a.decision;
    if (d.action === 'wait') {
      return {
        agentId: id,
        action: 'wait',
        detail: `wait: ${d.reason}`,
        ...(d.until !== undefined ? { until: d.until } : {}),
      };
    }
    const gitops = this.opts.gitops;
    const [namespace, name] = id.split('/') as [string, string];
    const ref = { namespace, name };
    const canaryVersion = a.agent.agent.spec.canary?.version;
    const expect = {
      weight: a.state.weight,
      ...(canaryVersion !== undefined ? { canaryVersion } : {}),
    };
    const failedChecks =
      d.action === 'advance'
        ? { failed: a.state.failedChecks, threshold: a.state.threshold }
        : { failed: d.failed, threshold: d.threshold };
    const trailers = evidenceTrailers({
      decidedBy: this.decidedBy,
      hold: holdText(a),
      evidence: a.evidence,
      failedChecks,
    });
    // Stamped with the autopilot's clock: the next step's hold is measured from this commit.
    const opts = { expect, trailers, actor: this.decidedBy, date: a.state.now };
    let action: PassEntry['action'];
    let words: string;
    let run: () => Promise<OperationOutcome>;
    if (d.action === 'advance') {
      action = d.to.kind === 'promote' ? 'promote' : 'advance';
      words = `${a.state.weight}% -> ${describeTarget(d.to)}: ${d.reason}`;
      const to = d.to;
      run = () =>
        to.kind === 'promote' ? gitops.promote(ref, opts) : gitops.setWeight(ref, to.weight, opts);
    } else if (d.action === 'check-failed') {
      action = 'check-failed';
      words = `check failed at ${a.state.weight}% (${d.failed}/${d.threshold}): ${d.reasons.join('; ')}`;
      run = () =>
        gitops.recordCheck(
          ref,
          {
            weight: a.state.weight,
            ...(canaryVersion !== undefined ? { canaryVersion } : {}),
            detail: words,
            failedBefore: a.state.failedChecks,
            countFailed: async (root) =>
              (
                await readCanaryHistory(root, [
                  {
                    id,
                    fleetFile: rel,
                    ...(canaryVersion !== undefined ? { canaryVersion } : {}),
                  },
                ])
              ).get(id)?.failedChecks ?? 0,
          },
          opts,
        );
    } else {
      action = 'rollback';
      words = `rollback at ${a.state.weight}% after ${d.failed}/${d.threshold} failed checks: ${d.reasons.join('; ')}`;
      run = () => gitops.rollback(ref, opts);
    }
    if (this.opts.dryRun)
      return { agentId: id, action, detail: `${words} (dry run: no commit)`, trailers };
    const o = await run();
    if (!o.changed) return { agentId: id, action: 'wait', detail: `${words}: ${o.detail}` };
    return {
      agentId: id,
      action,
      detail: `${words}: commit ${o.commit!.slice(0, 12)}${o.pushed ? ' (pushed)' : ''}`,
      commit: o.commit,
      trailers,
    };
  }
}
