/** Output formats and the CLI contract (flags, exit codes 0/1/2, --fail-on-warn, --summary). */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { run } from '../../src/validate/command.js';
import { renderMarkdown, MAX_COMMENT_BYTES } from '../../src/validate/report/markdown.js';
import { renderGithub } from '../../src/validate/report/github.js';
import { buildReport } from '../../src/validate/pipeline.js';
import { renderJunit } from '../../src/validate/report/junit.js';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { Finding } from '../../src/validate/types.js';
import { sarifSchemaErrors } from './sarif-schema.js';

const corpus = join(import.meta.dirname, '..', 'fixtures', 'validate', 'corpus');
const fx = join(import.meta.dirname, '..', 'fixtures', 'validate');
const tmp = mkdtempSync(join(tmpdir(), 'validate-reports-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let out = '';
let err = '';
beforeEach(() => {
  out = '';
  err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation(
    (s: string | Uint8Array) => ((out += String(s)), true),
  );
  vi.spyOn(console, 'log').mockImplementation((s: unknown) => void (out += `${String(s)}\n`));
  vi.spyOn(console, 'error').mockImplementation((s: unknown) => void (err += `${String(s)}\n`));
});
afterEach(() => vi.restoreAllMocks());

// `--fleet <missing dir>`: the project's own fleet does not apply to these fixtures.
describe('CLI', () => {
  it('prints help and exits 0', async () => {
    expect(await run(['--help'])).toBe(0);
    expect(out).toContain('usage: agent-canary validate');
  });

  it('rejects unknown flags and formats with exit 2', async () => {
    expect(await run(['--bogus'])).toBe(2);
    expect(await run(['-o', 'yaml', corpus])).toBe(2);
    expect(err).toContain('allowed: text, json, junit, sarif, github, markdown');
    expect(await run(['--gate', 'http://x'])).toBe(2);
  });

  it('exit codes: 0 valid, 1 violations, 2 could not validate', async () => {
    expect(
      await run([join(corpus, 'valid-deployment.yaml'), '--policies', join(tmp, 'none')]),
    ).toBe(2); // explicit policies dir missing
    expect(await run([join(corpus, 'valid-deployment.yaml'), '--fleet', join(tmp, 'none')])).toBe(
      0,
    );
    expect(await run([join(corpus, 'unknown-field.yaml'), '--fleet', join(tmp, 'none')])).toBe(1);
    expect(await run([join(corpus, 'syntax-error.yaml'), '--fleet', join(tmp, 'none')])).toBe(2);
    expect(out).toMatch(/syntax-error\.yaml:\d+: error \[parse\]/);
  });

  it('--fail-on-warn turns warnings into exit 1', async () => {
    const file = join(fx, 'overshoot.yaml');
    expect(await run([file, '--fleet', join(tmp, 'none')])).toBe(0);
    expect(await run([file, '--fleet', join(tmp, 'none'), '--fail-on-warn'])).toBe(1);
  });

  it('-o json prints the report', async () => {
    const code = await run([
      '-o',
      'json',
      join(corpus, 'list-kind.yaml'),
      '--fleet',
      join(tmp, 'none'),
    ]);
    const report = JSON.parse(out) as {
      exitCode: number;
      findings: Finding[];
      summary: { resources: number };
    };
    expect(code).toBe(1);
    expect(report.exitCode).toBe(1);
    expect(report.summary.resources).toBe(2);
    expect(report.findings[0]).toMatchObject({
      ruleId: 'schema',
      line: 13,
      path: 'items[1].binaryDataa',
      object: { kind: 'ConfigMap', name: 'bad' },
    });
  });

  it('-o junit: a suite per file, a failure per error finding', async () => {
    await run([
      '-o',
      'junit',
      join(corpus, 'list-kind.yaml'),
      join(corpus, 'syntax-error.yaml'),
      '--fleet',
      join(tmp, 'none'),
    ]);
    expect(out).toMatch(/^<\?xml version="1.0"/);
    expect(out.match(/<testsuite /g)).toHaveLength(2);
    expect(out.match(/<testcase /g)).toHaveLength(3);
    expect(out.match(/<failure /g)).toHaveLength(1);
    expect(out.match(/<error /g)).toHaveLength(1);
    expect(out).toContain('testcase name="ConfigMap demo/bad"');
  });

  it('-o junit parses with a real XML parser, also with XML-illegal characters in names and messages', async () => {
    await run([
      '-o',
      'junit',
      join(corpus, 'list-kind.yaml'),
      join(corpus, 'syntax-error.yaml'),
      '--fleet',
      join(tmp, 'none'),
    ]);
    expect(XMLValidator.validate(out)).toBe(true);
    const nasty = 'bell\x07 esc\x1b nul\0 lone\ud800 "quoted" <tag> & tab\tline\nbreak';
    const finding: Finding = {
      ruleId: 'schema',
      severity: 'error',
      file: `dir/${nasty}.yaml`,
      line: 3,
      message: nasty,
      fix: nasty,
      path: 'data.k',
    };
    const report = buildReport(
      [
        {
          file: finding.file,
          line: 3,
          object: { apiVersion: 'v1', kind: 'ConfigMap', name: nasty, namespace: 'demo' },
          status: 'invalid',
          findings: [finding],
        },
      ],
      [finding],
      [],
      1,
      false,
    );
    const xml = renderJunit(report);
    // fast-xml-parser checks the structure; it lets control characters through, so XML 1.0's
    // Char production (what a strict parser such as Jenkins' rejects) is checked on its own.
    expect(XMLValidator.validate(xml)).toBe(true);
    expect(xml).not.toMatch(/[^\t\n\r\x20-\ud7ff\ue000-\ufffd\u{10000}-\u{10ffff}]/u);
    const doc = new XMLParser({
      ignoreAttributes: false,
      attributeNamePrefix: '',
      processEntities: true,
      htmlEntities: true,
    }).parse(xml) as {
      testsuites: {
        testsuite: {
          name: string;
          testcase: { name: string; failure: { message: string; '#text': string } };
        };
      };
    };
    const failure = doc.testsuites.testsuite.testcase.failure;
    expect(failure.message).toBe(
      '[schema] bell\\u0007 esc\\u001b nul\\u0000 lone\\ud800 "quoted" <tag> & tab\tline\nbreak',
    );
    expect(failure['#text']).toContain('<tag> & tab');
    expect(doc.testsuites.testsuite.name).toBe(
      'dir/bell\\u0007 esc\\u001b nul\\u0000 lone\\ud800 "quoted" <tag> & tab\tline\nbreak.yaml',
    );
  });

  it('-o sarif: SARIF 2.1.0 with rule metadata and locations', async () => {
    await run(['-o', 'sarif', join(corpus, 'unknown-field.yaml'), '--fleet', join(tmp, 'none')]);
    const sarif = JSON.parse(out) as {
      version: string;
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          locations: { physicalLocation: { region: { startLine: number } } }[];
        }[];
      }[];
    };
    expect(sarifSchemaErrors(sarif)).toEqual([]);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.tool.driver.rules.map((r) => r.id)).toContain('flagger-step-mode');
    expect(sarif.runs[0]!.results[0]).toMatchObject({
      ruleId: 'schema',
      locations: [{ physicalLocation: { region: { startLine: 7 } } }],
    });
  });

  it('-o sarif: valid against the SARIF 2.1.0 schema for every finding level, also with no finding; the schema check itself rejects a broken log', async () => {
    await run(['-o', 'sarif', corpus, '--fleet', join(tmp, 'none')]);
    const many = JSON.parse(out) as { runs: { results: { level: string }[] }[] };
    expect(sarifSchemaErrors(many)).toEqual([]);
    expect(new Set(many.runs[0]!.results.map((r) => r.level)).size).toBeGreaterThan(1);
    out = '';
    await run(['-o', 'sarif', join(corpus, 'valid-deployment.yaml'), '--fleet', join(tmp, 'none')]);
    const none = JSON.parse(out) as { runs: { results: unknown[] }[] };
    expect(none.runs[0]!.results).toEqual([]);
    expect(sarifSchemaErrors(none)).toEqual([]);
    // The check can fail: a level SARIF does not define, a result without a message.
    const broken = structuredClone(many) as {
      runs: { results: { level?: string; message?: unknown }[] }[];
    };
    broken.runs[0]!.results[0]!.level = 'fatal';
    delete broken.runs[0]!.results[1]!.message;
    expect(sarifSchemaErrors(broken)).toEqual([
      '/runs/0/results/0/level: must be equal to one of the allowed values',
      "/runs/0/results/1: must have required property 'message'",
    ]);
  });

  it('-o github: annotations and the step summary', async () => {
    const summaryFile = join(tmp, 'step-summary.md');
    vi.stubEnv('GITHUB_STEP_SUMMARY', summaryFile);
    try {
      await run(['-o', 'github', join(corpus, 'unknown-field.yaml'), '--fleet', join(tmp, 'none')]);
    } finally {
      vi.unstubAllEnvs();
    }
    expect(out).toMatch(
      /^::error file=.*unknown-field\.yaml,line=7,title=schema Deployment demo\/typo spec\.replica::spec\.replica: unknown field "replica"/m,
    );
    expect(readFileSync(summaryFile, 'utf8')).toContain('### ❌ agent-canary validate');
  });

  it('--summary writes the Markdown PR comment', async () => {
    const file = join(tmp, 'comment.md');
    await run([
      join(corpus, 'unknown-field.yaml'),
      '--fleet',
      join(tmp, 'none'),
      '--summary',
      file,
    ]);
    const md = readFileSync(file, 'utf8');
    expect(md).toContain('| ❌ | `schema` |');
  });
});

