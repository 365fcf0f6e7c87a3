/**
 * Worker threads give the same report as the in-process pipeline: the same findings in the same
 * order (lines of rule findings included, which the main thread finds by reading the file again),
 * the same statuses, summary and exit code, in every output format. A broken file inside a worker
 * batch is the documented finding and exit code. Below the threshold no worker is started.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { run } from '../../src/validate/command.js';
import { runPipeline } from '../../src/validate/pipeline.js';
import { checkInWorkers, WORKER_THRESHOLD, workerCount } from '../../src/validate/parallel.js';
import { collectInputs } from '../../src/validate/load/read.js';
import { render } from '../../src/validate/report/index.js';
import type { Report } from '../../src/validate/types.js';
import { ROOT } from './_project.js';

const tmp = mkdtempSync(join(tmpdir(), 'validate-workers-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The example's dist/ twice over, with errors of every stage in both copies. */
function corpus(): string {
  const root = join(tmp, 'corpus');
  for (const copy of ['a', 'b']) {
    const dist = join(root, copy);
    cpSync(join(ROOT, 'dist'), dist, { recursive: true });
    const agent = join(dist, 'team-support/support-bot/Agent.support-bot.yaml');
    // A rule finding (weight not a step) located by line in a file read by a worker.
    writeFileSync(agent, readFileSync(agent, 'utf8').replace(/^(\s+weight: )10$/m, '$113'));
    const deploy = join(dist, 'team-support/support-bot/Deployment.support-bot.yaml');
    writeFileSync(
      deploy,
      readFileSync(deploy, 'utf8').replace(/^spec:$/m, 'spec:\n  minReadySecondz: 5'),
    );
    mkdirSync(join(dist, 'broken'));
    writeFileSync(
      join(dist, 'broken/syntax.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: [\n',
    );
    writeFileSync(
      join(dist, 'broken/duplicate.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: d, namespace: x }\ndata: { a: "1", a: "2" }\n',
    );
    writeFileSync(
      join(dist, 'broken/latin1.yaml'),
      Buffer.from('kind: ConfigMap\nx: caf\xe9\n', 'latin1'),
    );
    writeFileSync(join(dist, 'broken/binary.yaml'), Buffer.from([0x61, 0x00, 0x62]));
    writeFileSync(
      join(dist, 'broken/old.yaml'),
      'apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: { name: o, namespace: x }\n',
    );
    writeFileSync(
      join(dist, 'broken/list.yaml'),
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: { name: l, namespace: x }\n    data: { on: yes }\n  - 3\n',
    );
    writeFileSync(join(dist, 'broken/nokind.yaml'), 'metadata: { name: n }\n');
    writeFileSync(
      join(dist, 'broken/unknown.yaml'),
      'apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\n',
    );
  }
  return root;
}

const opts = (workers: number) => ({
  workers,
  policies: join(ROOT, 'policies'),
  fleet: join(ROOT, 'fleet'),
});

describe('validation workers', () => {
  const root = corpus();

  it('give the in-process report: findings, order, lines, statuses, exit code, every format', async () => {
    const inProcess = (await runPipeline([root], opts(0))).report;
    const inWorkers = (await runPipeline([root], opts(2))).report;
    expect(inProcess.exitCode).toBe(2);
    // The corpus has a finding of every stage, so the comparison covers them all.
    const rules = new Set(inProcess.findings.map((f) => f.ruleId));
    for (const id of [
      'parse',
      'duplicate-key',
      'input',
      'removed-api',
      'missing-kind',
      'missing-schema',
      'not-an-object',
      'schema',
      'canary-weight-bounds',
      'yaml-1.1-boolean',
    ])
      expect(rules).toContain(id);
    const json = (r: Report) => JSON.parse(render(r, 'json')) as unknown;
    expect(json(inWorkers)).toEqual(json(inProcess));
    expect(JSON.parse(render(inWorkers, 'sarif'))).toEqual(JSON.parse(render(inProcess, 'sarif')));
    const xml = new XMLParser({ ignoreAttributes: false });
    expect(xml.parse(render(inWorkers, 'junit'))).toEqual(xml.parse(render(inProcess, 'junit')));
    expect(render(inWorkers, 'text')).toBe(render(inProcess, 'text'));
    // The rule finding's line is the weight line of the file, found again by the main thread.
    const weight = inWorkers.findings.find(
      (f) => f.ruleId === 'canary-weight-bounds' && f.file.includes('/a/'),
    )!;
    expect(readFileSync(weight.file, 'utf8').split('\n')[weight.line - 1]).toMatch(/weight: 13/);
  });

  it('run in worker threads (the stage itself, without the in-process fallback)', async () => {
    const { inputs } = await collectInputs([root]);
    const stage = await checkInWorkers(inputs, 2, { skipKinds: [] }, []);
    const inProcess = (await runPipeline([root], opts(0))).resources;
    const id = (o: Record<string, unknown>) => [o.apiVersion, o.kind, o.metadata];
    expect(stage.resources.map((r) => [r.file, r.line, ...id(r.object)])).toEqual(
      inProcess.map((r) => [r.file, r.line, ...id(r.object)]),
    );
    // Of kinds no rule inspects, only the identity and metadata travel back.
    const cm = stage.resources.find((r) => r.object.kind === 'ConfigMap')!;
    expect(Object.keys(cm.object).sort()).toEqual(['apiVersion', 'kind', 'metadata']);
    expect(stage.fileFindings.map((f) => f.ruleId)).toContain('parse');
  });

  it('report a broken file inside a worker batch with its documented finding and exit 2', async () => {
    const report = (
      await runPipeline(
        [join(root, 'a', 'broken', 'latin1.yaml'), join(root, 'a', 'team-support')],
        opts(2),
      )
    ).report;
    expect(report.exitCode).toBe(2);
    expect(report.findings.find((f) => f.ruleId === 'input')!.message).toMatch(
      /not valid UTF-8: byte \d+/,
    );
  });

  it('start only from the threshold on (or when asked); one core means none', () => {
    expect(workerCount(35)).toBe(0);
    expect(workerCount(WORKER_THRESHOLD - 1)).toBe(0);
    expect(workerCount(WORKER_THRESHOLD)).toBe(
      availableParallelism() > 1 ? Math.min(availableParallelism(), 8) : 0,
    );
    expect(workerCount(35, 2)).toBe(2);
    expect(workerCount(100_000, 0)).toBe(0);
  });

  it('--workers takes a whole number of threads; anything else is exit 2', async () => {
    const errors: string[] = [];
    const orig = console.error;
    console.error = (m: string) => errors.push(m);
    try {
      expect(await run([join(ROOT, 'dist'), '--workers', 'many'])).toBe(2);
    } finally {
      console.error = orig;
    }
    expect(errors.join('\n')).toMatch(/--workers many is not a whole number/);
  });
});
