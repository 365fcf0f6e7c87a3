/**
 * Webhook tokens in the generated Canaries (docs/gate.md "Webhook authentication"). The
 * generator never writes a reusable secret into the GitOps repository: given the gate's secret
 * (AGENT_CANARY_GATE_SECRET), it writes into each agent's hook metadata only that agent's derived
 * token, `HMAC-SHA256(secret, "namespace/name")`; a token read from Git then authorizes calls
 * for that one agent. Without the secret it writes no token at all (a policy's shared
 * `gate.token` is no longer copied into Git).
 */
import { agentToken } from '../http/auth.js';
import type { FleetAgent } from '../fleet/types.js';
import type { Policy, PolicySpec } from '../policy/types.js';

/** The environment variable holding the gate's secret, for `synth`, the GitOps operations and the gate. */
export const GATE_SECRET_ENV = 'AGENT_CANARY_GATE_SECRET';

/** The gate secret from the environment, or undefined when unset or empty. */
export function gateSecretFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const v = env[GATE_SECRET_ENV];
  return v === undefined || v === '' ? undefined : v;
}

/** The policy an agent is generated with: its gate token is the agent's derived token, or none. */
export function withAgentToken(
  spec: PolicySpec,
  agent: FleetAgent,
  secret: string | undefined,
): PolicySpec {
  const meta = agent.agent.metadata;
  const token = secret === undefined ? undefined : agentToken(secret, meta.namespace, meta.name);
  if (token === spec.gate.token) return spec;
  const { token: _shared, ...gate } = spec.gate;
  return { ...spec, gate: token === undefined ? gate : { ...gate, token } };
}

/** What `synth` says when the Canaries carry no token, or null when there is nothing to say. */
export function gateTokenNote(
  secret: string | undefined,
  policies: ReadonlyMap<string, Policy>,
): string | null {
  if (secret !== undefined) return null;
  const shared = [...policies.values()]
    .filter((p) => p.spec.gate.token !== undefined)
    .map((p) => p.metadata.name);
  return (
    `${GATE_SECRET_ENV} is not set: the generated Canaries carry no webhook token, so the gate accepts hook calls ` +
    `from anyone who can reach it unless it is started with a shared --token.` +
    (shared.length
      ? ` The gate.token of polic${shared.length > 1 ? 'ies' : 'y'} ${shared.join(', ')} is not written into Git (it would let anyone who reads the repository call for every agent).`
      : '') +
    ` Fix: set ${GATE_SECRET_ENV} for synth and put the same value in the gate's Secret (docs/gate.md "Webhook authentication").`
  );
}
