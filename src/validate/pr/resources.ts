/** The objects under some paths, for comparing base and head (unreadable files: the head pipeline reports them). */
import { collectInputs } from '../load/read.js';
import { loadText } from '../load/documents.js';
import type { Resource } from '../types.js';

export async function loadResources(paths: readonly string[]): Promise<Resource[]> {
  const { inputs } = await collectInputs(paths);
  const out: Resource[] = [];
  for (const i of inputs) {
    try {
      out.push(...loadText(i.file, await i.read()).resources);
    } catch {
      // unreadable at one side: the head pipeline reports it
    }
  }
  return out;
}
