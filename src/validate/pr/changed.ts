/**
 * What a pull request touched, read from Git without unpacking the base revision: the paths that
 * differ between the base commit and the working tree (`git diff --name-status`, untracked files
 * from `git ls-files --others`, both walking the working tree at once), the base's file list
 * under some folders (`git ls-tree`), and the base's bytes of exactly the changed paths there
 * (`git cat-file --batch`, one process for all of them; nothing is written to disk).
 * Renames are a deletion and an addition (`--no-renames`), so both paths count as touched.
 */
import { spawn } from 'node:child_process';
import { gitOutput, GitRefError } from './git.js';

const splitZ = (out: string) => out.split('\0').filter(Boolean);

/**
 * How a path differs between the base commit and the working tree: `A` added (or untracked),
 * `D` deleted, `M` modified (any other status letter of `git diff` counts as modified).
 */
export type ChangeStatus = 'A' | 'D' | 'M';

/**
 * Repository-relative paths (with `/`) changed between `commit` and the working tree, sorted,
 * with their status. `--name-status -z` prints `<letter>\0<path>\0` per path.
 */
export async function changedPaths(
  root: string,
  commit: string,
): Promise<Map<string, ChangeStatus>> {
  const [diff, untracked] = await Promise.all([
    gitOutput(root, ['diff', '--name-status', '--no-renames', '--no-ext-diff', '-z', commit, '--']),
    gitOutput(root, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  const found = new Map<string, ChangeStatus>();
  const fields = diff.split('\0');
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const letter = fields[i]!;
    const path = fields[i + 1]!;
    if (!letter || !path) continue;
    found.set(path, letter === 'A' || letter === 'D' ? letter : 'M');
  }
  for (const p of splitZ(untracked)) found.set(p, 'A');
  return new Map([...found].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
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

/** The bytes of `paths` at `commit` (paths missing there are left out): `readObjects` of `<commit>:<path>`. */
export async function readAt(
  root: string,
  commit: string,
  paths: readonly string[],
): Promise<Map<string, Buffer>> {
  const asked = paths.filter((p) => !p.includes('\n'));
  const found = await readObjects(
    root,
    asked.map((p) => `${commit}:${p}`),
  );
  const result = new Map<string, Buffer>();
  asked.forEach((p, i) => {
    const bytes = found[i];
    if (bytes) result.set(p, bytes);
  });
  return result;
}

/**
 * The blobs named `specs` (`<commit>:<path>`; undefined for one missing or not a blob). One
 * `git cat-file --batch` reads them all: a name per line in, `<oid> blob <size>\n<bytes>\n` or
 * `<name> missing\n` out.
 */
export function readObjects(
  root: string,
  specs: readonly string[],
): Promise<(Buffer | undefined)[]> {
  const result: (Buffer | undefined)[] = specs.map(() => undefined);
  // A name with a newline would end its request line early: read nothing rather than misread.
  if (!specs.length || specs.some((p) => p.includes('\n'))) return Promise.resolve(result);
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
      for (let i = 0; i < specs.length; i++) {
        const eol = out.indexOf(10, at);
        if (eol < 0) break;
        const header = out.subarray(at, eol).toString('utf8');
        at = eol + 1;
        const m = / (blob|tree|commit|tag) (\d+)$/.exec(header);
        if (!m) continue; // `<name> missing`
        const size = Number(m[2]);
        if (m[1] === 'blob') result[i] = out.subarray(at, at + size);
        at += size + 1;
      }
      resolve(result);
    });
    git.stdin.on('error', () => {
      // git exited early; its exit code says why
    });
    git.stdin.end(specs.map((p) => `${p}\n`).join(''));
  });
}
