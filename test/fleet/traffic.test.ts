/** The traffic-shaping and capacity settings of `rollout`: accepted shapes and clear errors for what the platform cannot do. */
import { describe, expect, it } from 'vitest';
import { checkFleetFile, FleetError, parseFleetFile } from '../../src/fleet/load.js';
import { edit, GOOD } from './helpers.js';

const FILE = 'team-a/support-bot.yaml';
const PROGRESSIVE = edit(edit(GOOD, 'mode: manual', 'mode: progressive'), 'weight: 10', 'weight: 0');

function withRollout(text: string, extra: string): string {
  return edit(text, '  policy: default\n', `  policy: default\n${extra}`);
}

function fails(text: string): FleetError {
  try {
    parseFleetFile(FILE, text);
  } catch (err) {
    expect(err).toBeInstanceOf(FleetError);
    return err as FleetError;
  }
  throw new Error('expected a FleetError');
}

describe('accepted', () => {
  it('reads strategy, cohorts, session affinity, gateways and autoscaling into the rollout settings', () => {
    const a = parseFleetFile(FILE, withRollout(edit(GOOD, '  version: "3"\n', '  version: "3"\n'),
      '  sessionAffinity: { header: x-conversation-id }\n  cohorts:\n    - { header: x-internal-user, values: ["true"] }\n' +
      '  hosts: [support.example.com]\n  gateways: [istio-system/public, mesh]\n  autoscaling: { minReplicas: 2, maxReplicas: 8 }\n'));
    expect(a.rollout).toMatchObject({
      sessionAffinity: { header: 'x-conversation-id' },
      cohorts: [{ header: 'x-internal-user', values: ['true'] }],
      gateways: ['istio-system/public', 'mesh'],
      autoscaling: { minReplicas: 2, maxReplicas: 8 },
    });
  });

  it('a cohort at weight 0 is no "receives no traffic" warning; without cohorts it is', () => {
    const zero = edit(GOOD, 'weight: 10', 'weight: 0');
    expect(checkFleetFile(FILE, zero).warnings.map((w) => w.field)).toContain('spec.canary.weight');
    const cohort = withRollout(zero, '  cohorts: [{ header: x-internal-user, values: ["true"] }]\n');
    expect(checkFleetFile(FILE, cohort).warnings.map((w) => w.field)).not.toContain('spec.canary.weight');
  });
});

