/**
 * The Recif `Agent` resource (agents.recif.dev/v1), exactly as the Agent CRD accepts it: the
 * fleet file minus its `rollout` key. The Recif platform reads it (dashboard, proxy weight,
 * evaluation); agent-canary's own objects are rendered beside it.
 */
import { ConstructInputError } from './_errors.js';
import { Construct } from 'constructs';
import {
  Agent as AgentObject,
  type AgentSpec as AgentObjectSpec,
} from '../imports/agents-agents.recif.dev.js';
import type { AgentResource } from '../src/fleet/types.js';
import { SyncWave, syncWave } from './_labels.js';

export interface RecifAgentProps {
  /** The Agent resource from the fleet file (defaults resolved by the fleet loader). */
  readonly agent: AgentResource;
  /** Argo CD sync wave. @default SyncWave.WORKLOAD */
  readonly syncWave?: SyncWave;
}

export class RecifAgent extends Construct {
  readonly apiObject: AgentObject;

  constructor(scope: Construct, id: string, props: RecifAgentProps) {
    super(scope, id);
    const { agent } = props;
    if (agent.apiVersion !== 'agents.recif.dev/v1' || agent.kind !== 'Agent') {
      throw new ConstructInputError(
        `RecifAgent ${agent.metadata?.namespace}/${agent.metadata?.name}: props.agent must be apiVersion agents.recif.dev/v1, kind Agent (got ${agent.apiVersion} ${agent.kind})`,
      );
    }
    const annotations = {
      ...(agent.metadata.annotations ?? {}),
      ...syncWave(props.syncWave ?? SyncWave.WORKLOAD),
    };
    this.apiObject = new AgentObject(this, 'Resource', {
      metadata: {
        name: agent.metadata.name,
        namespace: agent.metadata.namespace,
        ...(agent.metadata.labels ? { labels: { ...agent.metadata.labels } } : {}),
        annotations,
      },
      // The fleet types mirror the CRD field for field; readonly arrays are copied as given.
      spec: agent.spec as unknown as AgentObjectSpec,
    });
  }
}
