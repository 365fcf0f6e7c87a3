/**
 * What an agent's manifests mean for live traffic, and what changes between two revisions:
 * canary started, stopped, promoted, weight 10 -> 25, plan changed, challenger config changed.
 * Read from the synthesized objects (Agent, Flagger Canary, routes), so it works for any tree
 * that the validator can read, with or without the fleet.
 */
import type { Resource, TrafficChange } from '../types.js';
import { get, groupAgents, type AgentView } from '../rules/context.js';
import { manualWeight } from '../rules/weights.js';

export interface AgentState {
  readonly id: string;
  readonly mode: 'progressive' | 'manual';
  readonly canaryEnabled: boolean;
  /** Manual weight (Git owns it); progressive: undefined (Flagger owns it). */
  readonly weight?: number;
  /** Stable config: image, model, prompt, version of spec. */
  readonly stable: Record<string, unknown>;
  /** Challenger overrides (spec.canary without enabled/weight). */
  readonly challenger: Record<string, unknown>;
  /** Flagger analysis plan (progressive). */
  readonly plan?: Record<string, unknown>;
}

const STABLE_KEYS = [
  'image',
  'modelType',
  'modelId',
  'systemPrompt',
  'version',
  'skills',
  'tools',
] as const;

export function agentStates(resources: readonly Resource[]): Map<string, AgentState> {
  const out = new Map<string, AgentState>();
  for (const a of groupAgents(resources)) {
    const s = stateOf(a);
    if (s) out.set(a.id, s);
  }
  return out;
}

function stateOf(a: AgentView): AgentState | undefined {
  if (!a.agent && !a.canary) return undefined;
  const spec = (a.agent ? get(a.agent.object, 'spec') : {}) as Record<string, unknown>;
  const canary = (spec?.canary ?? {}) as Record<string, unknown>;
  const stable: Record<string, unknown> = {};
  for (const k of STABLE_KEYS) if (spec?.[k] !== undefined) stable[k] = spec[k];
  const challenger: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(canary))
    if (k !== 'enabled' && k !== 'weight') challenger[k] = v;
  const analysis = a.canary
    ? (get(a.canary.object, 'spec', 'analysis') as Record<string, unknown> | undefined)
    : undefined;
  const plan = analysis
    ? Object.fromEntries(
        ['interval', 'threshold', 'maxWeight', 'stepWeight', 'stepWeights', 'iterations']
          .filter((k) => analysis[k] !== undefined)
          .map((k) => [k, analysis[k]]),
      )
    : undefined;
  return {
    id: a.id,
    mode: a.canary ? 'progressive' : 'manual',
    canaryEnabled: canary.enabled === true,
    weight: a.canary ? undefined : manualWeight(a),
    stable,
    challenger,
    plan,
  };
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (v: unknown) =>
  Array.isArray(v) ? `[${v.join(', ')}]` : typeof v === 'string' ? v : JSON.stringify(v);

function fieldDiff(from: Record<string, unknown>, to: Record<string, unknown>): string[] {
  const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
  return keys
    .filter((k) => !same(from[k], to[k]))
    .map(
      (k) =>
        `${k} ${from[k] === undefined ? '(unset)' : show(from[k])} -> ${to[k] === undefined ? '(unset)' : show(to[k])}`,
    );
}

export function trafficChanges(
  base: ReadonlyMap<string, AgentState>,
  head: ReadonlyMap<string, AgentState>,
): TrafficChange[] {
  const out: TrafficChange[] = [];
  const ids = [...new Set([...base.keys(), ...head.keys()])].sort();
  for (const id of ids) {
    const b = base.get(id);
    const h = head.get(id);
    if (!b && h) {
      out.push({
        agent: id,
        kind: 'added',
        summary: `new agent (${h.mode})${h.canaryEnabled ? `, canary at ${h.weight ?? 'Flagger-managed'}${h.weight !== undefined ? '%' : ''}` : ''}`,
      });
      continue;
    }
    if (b && !h) {
      out.push({ agent: id, kind: 'removed', summary: 'agent removed: its traffic stops' });
      continue;
    }
    if (!b || !h) continue;
    if (b.mode !== h.mode)
      out.push({
        agent: id,
        kind: 'mode',
        summary: `rollout mode ${b.mode} -> ${h.mode}`,
        from: b.mode,
        to: h.mode,
      });
    const bOn = b.canaryEnabled && (b.mode === 'progressive' || (b.weight ?? 0) > 0);
    const hOn = h.canaryEnabled && (h.mode === 'progressive' || (h.weight ?? 0) > 0);
    if (!bOn && hOn) {
      out.push({
        agent: id,
        kind: 'canary-started',
        summary:
          h.mode === 'manual'
            ? `canary started at ${h.weight}%`
            : 'canary started (Flagger begins the analysis)',
        from: b.weight ?? 0,
        to: h.weight,
      });
    } else if (bOn && !hOn) {
      const promoted = Object.entries(b.challenger).some(
        ([k, v]) =>
          (STABLE_KEYS as readonly string[]).includes(k) &&
          same(h.stable[k], v) &&
          !same(b.stable[k], v),
      );
      if (promoted)
        out.push({
          agent: id,
          kind: 'promoted',
          summary: `promoted: the challenger (${fieldDiff(b.stable, h.stable).join('; ')}) now serves 100%`,
          from: b.weight,
          to: 100,
        });
      else
        out.push({
          agent: id,
          kind: 'canary-stopped',
          summary: `canary stopped${b.weight !== undefined ? `: weight ${b.weight} -> 0` : ''}; stable serves 100%`,
          from: b.weight,
          to: 0,
        });
    } else if (
      bOn &&
      hOn &&
      b.weight !== undefined &&
      h.weight !== undefined &&
      b.weight !== h.weight
    ) {
      out.push({
        agent: id,
        kind: 'weight',
        summary: `weight ${b.weight} -> ${h.weight}`,
        from: b.weight,
        to: h.weight,
      });
    }
    if (b.plan && h.plan && !same(b.plan, h.plan))
      out.push({
        agent: id,
        kind: 'plan',
        summary: `plan changed: ${fieldDiff(b.plan, h.plan).join('; ')}`,
        from: b.plan,
        to: h.plan,
      });
    if (hOn && bOn && !same(b.challenger, h.challenger))
      out.push({
        agent: id,
        kind: 'challenger',
        summary: `challenger config changed: ${fieldDiff(b.challenger, h.challenger).join('; ')}`,
        from: b.challenger,
        to: h.challenger,
      });
    if (!same(b.stable, h.stable) && !out.some((c) => c.agent === id && c.kind === 'promoted')) {
      out.push({
        agent: id,
        kind: 'stable',
        summary: `stable config changed ${h.mode === 'manual' ? 'without a canary (all traffic at once)' : '(Flagger analyses it as a new revision)'}: ${fieldDiff(b.stable, h.stable).join('; ')}`,
        from: b.stable,
        to: h.stable,
      });
    }
  }
  return out;
}
