/**
 * The quality gate, asked the way Flagger asks it, with the gate's own code: the settings come
 * from the `agent-canary.dev/gate` annotation the generator wrote on Deployment `<slug>-canary`
 * (the webhook's metadata in manual mode, docs/design.md), resolved by the webhook's
 * `resolveSettings`, and judged by the webhook's `QualityEngine` (MLflow evaluations; strict or
 * Recif mode, regression tests, `onUnavailable`). The revision is the canary config checksum the
 * generator wrote on its pod template.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { QualityEngine } from '../gate/engine.js';
import { resolveSettings } from '../gate/settings.js';
import type { Verdict } from '../gate/verdict.js';

const GATE_ANNOTATION = 'agent-canary.dev/gate';
const CHECKSUM_ANNOTATION = 'agent-canary.dev/config-checksum';

export interface QualityEvidence {
  /** `judged`: MLflow was asked; `not-configured`: no MLflow, nothing was judged. */
  readonly status: 'judged' | 'not-configured';
  readonly passed: boolean;
  /** One line for people (and the `Agent-Canary-Quality` trailer). */
  readonly message: string;
  readonly verdict?: Verdict;
}

export const NO_MLFLOW =
  'no MLflow is configured, so the canary evaluation cannot be checked (set --mlflow URI or MLFLOW_TRACKING_URI)';

type Obj = Record<string, unknown>;

function dig(o: unknown, ...path: string[]): unknown {
  let cur = o;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Obj)[p] : undefined;
  return cur;
}

export class QualityJudge {
  /**
   * @param source the gate's engine (or a getter, for a server whose engine starts later);
   *   undefined: no MLflow configured (nothing is ever passed).
   */
  constructor(
    private readonly source: QualityEngine | (() => QualityEngine | undefined) | undefined,
  ) {}

  private get engine(): QualityEngine | undefined {
    return typeof this.source === 'function' ? this.source() : this.source;
  }

  /** Judges the canary of `namespace/name` as committed in `outputDir` (the agent's dist folder). */
  async judge(outputDir: string, namespace: string, name: string): Promise<QualityEvidence> {
    const engine = this.engine;
    if (!engine) return { status: 'not-configured', passed: false, message: NO_MLFLOW };
    const file = join(outputDir, `Deployment.${name}-canary.yaml`);
    let deployment: unknown;
    try {
      deployment = parseYaml(await readFile(file, 'utf8'));
    } catch (err) {
      return {
        status: 'judged',
        passed: false,
        message: `Quality gate failed: cannot read ${file} (${(err as Error).message}); regenerate dist/ with agent-canary synth`,
      };
    }
    const raw = dig(deployment, 'metadata', 'annotations', GATE_ANNOTATION);
    let meta: Record<string, string>;
    try {
      meta = JSON.parse(typeof raw === 'string' ? raw : 'null') as Record<string, string>;
      if (!meta || typeof meta !== 'object') throw new Error('missing');
    } catch {
      return {
        status: 'judged',
        passed: false,
        message: `Quality gate failed: Deployment ${name}-canary has no valid ${GATE_ANNOTATION} annotation; regenerate dist/ with agent-canary synth`,
      };
    }
    const checksum = dig(
      deployment,
      'spec',
      'template',
      'metadata',
      'annotations',
      CHECKSUM_ANNOTATION,
    );
    let settings;
    try {
      settings = resolveSettings(meta, { name, namespace });
    } catch (err) {
      return {
        status: 'judged',
        passed: false,
        message: `Quality gate failed: ${(err as Error).message}`,
      };
    }
    const { verdict } = await engine.judge(
      { name, namespace, ...(typeof checksum === 'string' ? { checksum } : {}) },
      settings,
    );
    return { status: 'judged', passed: verdict.passed, message: verdict.message, verdict };
  }
}
