/**
 * `POST /api/v1/webhooks/flagger`. Checks in octokit/webhooks.js order: method (405, by the
 * router), Content-Type (415), body size (413), JSON and fields (400 naming the field), token
 * (401), then the check: `quality` (200 pass / 412 fail) or `step-hold` (200 / 412).
 *
 * Flagger passes a hook only on 200-202 and shows the body of any other answer in the Canary's
 * events, so every 412 carries a message a human can act on.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { readBody, requireJson } from '../http/body.js';
import { HttpError } from '../http/errors.js';
import { sendJson, sendText } from '../http/respond.js';
import { getRequestId } from '../http/handler.js';
import type { Logger } from '../http/log.js';
import { parsePayload, type FlaggerPayload } from './payload.js';
import { DEFAULTS, FieldError, resolveSettings, type GateDefaults, type QualitySettings } from './settings.js';
import type { Verdict } from './verdict.js';
import { parseStepPlan, StateWriteError, StepHolds, type HoldAnswer } from './step-hold.js';
import { tokensEqual } from './token.js';
import type { QualityEngine } from './engine.js';

export const WEBHOOK_PATH = '/api/v1/webhooks/flagger';

export interface WebhookOptions {
  readonly engine: QualityEngine;
  readonly holds: StepHolds;
  readonly logger: Logger;
  /** Shared token every call must carry in `metadata.token`; unset = no check. */
  readonly token?: string;
  /** @default DEFAULTS (the policy defaults of GateSettings) */
  readonly defaults?: GateDefaults;
}

/** Step holds and quality calls of one revision share this key. */
function holdKey(p: FlaggerPayload): string {
  return `${p.namespace}/${p.name}/${p.checksum ?? ''}`;
}

function fieldError(err: unknown): never {
  if (err instanceof FieldError) throw new HttpError(400, err.message, { field: err.field, ...(err.allowed ? { allowed: err.allowed } : {}) });
  throw err;
}

