/**
 * `POST /api/v1/webhooks/flagger`, in four steps (files under webhook/), in octokit/webhooks.js
 * order: method (405, by the router), then
 *   1. parse:     Content-Type (415), body size (413), JSON and fields (400 naming the field)
 *   2. authorize: the token in metadata (401)
 *   3. decide:    `quality` (verdict) or `step-hold` (hold answer)
 *   4. render:    200 pass / 412 fail, with a message a human can act on
 * This file only wires the steps together and keeps the metrics and the decision log.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Route } from '../http/router.js';
import { sendJson, sendText } from '../http/respond.js';
import { getRequestId } from '../http/handler.js';
import type { Logger } from '../http/log.js';
import { DEFAULTS, type GateDefaults } from './settings.js';
import type { StepHolds } from './step-hold.js';
import type { QualityEngine } from './engine.js';
import { payloadReader } from './webhook/parse.js';
import { checkToken, unauthorized, type WebhookAuth } from './webhook/authorize.js';
import {
  CHECKS,
  checkOf,
  isEvent,
  labelOf,
  quality,
  settingsResolver,
  stepHold,
  type DeciderOptions,
} from './webhook/decide.js';
import { qualityTextRenderer, renderStepHold } from './webhook/render.js';

export const WEBHOOK_PATH = '/api/v1/webhooks/flagger';

export interface WebhookOptions extends WebhookAuth {
  readonly engine: QualityEngine;
  readonly holds: StepHolds;
  readonly logger: Logger;
  /** @default DEFAULTS (the policy defaults of GateSettings) */
  readonly defaults?: GateDefaults;
}

export function webhookRoute(opts: WebhookOptions): Route {
  const decider: DeciderOptions = {
    engine: opts.engine,
    holds: opts.holds,
    defaults: opts.defaults ?? DEFAULTS,
    decisions: opts.engine.metrics.decisions,
  };
  const { decisions } = decider;
  const auth: WebhookAuth = { secret: opts.secret, token: opts.token };
  const readPayload = payloadReader();
  const settingsOf = settingsResolver(decider.defaults);
  const renderQualityText = qualityTextRenderer();
  const log = opts.logger;

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = getRequestId(req);
    const payload = await readPayload(req).catch((err: unknown) => {
      decisions.inc({ check: 'unknown', mode: 'unknown', result: 'bad_request' });
      throw err;
    });
    const ids = {
      name: payload.name,
      namespace: payload.namespace,
      checksum: payload.checksum,
      phase: payload.phase,
    };

    // Events are notifications (the global -event-webhook cannot carry a token): log, answer 200.
    if (isEvent(payload)) {
      decisions.inc({ check: 'event', mode: 'none', result: 'logged' });
      const event = {
        type: (payload.metadata.eventType ?? '').slice(0, 64),
        message: (payload.metadata.eventMessage ?? '').slice(0, 1000),
      };
      log.info('flagger event', {
        requestId,
        ...ids,
        eventType: event.type,
        eventMessage: event.message,
      });
      sendJson(res, 200, {
        status: 'ok',
        message: 'Flagger event logged',
        check: 'event',
        namespace: payload.namespace,
        name: payload.name,
        event,
      });
      return;
    }

    const authorized = checkToken(payload, auth);
    if (!authorized.ok) {
      decisions.inc({
        check: labelOf(payload.metadata.check ?? 'quality', CHECKS),
        mode: 'unknown',
        result: 'unauthorized',
      });
      log.warn('webhook token rejected', {
        requestId,
        name: payload.name,
        namespace: payload.namespace,
        reason: authorized.reason,
      });
      throw unauthorized(payload, authorized.reason, auth);
    }

    let check;
    try {
      check = checkOf(payload);
    } catch (err) {
      decisions.inc({ check: 'unknown', mode: 'none', result: 'bad_request' });
      throw err;
    }

    if (check === 'step-hold') {
      const answer = stepHold(payload, decider);
      decisions.inc({ check, mode: 'none', result: answer.passed ? 'released' : 'hold' });
      log.info('step hold', {
        requestId,
        ...ids,
        passed: answer.passed,
        approvals: answer.approvals,
        waitMs: answer.waitMs,
        ...(answer.uncertain ? { uncertain: true } : {}),
      });
      const out = renderStepHold(payload, answer);
      sendJson(res, out.status, out.body);
      return;
    }

    const started = Date.now();
    const decision = await quality(payload, decider, settingsOf);
    const { verdict, cache, settings } = decision;
    const result =
      verdict.outcome === 'unavailable'
        ? `unavailable_${verdict.passed ? 'approve' : 'reject'}`
        : verdict.outcome.replace('-', '_');
    decisions.inc({ check, mode: settings.mode, result });
    // A cached answer repeats a decision already logged; keep one line per MLflow read.
    if (cache !== 'hit' || log.level === 'debug') {
      const fields = {
        requestId,
        ...ids,
        agent: settings.agent,
        mode: settings.mode,
        outcome: verdict.outcome,
        passed: verdict.passed,
        cache,
        score: verdict.score,
        ms: Date.now() - started,
      };
      if (cache === 'hit') log.debug('quality decision', fields);
      else log.info('quality decision', { ...fields, reasons: verdict.reasons });
    }
    const out = renderQualityText(payload, decision);
    sendText(res, out.status, out.text, 'application/json; charset=utf-8');
  };
  return { method: 'POST', path: WEBHOOK_PATH, handler };
}
