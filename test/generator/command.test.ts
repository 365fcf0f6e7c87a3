/** `agent-canary synth` end to end on temp folders: summary line, exit codes, named errors. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/synth/command.js';
import { main } from '../../src/cli.js';

const root = join(import.meta.dirname, '..', '..');
let dir: string;
let out: string[];
let err: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-canary-cmd-'));
  cpSync(join(root, 'fleet'), join(dir, 'fleet'), { recursive: true });
  cpSync(join(root, 'policies'), join(dir, 'policies'), { recursive: true });
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => {
    out.push(String(s));
  });
  vi.spyOn(console, 'error').mockImplementation((s: unknown) => {
    err.push(String(s));
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  rmSync(dir, { recursive: true, force: true });
});

const args = () => [
  '--fleet',
  join(dir, 'fleet'),
  '--policies',
  join(dir, 'policies'),
  '--out',
  join(dir, 'dist'),
  '--cache-dir',
  join(dir, 'cache'),
];

describe('agent-canary synth', () => {
  it('synthesizes the example fleet, then reports everything unchanged', async () => {
    expect(await run(args())).toBe(0);
    expect(out.at(-1)).toMatch(
      /^synth: 4 agents, \d+ objects -> .*dist: written \d+, unchanged 0, deleted 0 \(synthesized 4, reused 0\)$/,
    );
    expect(await run(args())).toBe(0);
    expect(out.at(-1)).toMatch(/written 0, unchanged \d+, deleted 0 \(synthesized 0, reused 4\)$/);
  });

  it('matches the committed dist/ byte for byte', async () => {
    expect(await run(args())).toBe(0);
    const { readdirSync } = await import('node:fs');
    const walk = (d: string, rel = ''): string[] =>
      readdirSync(join(d, rel), { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(d, `${rel}${e.name}/`) : [`${rel}${e.name}`],
      );
    const ours = walk(join(dir, 'dist')).sort();
    expect(walk(join(root, 'dist')).sort()).toEqual(ours);
    for (const f of ours)
      expect(readFileSync(join(dir, 'dist', f), 'utf8'), f).toBe(
        readFileSync(join(root, 'dist', f), 'utf8'),
      );
  });

  it('writes the repository URL and revision into the Argo CD Applications', async () => {
    expect(
      await run([...args(), '--repo-url', 'https://git.example.com/ops.git', '--revision', 'v2']),
    ).toBe(0);
    const app = readFileSync(
      join(dir, 'dist', 'argocd', 'Application.agent-canary-team-support.yaml'),
      'utf8',
    );
    expect(app).toContain('repoURL: https://git.example.com/ops.git');
    expect(app).toContain('targetRevision: v2');
  });

  it('removes the files of an agent deleted from the fleet', async () => {
    expect(await run(args())).toBe(0);
    rmSync(join(dir, 'fleet', 'team-support', 'triage-agent.yaml'));
    expect(await run(args())).toBe(0);
    expect(out.at(-1)).toMatch(/deleted [1-9]\d* \(synthesized 0, reused 3\)$/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'dist', 'team-support', 'triage-agent'))).toBe(false);
    expect(existsSync(join(dir, 'dist', 'team-support', 'support-bot'))).toBe(true);
  });

  it('exits 2 with the file, field, value and what is allowed for a bad fleet file, writing nothing', async () => {
    const file = join(dir, 'fleet', 'team-support', 'support-bot.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('routing: istio ', 'routing: nginx '));
    expect(await run(args())).toBe(2);
    const msg = err.join('\n');
    expect(msg).toContain('team-support/support-bot.yaml');
    expect(msg).toContain('rollout.routing');
    expect(msg).toContain('nginx');
    expect(msg).toMatch(/istio/);
    const { existsSync } = await import('node:fs');
    expect(existsSync(join(dir, 'dist'))).toBe(false);
  });

  it('exits 2 naming the fleet file when it names a policy that does not exist', async () => {
    const file = join(dir, 'fleet', 'team-support', 'support-bot.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('policy: default ', 'policy: nope '));
    expect(await run(args())).toBe(2);
    expect(err.join('\n')).toMatch(/support-bot\.yaml.*nope/s);
  });

  it('exits 2 on an unknown flag or a missing folder, with the usage', async () => {
    expect(await run(['--frobnicate'])).toBe(2);
    expect(err.join('\n')).toContain('usage: agent-canary synth');
    mkdirSync(join(dir, 'empty'));
    expect(await run(['--fleet', join(dir, 'nowhere'), '--policies', join(dir, 'policies')])).toBe(
      2,
    );
    expect(err.at(-1)).toMatch(/--fleet .*nowhere does not exist/);
  });
});

describe('agent-canary synth --repo', () => {
  it('hands over to the GitOps writer (its usage errors come back as exit 2)', async () => {
    const code = await main(['synth', '--repo']);
    expect(code).toBe(2);
    expect(err.join('\n')).not.toContain('usage: agent-canary synth [--fleet DIR]');
  });
});
