/**
 * The example fleet's dist/ validates clean; a generated manifest broken in each of ten ways is
 * caught with the right rule id, file and line.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SchemaRegistry, validatePaths } from '../../src/validate/index.js';
import { DIST, distTexts, fleet, policies } from './_project.js';

const registry = new SchemaRegistry();
const opts = { policies, fleet, registry };
const tmp = mkdtempSync(join(tmpdir(), 'validate-dist-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** One edit of one file: `from` (a regex matching one line) becomes `to`; the finding must be on that line. */
interface Breakage {
  readonly file: string;
  readonly from: RegExp;
  readonly to: string;
  readonly ruleId: string;
  /** The finding's line: the edited line, unless a regex for another line is given. */
  readonly at?: RegExp;
}

const SB = 'team-support/support-bot';
const TA = 'team-support/triage-agent';
const BREAKAGES: Record<string, Breakage> = {
  'canary image on latest': {
    file: `${SB}/Deployment.support-bot-canary.yaml`,
    from: /^(\s+image: \S+):v[\w.]+$/m,
    to: '$1:latest',
    ruleId: 'canary-image-pinned',
  },
  'interval in hours': {
    file: `${TA}/Canary.triage-agent.yaml`,
    from: /^(\s+interval: )"30s"$/m,
    to: '$1"1h"',
    ruleId: 'flagger-duration-unit',
  },
  'gate wired as rollback': {
    file: `${TA}/Canary.triage-agent.yaml`,
    from: /^(\s+type: )confirm-promotion$/m,
    to: '$1rollback',
    ruleId: 'flagger-gate-not-rollback',
  },
  'metadata number': {
    file: `${TA}/Canary.triage-agent.yaml`,
    from: /^(\s+minSamples: )"(\d+)"$/m,
    to: '$1$2',
    ruleId: 'flagger-webhook-metadata-strings',
  },
  'replicas on the Flagger target': {
    file: `${TA}/Deployment.triage-agent.yaml`,
    from: /^spec:$/m,
    to: 'spec:\n  replicas: 3',
    ruleId: 'flagger-target-replicas',
    at: /^ {2}replicas: 3$/m,
  },
  'route weight edited by hand': {
    file: `${SB}/VirtualService.support-bot.yaml`,
    from: /^(\s+weight: )10$/m,
    to: '$130',
    ruleId: 'canary-weight-bounds',
  },
  'typo in a Deployment field': {
    file: `${SB}/Deployment.support-bot.yaml`,
    from: /^(\s+)imagePullPolicy: (\w+)$/m,
    to: '$1imagePullPolicyy: $2',
    ruleId: 'schema',
  },
  'Argo CD ignores the wrong pointer': {
    file: 'argocd/Application.agent-canary-team-support.yaml',
    from: /^(\s+- )\/spec\/replicas$/m,
    to: '$1/spec/replica',
    ruleId: 'argocd-ignore-differences',
    at: /^ {2}ignoreDifferences:$/m,
  },
  'two step modes': {
    file: `${TA}/Canary.triage-agent.yaml`,
    from: /^(\s+)maxWeight: (\d+)$/m,
    to: '$1maxWeight: $2\n$1stepWeight: 10',
    ruleId: 'flagger-step-mode',
    at: /^\s+stepWeights:$/m,
  },
  'manual weight off the plan': {
    file: `${SB}/Agent.support-bot.yaml`,
    from: /^(\s+weight: )10$/m,
    to: '$115',
    ruleId: 'canary-weight-bounds',
  },
  'unquoted port string': {
    file: `${SB}/Service.support-bot.yaml`,
    from: /^(\s+port: )(\d+)$/m,
    to: '$1"$2"',
    ruleId: 'schema',
  },
};

function writeTree(dir: string, files: Map<string, string>): void {
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

describe('dist/ of the example fleet', () => {
  it('validates clean', async () => {
    const report = await validatePaths([DIST], opts);
    expect(report.findings).toEqual([]);
    expect(report.exitCode).toBe(0);
    expect(report.summary.resources).toBeGreaterThan(20);
    expect(report.summary.valid).toBe(report.summary.resources);
  });

  for (const [name, b] of Object.entries(BREAKAGES)) {
    it(`catches: ${name} (${b.ruleId})`, async () => {
      const files = distTexts();
      const original = files.get(b.file);
      expect(original, `dist/${b.file} exists`).toBeDefined();
      expect(original!, `pattern ${b.from} matches dist/${b.file}`).toMatch(b.from);
      const broken = original!.replace(b.from, b.to);
      files.set(b.file, broken);
      const dir = join(tmp, name.replace(/\W+/g, '-'));
      writeTree(dir, files);
      // The edited line keeps its number (replacements only add lines after it).
      const text = b.at ? broken : original!;
      const match = (b.at ?? b.from).exec(text)!;
      expect(match, 'the expected line can be found').toBeTruthy();
      const line = text.slice(0, match.index).split('\n').length;
      const report = await validatePaths([dir], opts);
      const hits = report.findings.filter(
        (f) => f.ruleId === b.ruleId && f.file === join(dir, b.file),
      );
      expect(
        hits.map((f) => f.line),
        JSON.stringify(report.findings.map((f) => `${f.ruleId} ${f.file}:${f.line}`)),
      ).toContain(line);
      expect(report.exitCode).toBe(1);
    });
  }
});
