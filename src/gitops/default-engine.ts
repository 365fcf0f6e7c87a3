/**
 * The operations' engine wired to the real parts: the fleet loader, the policy resolver, the
 * generator (one agent) with its output writer, and the validator (schemas, canary rules and the
 * weight-step rule). The validator's schema registry is compiled once and reused: compiling the
 * CRD schemas costs far more than validating one agent's few objects.
 */
import { relative } from 'node:path';
import { join } from 'node:path';
import { parseFleetFile } from '../fleet/load.js';
import { loadPolicies, resolvePolicy } from '../policy/load.js';
import { writeOutput } from '../synth/output.js';
import { loadClusterConfig } from '../config/load.js';
import { synthesizeAgent } from '../synth/synthesize.js';
import { gateSecretFromEnv } from '../synth/gate-token.js';
import type { SchemaRegistry } from '../validate/index.js';
// The rule itself, not the validator's index: loading the whole validator costs ~0.3 s at start-up.
import { checkWeightChange } from '../validate/rules/weights.js';
import type { Engine } from './engine.js';

export interface DefaultEngineOptions {
  /** Validate each agent's output with the validator (schemas + rules). @default true */
  readonly validate?: boolean;
  /** The gate's secret for per-agent webhook tokens. @default AGENT_CANARY_GATE_SECRET */
  readonly gateSecret?: string;
  /**
   * The repository's work tree: its `agent-canary.yaml` (read at each synthesis, so a pulled change
   * counts) gives the cluster settings an agent's objects depend on (Istio gateways, Prometheus,
   * the load tester), the same as a full `synth` there. @default the defaults (no file)
   */
  readonly repoDir?: string;
}

export function defaultEngine(opts: DefaultEngineOptions = {}): Engine {
  let registry: SchemaRegistry | undefined;
  const gateSecret = opts.gateSecret ?? gateSecretFromEnv();
  return {
    parseFleetFile,
    loadPolicies,
    resolvePolicy: (policies, agent) => resolvePolicy(policies, agent),
    synthesizeAgent: (agent, policies) =>
      synthesizeAgent(agent, {
        policies,
        gateSecret,
        ...(opts.repoDir !== undefined ? { cluster: loadClusterConfig(opts.repoDir) } : {}),
      }),
    writeAgentOutput: (distDir, agentId, manifests) => {
      writeOutput(distDir, manifests as Parameters<typeof writeOutput>[1], { scope: [agentId] });
    },
    checkWeightChange: (spec, from, to) => {
      const verdict = checkWeightChange(spec, from, to);
      return verdict.ok ? [] : [`${verdict.message}. Fix: ${verdict.fix}`];
    },
    validateAgent:
      opts.validate === false
        ? undefined
        : async (root, outputDir, agent, policies) => {
            // Loaded on first use: the CLI's `status` and `--no-validate` runs skip its start-up cost.
            const { SchemaRegistry: Registry, validatePaths } =
              await import('../validate/index.js');
            registry ??= new Registry({});
            const report = await validatePaths([join(root, outputDir)], {
              policies,
              fleet: [agent],
              registry,
            });
            return report.findings
              .filter((f) => f.severity === 'error')
              .map(
                (f) =>
                  `${relative(root, f.file) || f.file}:${f.line}: ${f.message}${f.fix ? `. Fix: ${f.fix}` : ''}`,
              );
          },
  };
}
