/**
 * Names, labels and sync waves shared by the agent constructs.
 *
 * Flagger and Istio find pods by the `app` label (Flagger's default selector labels are
 * `app,name,app.kubernetes.io/name`; it rewrites the first one it finds to `<value>-primary`), so
 * every workload selects on `app` (+ `version` in manual mode) and never on cdk8s-plus' generated
 * `cdk8s.io/metadata.addr` label. Names are explicit: no hashes, no construct-path suffixes.
 */
import type { AgentResource } from '../src/fleet/types.js';

/** The label every agent pod carries and every selector uses. */
export const APP_LABEL = 'app';
/** Track label: `stable` / `canary` in manual mode (the Istio subsets select on it). */
export const VERSION_LABEL = 'version';
export const AGENT_LABEL = 'recif.dev/agent';
export const MANAGED_BY = 'agent-canary';
export const PART_OF = 'recif';

/** Argo CD sync waves. Config first, then workloads, then routes, the Flagger Canary last. */
export const SyncWave = {
  CONFIG: '-1',
  WORKLOAD: '0',
  ROUTING: '1',
  CANARY: '2',
} as const;
export type SyncWave = (typeof SyncWave)[keyof typeof SyncWave];

export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/** Object names derived from the agent slug (metadata.name); the contract in docs/design.md. */
export function names(slug: string) {
  return {
    agent: slug,
    config: `${slug}-config`,
    deployment: slug,
    service: slug,
    canaryDeployment: `${slug}-canary`,
    canaryService: `${slug}-canary`,
    canaryConfig: `${slug}-canary-config`,
    route: slug,
    flaggerCanary: slug,
  } as const;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/**
 * A Kubernetes label value for a free-form string (a version like `2.1.0+build/7`): invalid
 * characters become `-`, cut to 63 characters, trimmed to start and end alphanumeric.
 */
export function labelValue(raw: string): string {
  if (raw.length <= 63 && LABEL_VALUE.test(raw)) return raw;
  return raw
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .slice(0, 63)
    .replace(/^[^A-Za-z0-9]+/, '')
    .replace(/[^A-Za-z0-9]+$/, '');
}

export type Track = 'stable' | 'canary';

/**
 * Labels of one agent workload (Deployment metadata and pod template).
 * @param track manual-mode track, or the agent version in progressive mode (Flagger has one Deployment)
 */
export function workloadLabels(
  agent: AgentResource,
  track: string,
  appVersion: string | undefined,
  instance: string,
): Record<string, string> {
  const slug = agent.metadata.name;
  const labels: Record<string, string> = {
    [APP_LABEL]: slug,
    [VERSION_LABEL]: track,
    [AGENT_LABEL]: slug,
    'app.kubernetes.io/name': slug,
    'app.kubernetes.io/instance': instance,
  };
  if (appVersion) labels['app.kubernetes.io/version'] = labelValue(appVersion) || 'unknown';
  labels['app.kubernetes.io/component'] = 'agent';
  labels['app.kubernetes.io/part-of'] = PART_OF;
  labels['app.kubernetes.io/managed-by'] = MANAGED_BY;
  return labels;
}

/** Labels of a non-workload object that belongs to one agent (ConfigMap, route, Canary). */
export function agentLabels(
  agent: AgentResource,
  instance: string = agent.metadata.name,
): Record<string, string> {
  const slug = agent.metadata.name;
  return {
    [APP_LABEL]: slug,
    [AGENT_LABEL]: slug,
    'app.kubernetes.io/name': slug,
    'app.kubernetes.io/instance': instance,
    'app.kubernetes.io/part-of': PART_OF,
    'app.kubernetes.io/managed-by': MANAGED_BY,
  };
}

export function syncWave(wave: SyncWave): Record<string, string> {
  return { [SYNC_WAVE_ANNOTATION]: wave };
}
