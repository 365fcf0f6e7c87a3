/**
 * Every Flagger hook type against the gate, read through Flagger's own rule for each type
 * (scheduler_hooks.go: success is status <= 202; a `rollback` hook's success rolls back). The gate
 * judges only hooks whose metadata says what to check; anything else gets a non-2xx, so a
 * hand-written rollback hook on the gate URL can never roll back a good canary. Events get 200.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture, goodData, payload, post, type Fixture } from './helpers.js';

type HookType =
  | 'confirm-rollout'
  | 'pre-rollout'
  | 'rollout'
  | 'confirm-traffic-increase'
  | 'confirm-promotion'
  | 'post-rollout'
  | 'rollback'
  | 'event';

/** What Flagger does with an answer, per hook type (reference B.3). */
function flaggerEffect(type: HookType, status: number): string {
  const ok = status <= 202;
  switch (type) {
    case 'confirm-rollout':
      return ok ? 'start rollout' : 'wait';
    case 'pre-rollout':
    case 'rollout':
      return ok ? 'advance' : 'failed check';
    case 'confirm-traffic-increase':
      return ok ? 'increase weight' : 'hold weight';
    case 'confirm-promotion':
      return ok ? 'promote' : 'wait promotion';
    case 'post-rollout':
      return 'logged';
    case 'rollback':
      return ok ? 'ROLL BACK' : 'no rollback';
    case 'event':
      return 'logged';
  }
}

const TOKEN = 'shared-token-1';
let f: Fixture;
beforeAll(async () => {
  f = await fixture(goodData(), { token: TOKEN });
});
afterAll(async () => f.close());

const withToken = (md: Record<string, string>) => ({ ...md, token: TOKEN });

describe('every hook type gets the intended answer', () => {
  it('the generated hooks: quality on rollout, step-hold on confirm-traffic-increase / confirm-promotion', async () => {
    const quality = await post(f.gate.url, payload(withToken({})));
    expect([quality.status, flaggerEffect('rollout', quality.status)]).toEqual([200, 'advance']);
    const plan = { check: 'step-hold', stepWeights: '5,10', stepHolds: '0s,0s,0s' };
    const hold = await post(f.gate.url, payload(withToken(plan), { checksum: 'c-hold' }));
    expect(flaggerEffect('confirm-traffic-increase', hold.status)).toMatch(
      /increase weight|hold weight/,
    );
  });

  it.each<HookType>([
    'rollback',
    'confirm-rollout',
    'pre-rollout',
    'rollout',
    'confirm-traffic-increase',
    'confirm-promotion',
    'post-rollout',
  ])(
    'a %s hook on the gate without metadata.check gets 400: never an approval, never a rollback',
    async (type) => {
      // A hand-written hook: its own metadata, the right token, a good canary, but no check.
      const body = payload(withToken({}));
      delete (body.metadata as Record<string, string>).check;
      const a = await post(f.gate.url, body);
      expect(a.status).toBe(400);
      expect(a.body.field).toBe('metadata.check');
      expect(String(a.body.detail ?? a.body.title ?? a.body.message)).toMatch(
        /metadata\.check is missing/,
      );
      expect(flaggerEffect(type, a.status)).not.toMatch(
        /ROLL BACK|advance|start rollout|increase weight|promote$/,
      );
    },
  );

  it('Flagger event payloads get 200 and are logged, with or without a token, phase possibly empty', async () => {
    for (const md of [
      {
        eventMessage: 'New revision detected! Scaling up support-bot.team-support',
        eventType: 'Normal',
        timestamp: '1764660000000',
      },
      { eventType: 'Warning', eventMessage: 'Halt advancement', token: 'wrong' },
    ]) {
      const a = await post(f.gate.url, {
        name: 'support-bot',
        namespace: 'team-support',
        phase: '',
        metadata: md,
      });
      expect(a.status).toBe(200);
      expect(a.body).toMatchObject({ status: 'ok', check: 'event', event: { type: md.eventType } });
      expect(flaggerEffect('event', a.status)).toBe('logged');
    }
    // An event hook that also carries the quality metadata is still only an event.
    const mixed = await post(
      f.gate.url,
      payload({ eventMessage: 'Canary analysis started', eventType: 'Normal' }),
    );
    expect(mixed.body.check).toBe('event');
    const metrics = await (await fetch(`${f.gate.url}/metrics`)).text();
    expect(metrics).toMatch(
      /agent_canary_gate_decisions_total\{check="event",mode="none",result="logged"\} 3/,
    );
  });
});
