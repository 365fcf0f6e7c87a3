/** Types of scripts/ci/sarif-paths.mjs for the tests that import it. */
export function rebase<T>(log: T, prefix: string, repoRoot?: string): T;