describe('Markdown summary', () => {
  it('stays under 64 KiB and says how many findings it left out', () => {
    const findings: Finding[] = Array.from({ length: 5000 }, (_, i) => ({
      ruleId: 'schema',
      severity: 'error',
      file: `dist/ns/agent-${i}/Deployment.agent-${i}.yaml`,
      line: i + 1,
      object: { kind: 'Deployment', namespace: 'ns', name: `agent-${i}` },
      message: `spec.replica: unknown field "replica" number ${i}`,
      fix: 'remove it',
    }));
    const report = buildReport(
      [],
      findings,
      [{ agent: 'ns/a', kind: 'weight', summary: 'weight 10 -> 25' }],
      5000,
      false,
    );
    const md = renderMarkdown(report);
    expect(Buffer.byteLength(md)).toBeLessThanOrEqual(MAX_COMMENT_BYTES);
    expect(md).toContain('| `ns/a` | weight 10 -> 25 |');
    expect(md).toMatch(/_\d+ more findings left out to keep this comment under 64 KiB/);
  });

  it('escapes workflow-command data', () => {
    const report = buildReport(
      [],
      [
        {
          ruleId: 'x',
          severity: 'warning',
          file: 'a,b.yaml',
          line: 3,
          message: 'line1\nline2 100%',
        },
      ],
      [],
      1,
      false,
    );
    expect(renderGithub(report, {})).toContain(
      '::warning file=a%2Cb.yaml,line=3,title=x::line1%0Aline2 100%25',
    );
  });
});
