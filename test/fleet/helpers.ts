import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's own example fleet and policies (never /work/shared). */
export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FLEET_DIR = join(REPO, 'fleet');
export const POLICY_DIR = join(REPO, 'policies');

/** A valid manual/istio agent; tests derive bad variants from it by string edits. */
export const GOOD = `# a valid agent
apiVersion: agents.recif.dev/v1
kind: Agent
metadata:
  name: support-bot
  namespace: team-a
spec:
  name: Support Bot
  framework: corail
  image: ghcr.io/recif-platform/corail:v0.3.1
  modelType: openai
  modelId: gpt-4o-mini
  version: "3"
  canary:
    enabled: true
    weight: 10
    image: ghcr.io/recif-platform/corail:v0.4.0
    version: "4"
rollout:
  mode: manual
  routing: istio
  policy: default
`;

/** Replaces exactly one occurrence (so a test cannot silently edit nothing). */
export function edit(text: string, from: string, to: string): string {
  const i = text.indexOf(from);
  if (i < 0 || text.indexOf(from, i + 1) >= 0) throw new Error(`edit: '${from}' must occur exactly once`);
  return text.slice(0, i) + to + text.slice(i + from.length);
}

/** Writes `files` (relative path -> text) into a fresh temp folder; returns it and a cleanup. */
export function tempTree(files: Record<string, string>): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'agent-canary-fleet-'));
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
