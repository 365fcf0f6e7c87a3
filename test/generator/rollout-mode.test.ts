/** One rollout mode per agent: Flagger's generated names collide with manual mode's objects. */
import { ApiObject, App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import {
  CanaryWorkload,
  FlaggerCanary,
  IstioRoute,
  RolloutModeConflictError,
} from '../../constructs/index.js';
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
    expect((err as Error).message).toMatch(
      /team-a\/support-bot.*'progressive'.*c\/Flagger.*'manual'.*c\/Manual/,
    );
  });

  it('is refused across Charts too (the claim lives on the App)', () => {
    const app = new App({ outdir: '.' });
    const { agent } = fleetAgent();
    new FlaggerCanary(new Chart(app, 'a'), 'Flagger', { agent, policy: policySpec });
    expect(() => new IstioRoute(new Chart(app, 'b'), 'Route', { agent })).toThrow(
      RolloutModeConflictError,
    );
  });

  it('is refused by synthesize when the fleet holds the agent twice with both modes', () => {
    const manual = fleetAgent();
    const progressive = {
      ...fleetAgent({ rollout: { mode: 'progressive' } }),
      file: 'team-a/support-bot-copy.yaml',
    };
    expect(() => synthesize([manual, progressive], { policies: policies() })).toThrow(
      /team-a\/support-bot is defined twice/,
    );
  });

  it('allows the same agent name in two namespaces, one per mode', () => {
    const a = fleetAgent({ namespace: 'team-a' });
    const b = fleetAgent({ namespace: 'team-b', rollout: { mode: 'progressive' } });
    const paths = synthesize([a, b], { policies: policies() }).map((m) => m.path);
    expect(paths).toContain('team-a/support-bot/VirtualService.support-bot.yaml');
    expect(paths).toContain('team-b/support-bot/Canary.support-bot.yaml');
  });
});

describe('Flagger target validation (node.addValidation)', () => {
  const { agent } = fleetAgent();

  function errorsFor(spec: Record<string, unknown>, name = 'support-bot'): string[] {
    const app = new App({ outdir: '.' });
    const chart = new Chart(app, 'c');
    const apiObject = new ApiObject(chart, 'Target', {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace: 'team-a' },
      spec,
    });
    const target = {
      apiObject,
      replicas: spec['replicas'] as number | undefined,
      selector: (spec['selector'] as { matchLabels: Record<string, string> }).matchLabels,
    };
    const canary = new FlaggerCanary(chart, 'Flagger', { agent, policy: policySpec, target });
    return canary.node.validate();
  }

  it('accepts a target without replicas that selects on app only', () => {
    expect(errorsFor({ selector: { matchLabels: { app: 'support-bot' } } })).toEqual([]);
  });

  it('reports replicas on the target, with the fix', () => {
    expect(errorsFor({ replicas: 3, selector: { matchLabels: { app: 'support-bot' } } })).toEqual([
      expect.stringMatching(/sets spec\.replicas 3.*Fix: drop replicas/),
    ]);
  });

  it('reports a selector Flagger cannot rewrite', () => {
    expect(
      errorsFor({ selector: { matchLabels: { app: 'support-bot', version: 'stable' } } }),
    ).toEqual([expect.stringMatching(/Flagger needs exactly \{"app":"support-bot"\}/)]);
  });

  it('reports a target that is not the targetRef', () => {
    expect(errorsFor({ selector: { matchLabels: { app: 'support-bot' } } }, 'other')).toEqual([
      expect.stringMatching(/is not the Canary's targetRef/),
    ]);
  });
});
