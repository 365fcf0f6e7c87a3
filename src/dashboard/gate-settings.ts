/**
 * The gate settings of an agent exactly as Flagger's webhook receives them: the metadata the
 * generator writes from the agent's policy (constructs/_gate-metadata.ts), read by the gate's own
 * resolver. The dashboard judges with these, so its verdict is the webhook's verdict.
 */
import { qualityGateMetadata } from '../../constructs/_gate-metadata.js';
import type { FleetAgent } from '../fleet/types.js';
import type { PolicySpec } from '../policy/types.js';
import { DEFAULTS, resolveSettings, type QualitySettings } from '../gate/settings.js';

export interface Versions {
  /** The canary version judged. @default the running canary's (else the stable version) */
  readonly canary?: string;
  /** The baseline. @default the agent's stable version */
  readonly stable?: string;
}

export function settingsFor(
  agent: FleetAgent,
  spec: PolicySpec,
  versions: Versions = {},
): QualitySettings {
  const meta = qualityGateMetadata(agent.agent, spec, versions.canary);
  if (versions.stable !== undefined) meta['stableVersion'] = versions.stable;
  return resolveSettings(
    meta,
    { name: agent.agent.metadata.name, namespace: agent.agent.metadata.namespace },
    DEFAULTS,
  );
}
