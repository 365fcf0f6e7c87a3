/**
 * Reading, parsing and schema checks on every core (worker.ts in worker_threads), for trees large
 * enough to pay for it: files go out in batches of consecutive files to whichever worker is free,
 * and the answers are put back in batch order, so the objects, findings and statuses are exactly
 * what the in-process pipeline produces, in the same order. Below `WORKER_THRESHOLD` files the
 * pipeline stays in-process: two workers cost about a second of CPU more than one thread (their
 * start, the validator loaded twice, objects copied back), which pays only when the stage takes
 * several seconds of one core (docs/validate.md, "Workers"). A worker that fails (an exception of ours, a crash) makes the
 * whole stage run again in-process: the result never depends on whether workers were used.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { loadText } from './load/documents.js';
import { decodeUtf8, type InputFile } from './load/read.js';
import type { Finding, Resource, ResourceResult } from './types.js';

/** Fewest files for which workers are started (see docs/validate.md, "Workers"). */
export const WORKER_THRESHOLD = 20_000;
/** Files per batch: small enough to keep both workers busy to the end, large enough that a message costs little. */
export const BATCH_FILES = 250;

export interface WorkerInit {
  readonly crds?: readonly string[];
  readonly skipKinds: readonly string[];
  readonly skipMissingSchemas?: boolean;
}

export interface BatchRequest {
  readonly batch: number;
  readonly files: readonly string[];
}

/**
 * One object as a worker sends it back: its `locate` stays behind (see `Relocator`), and of kinds
 * no rule inspects only `apiVersion`, `kind` and `metadata` come (rules/index.ts, RULE_READ_KINDS).
 */
export interface WireResource {
  readonly docIndex: number;
  readonly line: number;
  readonly basePath: string;
  readonly object: Record<string, unknown>;
  readonly list: Finding[];
  readonly status?: ResourceResult['status'];
  readonly checked: boolean;
}

export interface BatchReply {
  readonly batch: number;
  readonly files: { findings: Finding[]; resources: WireResource[] }[];
  readonly problems: { file: string; message: string }[];
  readonly error?: string;
}

/** What the load and schema stages hand to the rules, from workers or in-process alike. */
export interface CheckedFiles {
  readonly resources: Resource[];
  readonly fileFindings: Finding[];
  readonly perResource: Map<Resource, Finding[]>;
  readonly status: Map<Resource, ResourceResult['status']>;
  readonly checked: Resource[];
  /** Schema-source problems the workers met, in the order one registry would have met them. */
  readonly problems: { file: string; message: string }[];
}

/**
 * How many workers: `requested` when given (0: none), else one per core when there are at
 * least `WORKER_THRESHOLD` files and more than one core.
 */
export function workerCount(files: number, requested?: number): number {
  if (requested !== undefined) return Math.max(0, Math.floor(requested));
  if (files < WORKER_THRESHOLD) return 0;
  const cores = availableParallelism();
  return cores > 1 ? Math.min(cores, 8) : 0;
}

/**
 * Lines of objects that came from a worker: the file is read and parsed again, once, the first
 * time a rule reports on one of its objects (the same text gives the same objects in the same
 * order, so the object at the same index answers).
 */
class Relocator {
  private readonly files = new Map<string, Resource[]>();
  line(file: string, index: number, path: readonly (string | number)[], fallback: number): number {
    let twins = this.files.get(file);
    if (!twins) {
      try {
        twins = loadText(file, decodeUtf8(readFileSync(file))).resources;
      } catch {
        twins = [];
      }
      this.files.set(file, twins);
    }
    return twins[index]?.locate(path) ?? fallback;
  }
}

/** The worker: worker.js beside this module, or worker.ts under tsx when the sources run. */
function startWorker(init: WorkerInit): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./worker.js', import.meta.url), { workerData: { init } });
  // Tests and `tsx src/cli.ts`: a worker does not inherit tsx's loader hooks; the shim registers
  // them, then imports worker.ts.
  const entry = new URL('./worker.ts', import.meta.url).href;
  return new Worker(new URL('../../scripts/ts-worker.mjs', import.meta.url), {
    workerData: { init, entry },
  });
}

function runBatches(
  batches: readonly string[][],
  count: number,
  init: WorkerInit,
): Promise<BatchReply[]> {
  const replies: BatchReply[] = new Array<BatchReply>(batches.length);
  if (!batches.length) return Promise.resolve(replies);
  return new Promise((resolve, reject) => {
    const workers: Worker[] = [];
    let next = 0;
    let done = 0;
    let settled = false;
    const finish = (err?: Error) => {
      if (settled) return;
      settled = true;
      for (const w of workers) void w.terminate();
      if (err) reject(err);
      else resolve(replies);
    };
    const feed = (w: Worker) => {
      if (next < batches.length) {
        w.postMessage({ batch: next, files: batches[next]! } satisfies BatchRequest);
        next++;
      }
    };
    for (let i = 0; i < Math.min(count, batches.length); i++) {
      const w = startWorker(init);
      workers.push(w);
      w.on('message', (reply: BatchReply) => {
        if (reply.error !== undefined) return finish(new Error(reply.error));
        replies[reply.batch] = reply;
        if (++done === batches.length) finish();
        else feed(w);
      });
      w.on('error', (err) => finish(err));
      w.on('exit', (code) => {
        if (!settled) finish(new Error(`validation worker exited with code ${code}`));
      });
      feed(w);
    }
  });
}

/** The load and schema stages of `inputs` (files only, no stdin) on `count` workers. */
export async function checkInWorkers(
  inputs: readonly InputFile[],
  count: number,
  init: WorkerInit,
  knownProblems: readonly { file: string; message: string }[],
): Promise<CheckedFiles> {
  const files = inputs.map((i) => i.file);
  const batches: string[][] = [];
  for (let i = 0; i < files.length; i += BATCH_FILES) batches.push(files.slice(i, i + BATCH_FILES));
  const replies = await runBatches(batches, count, init);

  const out: CheckedFiles = {
    resources: [],
    fileFindings: [],
    perResource: new Map(),
    status: new Map(),
    checked: [],
    problems: [],
  };
  const relocator = new Relocator();
  const seen = new Set(knownProblems.map((p) => `${p.file}\n${p.message}`));
  batches.forEach((batch, b) => {
    const reply = replies[b]!;
    reply.files.forEach((loaded, f) => {
      const file = batch[f]!;
      out.fileFindings.push(...loaded.findings);
      loaded.resources.forEach((w, index) => {
        const r: Resource = {
          file,
          docIndex: w.docIndex,
          line: w.line,
          object: w.object,
          basePath: w.basePath,
          locate: (path) => relocator.line(file, index, path, w.line),
        };
        out.resources.push(r);
        out.perResource.set(r, w.list);
        if (w.status) out.status.set(r, w.status);
        if (w.checked) out.checked.push(r);
      });
    });
    // Each worker reports a problem the first time it meets it; one registry would report it
    // once, at the first batch that met it.
    for (const p of reply.problems) {
      const k = `${p.file}\n${p.message}`;
      if (seen.has(k)) continue;
      seen.add(k);
      out.problems.push(p);
    }
  });
  return out;
}
