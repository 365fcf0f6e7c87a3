/**
 * The CLI's last resort: an error no command handled is one line naming its kind and message,
 * and the process exits with the kind's code (src/errors/kinds.ts), never with a stack trace;
 * the installed entry (bin/agent-canary.mjs) does the same when the compiled CLI cannot load.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { reportFatal } from '../../src/cli.js';
import { GitOpsError } from '../../src/gitops/errors.js';
import { REPO_ROOT } from '../cli-entry.js';

function report(err: unknown, env: NodeJS.ProcessEnv = {}): { code: number; lines: string[] } {
  const lines: string[] = [];
  const code = reportFatal(err, (l) => lines.push(l), env);
  return { code, lines };
}

describe('reportFatal', () => {
  it('prints one line with the kind and exits with the kind code', () => {
    expect(report(new GitOpsError('conflict', 'no canary to promote'))).toEqual({
      code: 1,
      lines: ['agent-canary: conflict: no canary to promote'],
    });
    expect(report(new GitOpsError('git', 'push failed\nremote: denied'))).toEqual({
      code: 2,
      lines: ['agent-canary: git: push failed; remote: denied'],
    });
  });

  it('calls an error of no kind internal (exit 2), redacts credentials, and keeps the stack for AGENT_CANARY_DEBUG', () => {
    const err = new TypeError('fetch https://user:s3cret@git.example.com/x.git failed');
    const plain = report(err);
    expect(plain.code).toBe(2);
    expect(plain.lines).toHaveLength(1);
    expect(plain.lines[0]).toMatch(/^agent-canary: internal: fetch https:\/\/git\.example\.com/);
    expect(plain.lines.join('\n')).not.toContain('s3cret');
    expect(report('a thrown string').lines).toEqual(['agent-canary: internal: a thrown string']);
    const debug = report(err, { AGENT_CANARY_DEBUG: '1' });
    expect(debug.lines).toHaveLength(2);
    expect(debug.lines[1]).toMatch(/\n\s+at /);
    expect(debug.lines[1]).not.toContain('s3cret');
  });
});

describe('bin/agent-canary.mjs', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  /** A package folder with the real entry and `lib/src/cli.js` as given (or none). */
  function pkg(cli?: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'ac-bin-'));
    dirs.push(dir);
    mkdirSync(join(dir, 'bin'));
    copyFileSync(join(REPO_ROOT, 'bin', 'agent-canary.mjs'), join(dir, 'bin', 'agent-canary.mjs'));
    if (cli !== undefined) {
      mkdirSync(join(dir, 'lib', 'src'), { recursive: true });
      writeFileSync(join(dir, 'lib', 'src', 'cli.js'), cli);
    }
    return join(dir, 'bin', 'agent-canary.mjs');
  }

  it('exits with what runCli returns', () => {
    const bin = pkg('export async function runCli(argv) { return argv.length === 1 ? 1 : 0; }');
    expect(spawnSync(process.execPath, [bin, 'x']).status).toBe(1);
    expect(spawnSync(process.execPath, [bin]).status).toBe(0);
  });

  it('a CLI that cannot load (an incomplete install) is one line and exit 2, no stack trace', () => {
    for (const bin of [pkg(), pkg('throw new Error("broken build");')]) {
      const r = spawnSync(process.execPath, [bin, 'validate'], { encoding: 'utf8' });
      expect(r.status).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^agent-canary: internal: cannot load the compiled CLI \(.+\)\. Fix: /,
      );
    }
  });
});
