/**
 * What a pull request touched, read from Git without unpacking the base revision: the paths that
 * differ between the base commit and the working tree (`git diff --name-only`, untracked files
 * from `git ls-files --others`), the base's file list under some folders (`git ls-tree`), and
 * the base's bytes of exactly those paths (`git cat-file --batch`, one process for all of them).
 * Renames are a deletion and an addition (`--no-renames`), so both paths count as touched.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gitOutput, GitRefError } from './git.js';

const splitZ = (out: string) => out.split('\0').filter(Boolean);

/** Repository-relative paths (with `/`) changed between `commit` and the working tree, sorted. */
export async function changedPaths(root: string, commit: string): Promise<string[]> {
  const [diff, untracked] = await Promise.all([
    gitOutput(root, ['diff', '--name-only', '--no-renames', '--no-ext-diff', '-z', commit, '--']),
    gitOutput(root, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  return [...new Set([...splitZ(diff), ...splitZ(untracked)])].sort();
}

/** Whether `root` is the top of its work tree (paths from Git are then relative to it). */
export async function isTopLevel(root: string): Promise<boolean> {
  return (await gitOutput(root, ['rev-parse', '--show-prefix'])).trim() === '';
}

/** Files of `commit` under `dirs` (repository-relative), with `/`. */
export async function listAt(
  root: string,
  commit: string,
  dirs: readonly string[],
): Promise<string[]> {
  if (!dirs.length) return [];
  const out = await gitOutput(root, ['ls-tree', '-r', '-z', '--name-only', commit, '--', ...dirs]);
  return splitZ(out);
}

/**
 * The bytes of `paths` at `commit` (paths missing there are left out). One `git cat-file --batch`
 * reads them all: `<commit>:<path>` per line in, `<oid> blob <size>\n<bytes>\n` or
 * `<name> missing\n` out.
 */
export function readAt(
  root: string,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, Buffer>> {
  const result = new Map<string, Buffer>();
  const asked = paths.filter((p) => !p.includes('\n'));
  if (!asked.length) return Promise.resolve(result);
  return new Promise((resolve, reject) => {
    const git = spawn('git', ['cat-file', '--batch'], {
      cwd: root,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let err = '';
    git.stdout.on('data', (d: Buffer) => chunks.push(d));
    git.stderr.on('data', (d: Buffer) => (err += d.toString()));
    git.on('error', reject);
    git.on('close', (code) => {
      if (code !== 0) {
        reject(new GitRefError(`git cat-file --batch exited ${code}: ${err.trim()}`));
        return;
      }
      const out = Buffer.concat(chunks);
      let at = 0;
      for (const p of asked) {
        const eol = out.indexOf(10, at);
        if (eol < 0) break;
        const header = out.subarray(at, eol).toString('utf8');
        at = eol + 1;
        const m = / (blob|tree|commit|tag) (\d+)$/.exec(header);
        if (!m) continue; // `<name> missing`
        const size = Number(m[2]);
        if (m[1] === 'blob') result.set(p, out.subarray(at, at + size));
        at += size + 1;
      }
      resolve(result);
    });
    git.stdin.on('error', () => {
      // git exited early; its exit code says why
    });
    git.stdin.end(asked.map((p) => `${commit}:${p}\n`).join(''));
  });
}

/** Writes `files` (repository-relative path -> bytes) under `dir`, as the base's sparse tree. */
export function writeTree(dir: string, files: ReadonlyMap<string, Buffer>): void {
  for (const [p, bytes] of files) {
    const target = join(dir, p);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, bytes);
  }
}
