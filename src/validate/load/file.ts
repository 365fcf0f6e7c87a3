/**
 * One input file -> its objects and the problems that kept objects from being read. What the
 * pipeline does per file, in the main thread and in a validation worker alike.
 */
import { InputError } from './read.js';
import { loadText } from './documents.js';
import type { Finding, Resource } from '../types.js';

export async function loadFile(
  file: string,
  read: () => Promise<string>,
): Promise<{ resources: Resource[]; findings: Finding[] }> {
  let text: string;
  try {
    text = await read();
  } catch (err) {
    const fix = err instanceof InputError ? err.fix : 'check the path and its permissions';
    return {
      resources: [],
      findings: [
        {
          ruleId: 'input',
          severity: 'error',
          file,
          line: 0,
          message: `cannot read: ${err instanceof Error ? err.message : String(err)}`,
          fix,
        },
      ],
    };
  }
  const loaded = loadText(file, text);
  return { resources: loaded.resources, findings: loaded.findings };
}
