/**
 * The quality gate's engine: reads MLflow within the request's budget, applies the mode's rule,
 * caches the verdict per (namespace, name, checksum, settings) and makes concurrent requests for
 * one revision share one MLflow query.
 */
import type { Experiment, MlflowSource } from '../mlflow/types.js';
import { MlflowApiError, MlflowUnavailableError } from '../mlflow/types.js';
import type { QualitySettings } from './settings.js';
import {
  decideRecif,
  decideStrict,
  RECIF_UNAVAILABLE_MESSAGE,
  type RevisionIds,
} from './decide.js';
import { EvaluationFinder } from './evaluation.js';
import type { Verdict } from './verdict.js';
import { SingleFlightCache, type Source } from './single-flight.js';
import { GateMetrics } from './prometheus.js';
import { silentLogger, type Logger } from '../http/log.js';
import { formatDuration } from '../duration/duration.js';
import { publicMlflowReason } from './mlflow-reason.js';

export interface EngineOptions {
  readonly source: MlflowSource;
  /** @default a new GateMetrics */
  readonly metrics?: GateMetrics;
  /** @default silentLogger */
  readonly logger?: Logger;
  /** How long an experiment id found by name is reused. @default 300000 (5 min) */
  readonly experimentTtlMs?: number;
  /** Traces per traces/search page (per-row assessments). @default 500 */
  readonly tracePageSize?: number;
  /** Pages of traces read at most per evaluation run. @default 40 */
  readonly maxTracePages?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

export interface JudgeRequest extends RevisionIds {
  readonly name: string;
  readonly namespace: string;
}

export interface Judged {
  readonly verdict: Verdict;
  readonly cache: Source;
}

export const FINISHED_FILTER = "attributes.status = 'FINISHED'";

export class QualityEngine {
  readonly metrics: GateMetrics;
  private readonly cache: SingleFlightCache<Verdict>;
  private readonly experiments = new Map<string, { exp: Experiment; expires: number }>();
  private readonly keys = new WeakMap<QualitySettings, { req: JudgeRequest; key: string }>();
  private readonly logger: Logger;
  private readonly now: () => number;

  constructor(private readonly opts: EngineOptions) {
    this.metrics = opts.metrics ?? new GateMetrics();
    this.logger = opts.logger ?? silentLogger;
    this.now = opts.now ?? Date.now;
    this.cache = new SingleFlightCache<Verdict>(10_000, this.now);
  }

  get source(): MlflowSource {
    return this.opts.source;
  }

  async judge(req: JudgeRequest, s: QualitySettings): Promise<Judged> {
    // The webhook hands in the same request and settings objects for the same body: reuse the key.
    const memo = this.keys.get(s);
    let key: string;
    if (memo && memo.req === req) key = memo.key;
    else {
      key = `${req.namespace}/${req.name}/${req.checksum ?? ''}/${s.fingerprint}`;
      this.keys.set(s, { req, key });
    }
    const deadline = this.now() + s.budgetMs;
    // Without a checksum the revision is unknown: never reuse a verdict across revisions.
    const ttl = req.checksum ? s.cacheTtlMs : 0;
    const { source, promise } = this.cache.get(key, async () => {
      const verdict = await this.evaluate(req, s, deadline);
      return { value: verdict, ttlMs: verdict.outcome === 'unavailable' ? 0 : ttl };
    });
    this.metrics.cache.inc({ result: source });
    if (source === 'hit') return { verdict: await promise, cache: source };
    // Each caller keeps its own deadline, even when it joined someone else's query.
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<Verdict>((resolve) => {
      timer = setTimeout(
        () =>
          resolve(
            this.unavailable(
              s,
              new MlflowUnavailableError(
                `no answer from MLflow within the ${formatDuration(s.budgetMs)} budget`,
                'timeout',
              ),
            ),
          ),
        Math.max(0, deadline - this.now()),
      );
    });
    try {
      return { verdict: await Promise.race([promise, late]), cache: source };
    } finally {
      clearTimeout(timer);
    }
  }