describe('bad combinations get a located error naming what is not possible and the fix', () => {
  it('A/B with weights (manual weight, progressive steps)', () => {
    const manual = fails(withRollout(GOOD, '  strategy: ab\n  cohorts: [{ header: x-a, values: ["1"] }]\n'));
    expect(manual).toMatchObject({ line: 16, field: 'spec.canary.weight', value: 10, allowed: '0 with strategy: ab' });
    expect(manual.problem).toContain('A/B with weights');
    const steps = fails(withRollout(PROGRESSIVE, '  strategy: ab\n  cohorts: [{ header: x-a, values: ["1"] }]\n  overrides:\n    steps: [{ weight: 10, hold: 5m }]\n'));
    expect(steps).toMatchObject({ field: 'rollout.overrides.steps', line: 26 });
    expect(steps.problem).toContain('A/B with weights');
    expect(steps.fix).toContain('iterations');
  });

  it('A/B without cohorts; blue-green at 30 %; iterations in manual mode', () => {
    expect(fails(withRollout(edit(GOOD, 'weight: 10', 'weight: 0'), '  strategy: ab\n')).field).toBe('rollout.strategy');
    const bg = fails(withRollout(edit(GOOD, 'weight: 10', 'weight: 30'), '  strategy: blue-green\n'));
    expect(bg).toMatchObject({ field: 'spec.canary.weight', value: 30 });
    expect(bg.allowed).toContain('0');
    expect(bg.allowed).toContain('100');
    const it = fails(withRollout(edit(GOOD, 'weight: 10', 'weight: 0'), '  strategy: blue-green\n  iterations: 5\n'));
    expect(it).toMatchObject({ field: 'rollout.iterations', line: 24 });
    expect(it.fix).toContain('mode: progressive');
  });

  it('session affinity by header on Flagger (cookie only)', () => {
    const e = fails(withRollout(PROGRESSIVE, '  sessionAffinity: { header: x-conversation-id }\n'));
    expect(e).toMatchObject({ field: 'rollout.sessionAffinity.header', value: 'x-conversation-id' });
    expect(e.problem).toContain('Flagger pins sessions only by a cookie');
    expect(e.fix).toContain('sessionAffinity.cookie');
    expect(parseFleetFile(FILE, withRollout(PROGRESSIVE, '  sessionAffinity: { cookie: agent-track }\n')).rollout.sessionAffinity).toEqual({ cookie: 'agent-track' });
  });

  it('session affinity with both or neither key, or with A/B', () => {
    expect(fails(withRollout(GOOD, '  sessionAffinity: { cookie: a, header: x-b }\n')).field).toBe('rollout.sessionAffinity');
    expect(fails(withRollout(GOOD, '  sessionAffinity: { maxAge: 600 }\n')).field).toBe('rollout.sessionAffinity');
    const ab = fails(withRollout(edit(GOOD, 'weight: 10', 'weight: 0'), '  strategy: ab\n  cohorts: [{ header: x-a, values: ["1"] }]\n  sessionAffinity: { cookie: t }\n'));
    expect(ab.field).toBe('rollout.sessionAffinity');
    expect(ab.problem).toContain('cohort match already decides');
  });

  it('cohorts first then a percentage is not possible in progressive mode', () => {
    const e = fails(withRollout(PROGRESSIVE, '  cohorts: [{ header: x-a, values: ["1"] }]\n'));
    expect(e.field).toBe('rollout.cohorts');
    expect(e.fix).toContain('strategy: ab');
    expect(e.fix).toContain('mode: manual');
  });

  it('bad cohorts: both keys, no values, a bad regex, a header name in capitals, a cookie value with a space', () => {
    expect(fails(withRollout(GOOD, '  cohorts: [{ header: x-a, cookie: b, values: ["1"] }]\n')).field).toBe('rollout.cohorts[0]');
    expect(fails(withRollout(GOOD, '  cohorts: [{ header: x-a }]\n')).field).toBe('rollout.cohorts[0]');
    expect(fails(withRollout(GOOD, '  cohorts: [{ header: x-a, regex: "(" }]\n')).field).toBe('rollout.cohorts[0].regex');
    expect(fails(withRollout(GOOD, '  cohorts: [{ header: X-A, values: ["1"] }]\n')).field).toBe('rollout.cohorts[0].header');
    expect(fails(withRollout(GOOD, '  cohorts: [{ cookie: ws, values: ["a b"] }]\n')).field).toBe('rollout.cohorts[0].values[0]');
  });

  it('gateways: Istio only, and with the public hosts', () => {
    const gw = fails(withRollout(edit(GOOD, 'routing: istio', 'routing: gateway-api\n  gatewayRefs: [{ name: gw }]'), '  gateways: [istio-system/public]\n'));
    expect(gw.field).toBe('rollout.gateways');
    expect(gw.fix).toContain('gatewayRefs');
    const noHosts = fails(withRollout(GOOD, '  gateways: [istio-system/public]\n'));
    expect(noHosts.fix).toContain('rollout.hosts');
    const noMesh = checkFleetFile(FILE, withRollout(GOOD, '  hosts: [a.example.com]\n  gateways: [istio-system/public]\n'));
    expect(noMesh.errors).toEqual([]);
    expect(noMesh.warnings.map((w) => w.field)).toContain('rollout.gateways');
  });

  it('capacity: min above max, replicas beside autoscaling, replicas 0 in progressive mode', () => {
    expect(fails(withRollout(GOOD, '  autoscaling: { minReplicas: 5, maxReplicas: 2 }\n')).field).toBe('rollout.autoscaling.maxReplicas');
    const both = fails(withRollout(edit(GOOD, '  version: "3"\n', '  replicas: 2\n  version: "3"\n'), '  autoscaling: { minReplicas: 2, maxReplicas: 4 }\n'));
    expect(both.field).toBe('spec.replicas');
    expect(both.fix).toContain('minReplicas');
    expect(fails(edit(PROGRESSIVE, '  version: "3"\n', '  replicas: 0\n  version: "3"\n')).field).toBe('spec.replicas');
  });
});
