/**
 * Programmatic API of the validator (used by the GitOps operations and the CLI).
 *
 * - `validatePaths(paths, opts)`: files, directories or `-`, through load -> schema -> rules.
 * - `checkWeightChange(policySpec, from, to)`: the manual weight-step rule for one agent.
 */
import { runPipeline, type ValidateOptions } from './pipeline.js';
import type { Report } from './types.js';

export async function validatePaths(
  paths: readonly string[],
  opts: ValidateOptions = {},
): Promise<Report> {
  return (await runPipeline(paths, opts)).report;
}

export { checkWeightChange, type WeightChangeVerdict } from './rules/weights.js';
export { SchemaRegistry } from './schema/registry.js';
export type { ValidateOptions } from './pipeline.js';
export type {
  Report,
  Finding,
  ResourceResult,
  TrafficChange,
  Severity,
  ResultStatus,
} from './types.js';
