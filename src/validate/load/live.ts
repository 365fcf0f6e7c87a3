/**
 * `--live FILE`: the live state of Flagger Canaries (`kubectl get canaries -A -o yaml`), read for
 * `status.canaryWeight` and `status.phase`; the plan-vs-live rules compare the Git plan with it.
 */
import { readFileSync } from 'node:fs';
import { get, type LiveCanary } from '../rules/context.js';
import type { Finding } from '../types.js';
import { loadText } from './documents.js';

/** `--live FILE`: Canary objects (e.g. `kubectl get canaries -A -o yaml`) with their status. */
export function loadLive(file: string, setup: Finding[]): Map<string, LiveCanary> {
  const out = new Map<string, LiveCanary>();
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    setup.push({
      ruleId: 'schema-source',
      severity: 'error',
      file,
      line: 0,
      message: `live status file not found: ${file}`,
      fix: 'write it with: kubectl get canaries -A -o yaml > live.yaml',
    });
    return out;
  }
  const loaded = loadText(file, text);
  for (const f of loaded.findings) setup.push({ ...f, ruleId: 'schema-source' });
  for (const r of loaded.resources) {
    if (r.object.kind !== 'Canary') continue;
    const w = get(r.object, 'status', 'canaryWeight');
    const phase = get(r.object, 'status', 'phase');
    const ns = String(get(r.object, 'metadata', 'namespace') ?? '');
    const name = String(get(r.object, 'metadata', 'name') ?? '');
    if (typeof w === 'number')
      out.set(`${ns}/${name}`, {
        canaryWeight: w,
        phase: typeof phase === 'string' ? phase : undefined,
      });
  }
  return out;
}