export function webhookRoute(opts: WebhookOptions): Route {
  const defaults = opts.defaults ?? DEFAULTS;
  const decisions = opts.engine.metrics.decisions;
  // Flagger sends the same body every tick. Remembering what a body parses to (and the answer
  // text for a cached verdict) keeps a warm-cache answer close to the cost of bare node:http.
  const parsedBodies = new Map<string, FlaggerPayload>();
  const settingsOf = new WeakMap<FlaggerPayload, QualitySettings>();
  const answerOf = new WeakMap<FlaggerPayload, { verdict: Verdict; text: string }>();
  const parse = (raw: string): FlaggerPayload => {
    const known = parsedBodies.get(raw);
    if (known) return known;
    let json: unknown;
    try {
      json = JSON.parse(raw) as unknown;
    } catch (err) {
      throw new HttpError(400, `Request body is not valid JSON: ${(err as Error).message}. Fix: send a JSON object.`, { field: '(body)' });
    }
    const payload = parsePayload(json);
    if (raw.length <= 4096) {
      if (parsedBodies.size >= 1000) parsedBodies.delete(parsedBodies.keys().next().value as string);
      parsedBodies.set(raw, payload);
    }
    return payload;
  };

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = getRequestId(req);
    const log = opts.logger;
    let payload: FlaggerPayload;
    try {
      requireJson(req);
      payload = parse(await readBody(req));
    } catch (err) {
      decisions.inc({ check: 'unknown', mode: 'unknown', result: 'bad_request' });
      fieldError(err);
    }
    const meta = payload.metadata;
    if (opts.token !== undefined) {
      const given = meta.token;
      if (given === undefined || !tokensEqual(given, opts.token)) {
        decisions.inc({ check: meta.check ?? 'quality', mode: 'unknown', result: 'unauthorized' });
        log.warn('webhook token rejected', { requestId, name: payload.name, namespace: payload.namespace, reason: given === undefined ? 'missing' : 'mismatch' });
        throw new HttpError(401, `metadata.token ${given === undefined ? 'is missing' : 'does not match'}. Fix: set the gate token in the policy (it is written into the hook metadata) to the value the gate was started with.`, { field: 'metadata.token' });
      }
    }
    const check = meta.check ?? 'quality';
    const ids = { name: payload.name, namespace: payload.namespace, checksum: payload.checksum, phase: payload.phase };

    if (check === 'step-hold') {
      let plan;
      try {
        plan = parseStepPlan(meta);
      } catch (err) {
        decisions.inc({ check, mode: 'none', result: 'bad_request' });
        fieldError(err);
      }
      let answer: HoldAnswer;
      try {
        answer = opts.holds.check(holdKey(payload), plan);
      } catch (err) {
        if (!(err instanceof StateWriteError)) throw err;
        decisions.inc({ check, mode: 'none', result: 'state_error' });
        // Not 412: this is the gate's fault, not the canary's. Flagger halts and asks again next tick.
        throw new HttpError(503, err.message, { stateFile: err.file });
      }
      decisions.inc({ check, mode: 'none', result: answer.passed ? 'released' : 'hold' });
      log.info('step hold', { requestId, ...ids, passed: answer.passed, approvals: answer.approvals, waitMs: answer.waitMs, ...(answer.uncertain ? { uncertain: true } : {}) });
      sendJson(res, answer.passed ? 200 : 412, {
        status: answer.passed ? 'ok' : 'failed',
        message: answer.message,
        check,
        agent: meta.agent ?? payload.name,
        namespace: payload.namespace,
        checksum: payload.checksum,
        approvals: answer.approvals,
        nextWeight: answer.nextWeight,
        waitSeconds: Math.ceil(answer.waitMs / 1000),
        ...(answer.uncertain ? { uncertain: true } : {}),
      });
      return;
    }
    if (check !== 'quality') {
      decisions.inc({ check: 'unknown', mode: 'none', result: 'bad_request' });
      throw new HttpError(400, `metadata.check: invalid value ${JSON.stringify(check)} (allowed: quality | step-hold). Fix: use "quality" for score checks or "step-hold" for step durations.`, { field: 'metadata.check', allowed: 'quality | step-hold' });
    }
    // A revision's quality call before any step-hold call means it already has traffic (the
    // lost-state rule of step holds needs to know).
    opts.holds.noteQuality(holdKey(payload));
    let settings = settingsOf.get(payload);
    if (!settings) try {
      settings = resolveSettings(meta, payload, defaults);
      settingsOf.set(payload, settings);
    } catch (err) {
      decisions.inc({ check, mode: meta.mode ?? 'unknown', result: 'bad_request' });
      fieldError(err);
    }
    const started = Date.now();
    const { verdict, cache } = await opts.engine.judge(payload, settings);
    const result = verdict.outcome === 'unavailable' ? `unavailable_${verdict.passed ? 'approve' : 'reject'}` : verdict.outcome.replace('-', '_');
    decisions.inc({ check, mode: settings.mode, result });
    // A cached answer repeats a decision already logged; keep one line per MLflow read.
    if (cache !== 'hit' || log.level === 'debug') {
      const fields = { requestId, ...ids, agent: settings.agent, mode: settings.mode, outcome: verdict.outcome, passed: verdict.passed, cache, score: verdict.score, ms: Date.now() - started };
      if (cache === 'hit') log.debug('quality decision', fields);
      else log.info('quality decision', { ...fields, reasons: verdict.reasons });
    }
    const status = verdict.passed ? 200 : 412;
    const memo = cache === 'hit' ? answerOf.get(payload) : undefined;
    if (memo && memo.verdict === verdict) {
      sendText(res, status, memo.text, 'application/json; charset=utf-8');
      return;
    }
    const text = JSON.stringify({
      status: verdict.passed ? 'ok' : 'failed',
      message: verdict.message,
      check,
      outcome: verdict.outcome,
      mode: verdict.mode,
      agent: settings.agent,
      namespace: payload.namespace,
      checksum: payload.checksum,
      experiment: verdict.experiment,
      score: verdict.score,
      samples: verdict.samples,
      runs: verdict.runs,
      metrics: verdict.metrics,
      reasons: verdict.reasons,
      notes: verdict.notes,
      cache: 'hit',
    });
    // The stored text says `"cache":"hit"`: it is only reused for cache hits.
    answerOf.set(payload, { verdict, text });
    sendText(res, status, cache === 'hit' ? text : text.replace(/"cache":"hit"}$/, `"cache":"${cache}"}`), 'application/json; charset=utf-8');
  };
  return { method: 'POST', path: WEBHOOK_PATH, handler };
}
