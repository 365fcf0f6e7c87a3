/**
 * The programmatic API of the `agent-canary` package (what `import ... from 'agent-canary'`
 * gives); the construct library is `agent-canary/constructs`. docs/design.md describes the
 * contracts. Everything else under lib/ is internal and may change between versions.
 */
// model
export {
  loadFleet,
  checkFleet,
  loadAgentFile,
  parseFleetFile,
  FleetError,
  FleetWarning,
} from './fleet/load.js';
export type * from './fleet/types.js';
export { loadPolicies, resolvePolicy, PolicyError } from './policy/load.js';
export type * from './policy/types.js';
export { LocatedError } from './errors/located.js';
export { AgentCanaryError } from './errors/error.js';
export { ERROR_KINDS, problemType, type ErrorKind } from './errors/kinds.js';
// synthesis
export {
  synthesize,
  synthesizeAgent,
  SynthesisError,
  type Manifest,
  type SynthOptions,
} from './synth/synthesize.js';
export { writeOutput, type WriteOptions, type WriteResult } from './synth/output.js';
// validation
export * from './validate/index.js';
// quality gate
export { createGateServer, startGateServer } from './gate/server.js';
export type { GateServer, GateServerOptions, StartedGate } from './gate/server.js';
// GitOps operations
export { GitOps, statusOf } from './gitops/operations.js';
export type {
  CanaryConfig,
  CanaryStatus,
  GitOpsOptions,
  OperationOptions,
  OperationOutcome,
} from './gitops/operations.js';
export { defaultEngine } from './gitops/default-engine.js';
export { GitRepo } from './gitops/repo.js';
export { resolveRepo, openClone } from './gitops/workspace.js';
export { synthToRepo, seedFrom } from './gitops/synth-to-repo.js';
export { GitOpsError } from './gitops/errors.js';
export { gitopsRoutes, type GitOpsApiOptions } from './gitops/api.js';
// where the package keeps its caches
export { cacheDir } from './package/cache-dir.js';
export { packageVersion } from './package/root.js';
