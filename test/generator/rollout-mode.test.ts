/** One rollout mode per agent: Flagger's generated names collide with manual mode's objects. */
import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { CanaryWorkload, FlaggerCanary, IstioRoute, RolloutModeConflictError } from '../../constructs/index.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { fleetAgent, policies, policySpec } from './_fixtures.js';

describe('both modes on one agent', () => {
  it('is refused when a Flagger Canary joins a manual canary workload, naming both', () => {
    const app = new App({ outdir: '.' });
    const chart = new Chart(app, 'c');
    const { agent } = fleetAgent();
    new CanaryWorkload(chart, 'Manual', { agent, policy: policySpec });
    let err: unknown;
    try {
      new FlaggerCanary(chart, 'Flagger', { agent, policy: policySpec });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RolloutModeConflictError);
    expect((err as Error).message).toMatch(/team-a\/support-bot.*'progressive'.*c\/Flagger.*'manual'.*c\/Manual/);
  });

  it('is refused across Charts too (the claim lives on the App)', () => {
    const app = new App({ outdir: '.' });
    const { agent } = fleetAgent();
    new FlaggerCanary(new Chart(app, 'a'), 'Flagger', { agent, policy: policySpec });
    expect(() => new IstioRoute(new Chart(app, 'b'), 'Route', { agent })).toThrow(RolloutModeConflictError);
  });

  it('is refused by synthesize when the fleet holds the agent twice with both modes', () => {
    const manual = fleetAgent();
    const progressive = { ...fleetAgent({ rollout: { mode: 'progressive' } }), file: 'team-a/support-bot-copy.yaml' };
    expect(() => synthesize([manual, progressive], { policies: policies() })).toThrow(/team-a\/support-bot is defined twice/);
  });

  it('allows the same agent name in two namespaces, one per mode', () => {
    const a = fleetAgent({ namespace: 'team-a' });
    const b = fleetAgent({ namespace: 'team-b', rollout: { mode: 'progressive' } });
    const paths = synthesize([a, b], { policies: policies() }).map((m) => m.path);
    expect(paths).toContain('team-a/support-bot/VirtualService.support-bot.yaml');
    expect(paths).toContain('team-b/support-bot/Canary.support-bot.yaml');
  });
});
