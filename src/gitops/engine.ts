/**
 * What the operations need from the other parts: parse and check a fleet file, resolve its
 * policy, synthesize one agent, write its output, and judge a weight change. An interface (not
 * direct imports) so the operations are written against the contracts of docs/design.md and the
 * wiring lives in one place (`default-engine.ts`).
 */
import type { FleetAgent } from '../fleet/types.js';
import type { Policy, PolicySpec } from '../policy/types.js';

/** One synthesized object (`src/synth/synthesize.ts`): `path` is relative to the output dir. */
export interface ManifestLike {
  readonly path: string;
  readonly content: string;
}

export interface Engine {
  /** Parses and validates a fleet file; throws a located error (`FleetError`) when it is not valid. */
  parseFleetFile(relFile: string, text: string): FleetAgent;
  /** Every policy of a folder, by name. */
  loadPolicies(dir: string): Map<string, Policy>;
  /** The agent's policy with its overrides merged and checked. */
  resolvePolicy(policies: Map<string, Policy>, agent: FleetAgent): PolicySpec;
  /** The manifests of one agent. */
  synthesizeAgent(agent: FleetAgent, policies: Map<string, Policy>): ManifestLike[];
  /** Writes one agent's manifests below `distDir`, deleting its files that are no longer produced. */
  writeAgentOutput(
    distDir: string,
    agentId: string,
    manifests: readonly ManifestLike[],
  ): void | Promise<void>;
  /** Problems with moving the weight `from` -> `to` under the policy (empty: allowed). */
  checkWeightChange(spec: PolicySpec, from: number, to: number): readonly string[];
  /**
   * Validates the written output of one agent (`outputDir`, relative to `root`) with the schemas
   * and the policies; returns the violations (empty: valid).
   */
  validateAgent?(
    root: string,
    outputDir: string,
    agent: FleetAgent,
    policies: Map<string, Policy>,
  ): Promise<readonly string[]>;
}
