/** The agent-canary construct library. */
export * from './agent.js';
export * from './stable-workload.js';
export * from './canary-workload.js';
export * from './istio-route.js';
export * from './gateway-route.js';
export * from './flagger-canary.js';
export * from './metric-templates.js';
export * from './argocd.js';
export * from './gate-server.js';
export * from './agent-release.js';
export { RolloutModeConflictError, claimRolloutMode } from './_rollout-mode.js';
export { GATE_ANNOTATION, qualityGateMetadata, stepHoldMetadata } from './_gate-metadata.js';
export { SyncWave, SYNC_WAVE_ANNOTATION, names as objectNames } from './_labels.js';
export { ConstructInputError } from './_errors.js';
