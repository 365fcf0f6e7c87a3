/**
 * A validation worker (worker_threads): reads, parses and schema-checks the batches of files the
 * main thread sends (parallel.ts), with the same functions as the in-process pipeline, and
 * answers each batch with its objects, their findings so far and the schema-source problems the
 * batch met. Rules run in the main thread (they relate objects across files).
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { decodeUtf8 } from './load/read.js';
import { loadFile } from './load/file.js';
import { checkSchema } from './schema/check.js';
import { SchemaRegistry } from './schema/registry.js';
import { ruleView } from './rules/index.js';
import type { BatchReply, BatchRequest, WireResource, WorkerInit } from './parallel.js';

const { init } = workerData as { init: WorkerInit };
const registry = new SchemaRegistry({ crds: init.crds });
const skip = new Set(init.skipKinds);

async function check(request: BatchRequest): Promise<BatchReply> {
  const before = registry.problems.length;
  const files: BatchReply['files'] = [];
  for (const file of request.files) {
    const loaded = await loadFile(file, async () => decodeUtf8(readFileSync(file)));
    const resources: WireResource[] = [];
    for (const r of loaded.resources) {
      const done = await checkSchema(r, registry, skip, init);
      resources.push({
        docIndex: r.docIndex,
        line: r.line,
        basePath: r.basePath,
        object: ruleView(r.object),
        list: done.list,
        status: done.status,
        checked: done.checked,
      });
    }
    files.push({ findings: loaded.findings, resources });
  }
  return { batch: request.batch, files, problems: registry.problems.slice(before) };
}

parentPort!.on('message', (request: BatchRequest) => {
  check(request).then(
    (reply) => parentPort!.postMessage(reply),
    (err: unknown) =>
      parentPort!.postMessage({
        batch: request.batch,
        error: err instanceof Error ? err.message : String(err),
      }),
  );
});
