/**
 * Webhook tokens in the generated Canaries: with the gate's secret each agent gets its own
 * derived token (never the secret); without it no token at all, even when a policy sets a shared
 * one (that would put a reusable secret into Git). The gate accepts exactly those tokens.
 */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { synthesizeAgent } from '../../src/synth/synthesize.js';
import { gateSecretFromEnv, gateTokenNote } from '../../src/synth/gate-token.js';
import { byKindName, fleetAgent, policies, policySpec } from './_fixtures.js';

const SECRET = 'gate-secret-for-tests';

function hookTokens(opts: {
  gateSecret?: string;
  sharedToken?: string;
  namespace?: string;
}): (string | undefined)[] {
  const spec = opts.sharedToken
    ? { ...policySpec, gate: { ...policySpec.gate, token: opts.sharedToken } }
    : policySpec;
  const agent = fleetAgent({
    rollout: { mode: 'progressive' },
    ...(opts.namespace ? { namespace: opts.namespace } : {}),
  });
  const objects = byKindName(
    synthesizeAgent(agent, { policies: policies(spec), gateSecret: opts.gateSecret }),
  );
  const webhooks = objects.get('Canary/support-bot').spec.analysis.webhooks as {
    metadata?: Record<string, string>;
  }[];
  return webhooks.filter((w) => w.metadata?.['check']).map((w) => w.metadata!['token']);
}

describe('per-agent webhook tokens', () => {
  it("writes each agent's HMAC-SHA256(secret, namespace/name) into every gate hook, never the secret", () => {
    const tokens = hookTokens({ gateSecret: SECRET, sharedToken: 'shared-in-policy' });
    const expected = createHmac('sha256', SECRET).update('team-a/support-bot').digest('hex');
    expect(tokens.length).toBeGreaterThanOrEqual(2);
    expect(tokens.every((t) => t === expected)).toBe(true);
    const another = hookTokens({ gateSecret: SECRET, namespace: 'team-other' });
    expect(another[0]).not.toBe(expected);
  });

  it('writes no token without the secret, even when the policy has a shared one, and says so', () => {
    expect(hookTokens({ sharedToken: 'shared-in-policy' }).every((t) => t === undefined)).toBe(
      true,
    );
    const note = gateTokenNote(
      undefined,
      policies({ ...policySpec, gate: { ...policySpec.gate, token: 'x' } }),
    );
    expect(note).toMatch(/AGENT_CANARY_GATE_SECRET is not set/);
    expect(note).toMatch(/gate\.token of policy default is not written into Git/);
    expect(gateTokenNote(SECRET, policies())).toBeNull();
  });

  it('reads the secret from AGENT_CANARY_GATE_SECRET; empty means unset', () => {
    expect(gateSecretFromEnv({ AGENT_CANARY_GATE_SECRET: 's' })).toBe('s');
    expect(gateSecretFromEnv({ AGENT_CANARY_GATE_SECRET: '' })).toBeUndefined();
    expect(gateSecretFromEnv({})).toBeUndefined();
  });
});
