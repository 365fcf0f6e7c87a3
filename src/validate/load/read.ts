/**
 * Paths on the command line -> files to read. Directories are walked (sorted, hidden entries
 * skipped) for `.yaml`, `.yml` and `.json`; files named explicitly are read whatever their
 * extension (kubeconform does the same), and `-` is stdin.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
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

export async function collectInputs(paths: readonly string[], opts: ReadOptions = {}): Promise<{ inputs: InputFile[]; findings: Finding[] }> {
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
      findings.push({ ruleId: 'input', severity: 'error', file: p, line: 0, message: `no such file or directory: ${p}`, fix: 'pass existing files or directories, or - for stdin' });
      continue;
    }
    if (st.isDirectory()) walk(p, inputs, findings, max);
    else addFile(p, st.size, inputs, findings, max);
  }
  return { inputs, findings };
}

// Synchronous on purpose: thousands of small files read faster without a promise per call.
function walk(dir: string, inputs: InputFile[], findings: Finding[], max: number): void {
  const entries = readdirSync(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) walk(path, inputs, findings, max);
    else if (e.isFile() && MANIFEST_EXTENSIONS.some((x) => e.name.endsWith(x))) {
      addFile(path, statSync(path).size, inputs, findings, max);
    }
  }
}

function addFile(path: string, size: number, inputs: InputFile[], findings: Finding[], max: number): void {
  if (size > max) {
    findings.push({
      ruleId: 'input', severity: 'error', file: path, line: 0,
      message: `file is ${(size / 1048576).toFixed(1)} MiB, over the ${(max / 1048576).toFixed(0)} MiB limit`,
      fix: 'split the file, or raise the limit with --max-file-size',
    });
    return;
  }
  inputs.push({ file: path, read: async () => readFileSync(path, 'utf8') });
}

async function readStdin(src: ReadOptions['stdin']): Promise<string> {
  if (typeof src === 'string') return src;
  if (typeof src === 'function') return src();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
