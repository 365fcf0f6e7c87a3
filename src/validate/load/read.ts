/**
 * Paths on the command line -> files to read. Directories are walked (sorted) for `.yaml`, `.yml`
 * and `.json` in any letter case, hidden files included; symbolic links are followed while their
 * target stays inside the directory given (each directory once), and reported otherwise; hidden
 * directories other than `.git` are reported, not entered. Files named explicitly are read
 * whatever their extension (kubeconform does the same), and `-` is stdin. Text must be UTF-8:
 * an invalid byte is reported with its offset instead of being replaced.
 */
import { AgentCanaryError } from '../../errors/error.js';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join, relative, sep, isAbsolute } from 'node:path';
import type { Finding } from '../types.js';

export interface InputFile {
  /** As shown in findings: the path as given (or joined from the directory given), `<stdin>` for `-`. */
  readonly file: string;
  read(): Promise<string>;
}

export interface ReadOptions {
  /** Files larger than this are reported instead of read. @default 64 MiB */
  readonly maxFileBytes?: number;
  /** Text for `-` (tests); read from process.stdin when absent. */
  readonly stdin?: string | (() => Promise<string>);
}

export const MANIFEST_EXTENSIONS = ['.yaml', '.yml', '.json'];
export const DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024;

/** A file that could not be read as text, with what to do about it. */
export class InputError extends AgentCanaryError {
  constructor(
    message: string,
    readonly fix: string,
  ) {
    super('bad-request', message);
  }
}

export async function collectInputs(
  paths: readonly string[],
  opts: ReadOptions = {},
): Promise<{ inputs: InputFile[]; findings: Finding[] }> {
  const inputs: InputFile[] = [];
  const findings: Finding[] = [];
  const max = opts.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  for (const p of paths) {
    if (p === '-') {
      inputs.push({ file: '<stdin>', read: () => readStdin(opts.stdin) });
      continue;
    }
    let st;
    try {
      st = statSync(p);
    } catch {
      findings.push({
        ruleId: 'input',
        severity: 'error',
        file: p,
        line: 0,
        message: `no such file or directory: ${p}`,
        fix: 'pass existing files or directories, or - for stdin',
      });
      continue;
    }
    if (st.isDirectory()) {
      const root = realpathSync(p);
      walk({ root, inputs, findings, max, seen: new Set([root]) }, p);
    } else addFile(p, st.size, inputs, findings, max);
  }
  return { inputs, findings };
}

interface Walk {
  /** The real path of the directory given: links may point anywhere inside it. */
  readonly root: string;
  readonly inputs: InputFile[];
  readonly findings: Finding[];
  readonly max: number;
  /** Real paths of the directories entered (a link cycle is entered once). */
  readonly seen: Set<string>;
}

const isManifest = (name: string) =>
  MANIFEST_EXTENSIONS.some((x) => name.toLowerCase().endsWith(x));

const inside = (root: string, real: string) => {
  const rel = relative(root, real);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
};

// Synchronous on purpose: thousands of small files read faster without a promise per call.
function walk(w: Walk, dir: string): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const path = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let real: string;
      let st;
      try {
        real = realpathSync(path);
        st = statSync(real);
      } catch {
        w.findings.push({
          ruleId: 'input',
          severity: 'error',
          file: path,
          line: 0,
          message: 'broken symbolic link',
          fix: 'remove the link or point it at a file inside the validated directory',
        });
        continue;
      }
      isDir = st.isDirectory();
      isFile = st.isFile();
      if ((isDir || isManifest(e.name)) && !inside(w.root, real)) {
        w.findings.push({
          ruleId: 'input',
          severity: 'error',
          file: path,
          line: 0,
          message: `symbolic link to ${real}, outside the validated directory: not followed`,
          fix: 'pass the target as a path of its own, or replace the link with the files',
        });
        continue;
      }
    }
    if (isDir) {
      if (e.name === '.git') continue; // version control data, never manifests
      // Each directory once, whether reached directly or through links (loops included).
      const real = realpathSync(path);
      if (w.seen.has(real)) continue;
      w.seen.add(real);
      if (e.name.startsWith('.')) {
        w.findings.push({
          ruleId: 'input',
          severity: 'warning',
          file: path,
          line: 0,
          message: 'hidden directory not validated',
          fix: 'pass it as a path of its own to validate its files',
        });
        continue;
      }
      walk(w, path);
    } else if (isFile && isManifest(e.name)) {
      addFile(path, statSync(path).size, w.inputs, w.findings, w.max);
    }
  }
}

function addFile(
  path: string,
  size: number,
  inputs: InputFile[],
  findings: Finding[],
  max: number,
): void {
  if (size > max) {
    findings.push({
      ruleId: 'input',
      severity: 'error',
      file: path,
      line: 0,
      message: `file is ${(size / 1048576).toFixed(1)} MiB, over the ${(max / 1048576).toFixed(0)} MiB limit`,
      fix: 'split the file, or raise the limit with --max-file-size',
    });
    return;
  }
  inputs.push({ file: path, read: async () => decodeUtf8(readFileSync(path)) });
}

/** The text of UTF-8 bytes; an `InputError` naming the first invalid byte, never a replacement. */
export function decodeUtf8(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  const at = firstInvalidUtf8(bytes);
  let line = 1;
  for (let i = 0; i < at; i++) if (bytes[i] === 10) line++;
  throw new InputError(
    `not valid UTF-8: byte ${at} (0x${bytes[at]!.toString(16).padStart(2, '0')}, line ${line})`,
    'save the file as UTF-8 (Kubernetes manifests are UTF-8 text)',
  );
}

/** Offset of the first byte that does not continue a valid UTF-8 sequence. */
function firstInvalidUtf8(b: Buffer): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    // Continuation bytes after the lead byte, and the smallest code point that needs them.
    const n =
      c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0) return i;
    const min = n === 1 ? 0x80 : n === 2 ? 0x800 : 0x10000;
    let cp = c & (0x3f >> n);
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || (d & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (d & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += n + 1;
  }
  return b.length;
}

async function readStdin(src: ReadOptions['stdin']): Promise<string> {
  if (typeof src === 'string') return src;
  if (typeof src === 'function') return src();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return decodeUtf8(Buffer.concat(chunks));
}
