/** The options of pull-request mode (`validate --base`), shared by the whole-tree and sparse paths. */
import type { ValidateOptions } from '../pipeline.js';

export interface PullRequestOptions extends ValidateOptions {
  /** Git ref of the base (e.g. origin/main). */
  readonly base: string;
  /** Repository root (the head working tree). @default process.cwd() */
  readonly root?: string;
  /** Quality gate URL for weight increases. */
  readonly gate?: string;
  /** Compare dist/ with a fresh synthesis of the fleet. @default true */
  readonly checkDrift?: boolean;
  /** Override the Argo CD repo URL / revision used for the drift check (else read from dist/). */
  readonly repoURL?: string;
  readonly targetRevision?: string;
  /** The clock step holds are measured against (Unix ms). @default Date.now */
  readonly now?: () => number;
  /**
   * Read the whole tree at both revisions even when the changes stay inside some namespaces
   * (what the sparse path is held to in tests). @default false
   */
  readonly wholeTree?: boolean;
}