  private async evaluate(
    req: JudgeRequest,
    s: QualitySettings,
    deadline: number,
  ): Promise<Verdict> {
    try {
      if (s.mode === 'recif') {
        const exp = await this.experiment(s.experiment, deadline);
        const runs = exp
          ? (
              await this.timed('runs/search', () =>
                this.source.searchRuns(
                  {
                    experiment_ids: [exp.experiment_id],
                    filter: "status = 'FINISHED'",
                    order_by: ['start_time DESC'],
                    max_results: 1,
                  },
                  { deadline },
                ),
              )
            ).runs
          : null;
        return decideRecif(s, runs);
      }
      const exp = await this.experiment(s.experiment, deadline);
      if (!exp) return decideStrict(s, null, req);
      if (!req.checksum && s.canaryVersion === undefined)
        return decideStrict(
          s,
          { canary: { evaluation: null, unfinished: [], lookedFor: '' } },
          req,
        );
      const finder = new EvaluationFinder(this.source, {
        deadline,
        timed: (op, fn) => this.timed(op, fn),
        tracePageSize: this.opts.tracePageSize,
        maxTracePages: this.opts.maxTracePages,
      });
      return decideStrict(s, await finder.find(exp.experiment_id, s, req.checksum), req);
    } catch (err) {
      if (err instanceof MlflowUnavailableError || err instanceof MlflowApiError) {
        this.logger.warn('mlflow unavailable', {
          agent: s.agent,
          namespace: req.namespace,
          experiment: s.experiment,
          error: err.message,
        });
        return this.unavailable(s, err);
      }
      throw err;
    }
  }

  /** The answer when MLflow cannot be read: Recif approves; strict follows `onUnavailable`. */
  unavailable(s: QualitySettings, err: Error): Verdict {
    // Answers say what kind of failure it was, never MLflow's own words (see mlflow-reason.ts).
    const reason = publicMlflowReason(err);
    const base = {
      outcome: 'unavailable' as const,
      mode: s.mode,
      experiment: s.experiment,
      metrics: [],
      reasons: [reason],
    };
    if (s.mode === 'recif') return { ...base, passed: true, message: RECIF_UNAVAILABLE_MESSAGE };
    return s.onUnavailable === 'approve'
      ? {
          ...base,
          passed: true,
          message: `Quality gate passed (MLflow unavailable, onUnavailable=approve): ${reason}`,
        }
      : { ...base, passed: false, message: `Quality gate failed (MLflow unavailable): ${reason}` };
  }

  private async experiment(name: string, deadline: number): Promise<Experiment | null> {
    const cached = this.experiments.get(name);
    if (cached && cached.expires > this.now()) return cached.exp;
    const exp = await this.timed('experiments/get-by-name', () =>
      this.source.getExperimentByName(name, { deadline }),
    );
    // Only found experiments are remembered: a missing one may be created by the next eval job.
    if (exp)
      this.experiments.set(name, {
        exp,
        expires: this.now() + (this.opts.experimentTtlMs ?? 300_000),
      });
    return exp;
  }

  private async timed<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    const start = process.hrtime.bigint();
    const labels = { source: this.source.kind, operation };
    try {
      const out = await fn();
      this.metrics.mlflowDuration.observe(
        { ...labels, outcome: 'ok' },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
      return out;
    } catch (err) {
      const kind =
        err instanceof MlflowUnavailableError
          ? err.reason
          : err instanceof MlflowApiError
            ? 'api'
            : 'internal';
      this.metrics.mlflowDuration.observe(
        { ...labels, outcome: 'error' },
        Number(process.hrtime.bigint() - start) / 1e9,
      );
      this.metrics.mlflowErrors.inc({ ...labels, kind });
      throw err;
    }
  }
}
