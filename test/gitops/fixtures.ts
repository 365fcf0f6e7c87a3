/**
 * A small project for the operation tests: a rollout policy and a fleet of manual-mode agents
 * (with comments people would write), seeded into a real Git repository by `synthToRepo`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultEngine } from '../../src/gitops/default-engine.js';
import { GitOps } from '../../src/gitops/operations.js';
import { GitRepo } from '../../src/gitops/repo.js';
import { synthToRepo } from '../../src/gitops/synth-to-repo.js';

export const POLICY = `apiVersion: agent-canary.dev/v1alpha1
kind: RolloutPolicy
metadata:
  name: default
spec:
  steps:
    - { weight: 5, hold: 0s }
    - { weight: 10, hold: 5m }
    - { weight: 25, hold: 10m }
    - { weight: 50, hold: 15m }
`;

export interface AgentFixture {
  readonly namespace: string;
  readonly name: string;
  /** Running canary weight; undefined: no canary. */
  readonly weight?: number;
  readonly mode?: 'manual' | 'progressive';
  /** More `rollout` lines (two-space indented), e.g. a strategy and cohorts. */
  readonly rollout?: string;
}

export function fleetFile(a: AgentFixture): string {
  const canary =
    a.weight === undefined
      ? ''
      : `  # Challenger: newer model. Keep this comment.
  canary:
    enabled: true
    weight: ${a.weight}   # live share
    modelId: gpt-4.1-mini
    version: "4"
`;
  return `# ${a.name}: owned by ${a.namespace}.   Spacing kept.
apiVersion: agents.recif.dev/v1
kind: Agent
metadata:
  name: ${a.name}    # the slug
  namespace: ${a.namespace}
spec:
  name: ${a.name}
  framework: corail
  image: ghcr.io/recif-platform/corail:v0.3.1
  modelType: openai
  modelId: gpt-4o-mini
  version: "3"
${canary}rollout:
  mode: ${a.mode ?? 'manual'}     # who owns the weight
  policy: default
${a.rollout ?? ''}`;
}

export function writeProject(dir: string, agents: readonly AgentFixture[]): void {
  mkdirSync(join(dir, 'policies'), { recursive: true });
  writeFileSync(join(dir, 'policies', 'default.yaml'), POLICY);
  for (const a of agents) {
    mkdirSync(join(dir, 'fleet', a.namespace), { recursive: true });
    writeFileSync(join(dir, 'fleet', a.namespace, `${a.name}.yaml`), fleetFile(a));
  }
}

/** A project at `<root>/project` and a GitOps repository seeded from it at `<root>/gitops`. */
export async function seededRepo(
  root: string,
  agents: readonly AgentFixture[],
  repoDir = join(root, 'gitops'),
): Promise<{ repo: GitRepo; project: string }> {
  const project = join(root, 'project');
  writeProject(project, agents);
  const repo = await GitRepo.init(repoDir);
  await synthToRepo(repo, { projectDir: project });
  return { repo, project };
}

export function gitopsFor(repo: GitRepo): GitOps {
  return new GitOps(repo, { engine: defaultEngine() });
}
