/** Types of scripts/ci/pr-comment.mjs for the tests that import it. */
export function commentBody(summary: string, base: string, marker: string): string;
export function upsertComment(opts: {
  provider: 'github' | 'gitlab';
  number: string;
  summary: string;
  base: string;
  marker: string;
  env: Record<string, string | undefined>;
}): Promise<{ action: 'created' | 'updated'; id: number }>;
