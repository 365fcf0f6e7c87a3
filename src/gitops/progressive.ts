/**
 * Git semantics of promote and rollback for an agent whose weight Flagger owns
 * (`rollout.mode: progressive`). Flagger starts an analysis when the target Deployment's pod
 * template (and the ConfigMaps it tracks) changes, and judges it with the gate metadata of the
 * Canary's webhooks. Both must keep naming the same versions as the fleet file:
 *
 * - promote: the challenger becomes the target spec (stable fields and version replaced by the
 *   canary's, `spec.canary` removed). The target already renders the challenger while a canary
 *   runs, so its pod template does not change and Flagger goes on with the analysis it is running
 *   (or starts one, when the challenger set no version and the version moves). The promotion is
 *   recorded as the Agent annotation `agent-canary.dev/promotion: "<from> -> <to>"`, so the gate
 *   keeps comparing the promoted version with the one the primary still runs, not with itself.
 * - rollback: the target returns to the stable spec (`spec.canary` removed, the annotation too):
 *   a new revision for Flagger, which sends all traffic back to the primary at once.
 * - start: a new canary compares with the stable version again; the annotation is dropped.
 */
import { PROMOTION_ANNOTATION } from '../../constructs/_gate-metadata.js';
import type { FleetAgent } from '../fleet/types.js';
import type { FleetFileEditor } from './fleet-edit.js';

export { PROMOTION_ANNOTATION };

export const isProgressive = (agent: FleetAgent): boolean => agent.rollout.mode === 'progressive';

/** Records that `to` was promoted over `from` (the version the primary runs until Flagger is done). */
export function setBaseline(e: FleetFileEditor, agent: FleetAgent, from: string, to: string): void {
  const value = `${from} -> ${to}`;
  const annotations = agent.agent.metadata.annotations;
  if (annotations && Object.keys(annotations).length > 0)
    e.set(['metadata', 'annotations', PROMOTION_ANNOTATION], value);
  else e.set(['metadata', 'annotations'], { [PROMOTION_ANNOTATION]: value });
}

/** Removes the promotion annotation (and `annotations` when it was the only one). */
export function dropBaseline(e: FleetFileEditor, agent: FleetAgent): void {
  const annotations = agent.agent.metadata.annotations;
  if (annotations?.[PROMOTION_ANNOTATION] === undefined) return;
  if (Object.keys(annotations).length === 1) e.delete(['metadata', 'annotations']);
  else e.delete(['metadata', 'annotations', PROMOTION_ANNOTATION]);
}

/**
 * The extra commit body and edit of a progressive promote: the baseline the gate keeps
 * comparing with while Flagger rolls `version` out (none when the version does not move).
 */
export function progressivePromote(
  agent: FleetAgent,
  version: string | undefined,
): { readonly body: readonly string[]; readonly edit: (e: FleetFileEditor) => void } {
  const before = agent.agent.spec.version;
  const baseline =
    before !== undefined && version !== undefined && before !== version ? before : undefined;
  const body = [
    '',
    'Progressive mode: the promoted spec is the target Flagger rolls out under analysis;',
    baseline !== undefined
      ? `the quality gate keeps comparing version ${version ?? '?'} with version ${baseline} (the primary) until Flagger has promoted it.`
      : 'the version does not change, so the gate compares it by revision checksum.',
  ];
  return {
    body,
    edit: (e) =>
      baseline !== undefined && version !== undefined
        ? setBaseline(e, agent, baseline, version)
        : dropBaseline(e, agent),
  };
}

/** The progressive rollback's words: what Flagger does with the stable spec. */
export const PROGRESSIVE_ROLLBACK_NOTE =
  'Flagger sees the stable spec as a new revision and sends all traffic back to the primary';
