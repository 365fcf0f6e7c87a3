/**
 * Reads many small files at once, with a bounded number in flight. Reading them one `await` at
 * a time costs one thread-pool round trip each, which on a busy machine dominates a pass over
 * 1,000 fleet files; all at once would open as many descriptors. The answers keep the order of
 * `paths`; a file that cannot be read is an Error in its place (the caller says which).
 */
import { readFile } from 'node:fs/promises';

/** At most this many reads in flight. @default 32 */
export const READ_MANY_LIMIT = 32;

export async function readMany(
  paths: readonly string[],
  limit = READ_MANY_LIMIT,
): Promise<(string | Error)[]> {
  const out: (string | Error)[] = new Array<string | Error>(paths.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < paths.length) {
      const i = next++;
      out[i] = await readFile(paths[i]!, 'utf8').catch((err: unknown) =>
        err instanceof Error ? err : new Error(String(err)),
      );
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, paths.length) }, worker));
  return out;
}
