/**
 * `validate --base` on a real Git repository catches every unsafe traffic change, located in the
 * fleet file the author edited: a promotion from a middle step or before the last hold, a weight
 * increase before the step's hold (measured from the commit that set the weight, with an injected
 * clock and commit dates), a stable change without a canary, a removed host or gateway (also one
 * the cluster settings removed), a broken fleet file. The safe counterparts pass: the next step
 * after the hold, a promotion after the last hold, a rollback, backing down, a progressive
 * promote, a stable change the policy allows. Every report format carries the findings.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { loadClusterConfig } from '../../src/config/load.js';
import { checkFleet } from '../../src/fleet/load.js';
import { loadPolicies } from '../../src/policy/load.js';
import { synthesize } from '../../src/synth/synthesize.js';
import { writeOutput } from '../../src/synth/output.js';
import { SchemaRegistry } from '../../src/validate/index.js';
import { runPipeline } from '../../src/validate/pipeline.js';
import { validatePullRequest } from '../../src/validate/pr/index.js';
import { render } from '../../src/validate/report/index.js';
import type { Finding, Report } from '../../src/validate/types.js';
import { ROOT } from './_project.js';
import { sarifSchemaErrors } from './sarif-schema.js';

const registry = new SchemaRegistry();
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** 2026-01-01T00:00:00Z: the base commit that set support-bot's weight 10. */
const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
const BOT = 'fleet/team-support/support-bot.yaml';

let repo: string;
let clock = T0;

function git(...args: string[]): string {
  const date = `${Math.floor(clock / 1000)} +0000`;
  return execFileSync(
    'git',
    ['-c', 'user.name=T', '-c', 'user.email=t@example.com', '-c', 'commit.gpgsign=false', ...args],
    {
      cwd: repo,
      stdio: 'pipe',
      env: { ...process.env, GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date },
    },
  ).toString();
}

/** Edits a file, re-synthesizes dist/ like `agent-canary synth`, commits at time `at`. */
function commit(at: number, rel: string, edit: (t: string) => string, message = 'change'): void {
  const file = join(repo, rel);
  writeFileSync(file, edit(readFileSync(file, 'utf8')));
  const fleet = checkFleet(join(repo, 'fleet'));
  if (fleet.errors.length === 0)
    writeOutput(
      join(repo, 'dist'),
      synthesize(fleet.agents, {
        policies: loadPolicies(join(repo, 'policies')),
        cluster: loadClusterConfig(repo),
      }),
    );
  clock = at;
  git('add', '-A');
  git('commit', '-q', '--allow-empty', '-m', message);
}

beforeEach(() => {
  repo = mkdtempSync(join(tmpdir(), 'validate-pr-safety-'));
  dirs.push(repo);
  for (const d of ['fleet', 'policies', 'dist'])
    cpSync(join(ROOT, d), join(repo, d), { recursive: true });
  cpSync(join(ROOT, 'agent-canary.yaml'), join(repo, 'agent-canary.yaml'));
  clock = T0;
  git('init', '-q', '-b', 'main');
  commit(T0, BOT, (t) => t, 'base: support-bot at 10 %');
});

const validate = (now: number): Promise<Report> =>
  validatePullRequest([join(repo, 'dist')], {
    root: repo,
    base: 'HEAD~1',
    registry,
    now: () => now,
  });

const weight = (w: number) => (t: string) => t.replace(/^(\s+weight: )\d+$/m, `$1${w}`);
const promote = (t: string) =>
  t
    .replace(/^(\s+)enabled: true$/m, '$1enabled: false')
    .replace(
      /^  image: ghcr.io\/recif-platform\/corail:v0.3.1$/m,
      '  image: ghcr.io/recif-platform/corail:v0.4.0',
    )
    .replace(/^  modelId: gpt-4o-mini$/m, '  modelId: gpt-4.1-mini')
    .replace(/^  version: "3"$/m, '  version: "4"');

/** The 1-based line of the first line of `rel` (in the repository) matching `re`. */
const lineIn = (rel: string, re: RegExp) =>
  readFileSync(join(repo, rel), 'utf8')
    .split('\n')
    .findIndex((l) => re.test(l)) + 1;

const only = (report: Report, ruleId: string): Finding[] =>
  report.findings.filter((f) => f.ruleId === ruleId);

function expectClean(report: Report): void {
  expect(report.findings.filter((f) => f.severity === 'error')).toEqual([]);
  expect(report.exitCode).toBe(0);
}

/** support-bot as a manual blue-green challenger at 0 % (strategy-plan.ts: 100 is the switch). */
const blueGreen = (t: string) =>
  weight(0)(t)
    .replace(/^rollout:\n/m, 'rollout:\n  strategy: blue-green\n')
    // Session affinity pins a track: blue-green has one live track at a time (a fleet rule).
    .replace(/^  sessionAffinity:.*\n(?:    .*\n)*/m, '');

describe('blue-green switch hold (manual)', () => {
  it('refuses the 0 -> 100 switch before switchHold (the first step hold, 5m) since the commit that set 0 %, passes it after', async () => {
    commit(T0 + MIN, BOT, blueGreen, 'support-bot: blue-green challenger at 0 %');
    commit(T0 + 4 * MIN, BOT, weight(100), 'support-bot: switch');
    const early = await validate(T0 + 4 * MIN);
    const [f, ...rest] = only(early, 'pr-step-hold');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ severity: 'error', path: 'spec.canary.weight' });
    expect(f!.message).toContain('weight 0% -> 100% before the hold of the 0% step has elapsed');
    expect(f!.message).toContain('the step holds 5m');
    expect(f!.message).toContain('2m0s left');
    expect(early.exitCode).toBe(1);
    expectClean(await validate(T0 + 6 * MIN));
  });

  it('refuses a promotion from 0 % (switch first)', async () => {
    commit(T0 + MIN, BOT, blueGreen, 'support-bot: blue-green challenger at 0 %');
    commit(T0 + 60 * MIN, BOT, promote, 'promote support-bot at 0 %');
    const [f] = only(await validate(T0 + 60 * MIN), 'pr-promotion-step');
    expect(f!.message).toContain('promotion from 0% skips step 100%');
    expect(f!.message).toContain('blue-green: 0 -> switch to 100 after 5m -> promotion');
  });
});

describe('step holds (manual weights)', () => {
  it('refuses the next step before the hold, at the fleet file weight line', async () => {
    commit(T0 + 4 * MIN, BOT, weight(25), 'support-bot 10 -> 25');
    const report = await validate(T0 + 4 * MIN);
    const [f, ...rest] = only(report, 'pr-step-hold');
    expect(rest).toEqual([]);
    expect(f).toMatchObject({
      severity: 'error',
      path: 'spec.canary.weight',
      line: lineIn(BOT, /^\s+weight: 25$/),
      object: { kind: 'Agent', namespace: 'team-support', name: 'support-bot' },
    });
    expect(f!.file.endsWith(BOT)).toBe(true);
    expect(f!.message).toContain('weight 10% -> 25% before the hold of the 10% step has elapsed');
    expect(f!.message).toContain('the step holds 10m');
    expect(f!.message).toContain('6m0s left');
    expect(f!.fix).toContain('2026-01-01T00:10:00.000Z');
    expect(report.exitCode).toBe(1);
  });

  it('passes the next step once the hold has elapsed since the commit that set the weight', async () => {
    // A later commit that touches the file without changing the weight does not restart the hold.
    commit(T0 + 9 * MIN, BOT, (t) =>
      t.replace('# Customer-support agent', '# The customer-support agent'),
    );
    commit(T0 + 10 * MIN, BOT, weight(25), 'support-bot 10 -> 25');
    expectClean(await validate(T0 + 10 * MIN));
  });

  it('passes backing down and a rollback at any time', async () => {
    commit(T0 + MIN, BOT, weight(5), 'support-bot back to 5');
    expectClean(await validate(T0 + MIN));
    commit(
      T0 + 2 * MIN,
      BOT,
      (t) => t.replace(/\n  # Challenger:[^\n]*\n  canary:\n(?: {4}[^\n]*\n)+/, '\n'),
      'roll back support-bot',
    );
    const report = await validate(T0 + 2 * MIN);
    expect(report.changes).toContainEqual(
      expect.objectContaining({ agent: 'team-support/support-bot', kind: 'canary-stopped' }),
    );
    expectClean(report);
  });
});

describe('promotion (manual)', () => {
  it('refuses a promotion from a middle step', async () => {
    commit(T0 + 60 * MIN, BOT, promote, 'promote support-bot at 10 %');
    const report = await validate(T0 + 60 * MIN);
    const [f] = only(report, 'pr-promotion-step');
    expect(f).toMatchObject({ path: 'spec.version', line: lineIn(BOT, /^  version: "4"$/) });
    expect(f!.message).toContain('promotion from 10% skips steps 25%, 50%');
    expect(only(report, 'pr-direct-stable-change')).toEqual([]);
    expect(report.exitCode).toBe(1);
  });

  it('refuses a promotion from the last step before its hold, passes it after', async () => {
    commit(T0 + 10 * MIN, BOT, weight(25), 'to 25');
    commit(T0 + 30 * MIN, BOT, weight(50), 'to 50');
    commit(T0 + 40 * MIN, BOT, promote, 'promote');
    const early = await validate(T0 + 40 * MIN);
    const [f] = only(early, 'pr-step-hold');
    expect(f!.message).toContain('promotion from 50% before the hold of the 50% step has elapsed');
    expect(f!.message).toContain('the step holds 20m');
    expect(early.exitCode).toBe(1);
    // The same pull request, checked again after the hold: it passes.
    expectClean(await validate(T0 + 50 * MIN));
  });
});

describe('stable changes', () => {
  const newImage = (t: string) =>
    t.replace(
      /^  image: ghcr.io\/recif-platform\/corail:v0.3.1$/m,
      '  image: ghcr.io/recif-platform/corail:v0.9.9',
    );

  it('refuses a stable change without a canary, at the changed field', async () => {
    commit(T0 + MIN, BOT, newImage, 'bump the stable image');
    const report = await validate(T0 + MIN);
    const [f] = only(report, 'pr-direct-stable-change');
    expect(f).toMatchObject({ path: 'spec.image', line: lineIn(BOT, /corail:v0\.9\.9/) });
    expect(f!.message).toContain(
      'image "ghcr.io/recif-platform/corail:v0.3.1" -> "ghcr.io/recif-platform/corail:v0.9.9"',
    );
    expect(f!.message).toContain('every user gets it at once');
    expect(report.exitCode).toBe(1);
  });

  it('passes it when the base policy allows it; a pull request cannot allow itself', async () => {
    const allow = (t: string) => `${t.trimEnd()}\n  allowDirectStableChange: true\n`;
    // Allowed in the same pull request: the base policy still forbids it.
    commit(T0 + MIN, 'policies/default.yaml', allow, 'allow direct changes');
    writeFileSync(join(repo, BOT), newImage(readFileSync(join(repo, BOT), 'utf8')));
    git('reset', '-q', '--soft', 'HEAD~1');
    commit(T0 + MIN, BOT, (t) => t, 'allow and bump together');
    expect(only(await validate(T0 + MIN), 'pr-direct-stable-change')).toHaveLength(1);
    // Once the policy change has landed, the stable change passes.
    git('reset', '-q', '--hard', 'HEAD~1');
    commit(T0 + MIN, 'policies/default.yaml', allow, 'allow direct changes');
    commit(T0 + 2 * MIN, BOT, newImage, 'bump the stable image');
    expectClean(await validate(T0 + 2 * MIN));
  });

  it('passes the progressive promote of agent-canary canary promote', async () => {
    const triage = 'fleet/team-support/triage-agent.yaml';
    const text = readFileSync(join(repo, triage), 'utf8');
    const challengerPrompt = /\n  canary:\n(?:.*\n)*? {4}systemPrompt: >-\n((?: {6}.*\n)+)/.exec(
      text,
    )![1]!;
    commit(
      T0 + MIN,
      triage,
      (t) =>
        t
          .replace(/\n  # Challenger:[^\n]*\n(?:  #[^\n]*\n)*  canary:\n(?: {4}[^\n]*\n)+/, '\n')
          .replace(
            / {2}systemPrompt: >-\n(?: {4}.*\n)+/,
            `  systemPrompt: >-\n${challengerPrompt.replace(/^ {6}/gm, '    ')}`,
          )
          .replace(/^  version: "7"$/m, '  version: "8"')
          .replace(
            '  namespace: team-support\n',
            '  namespace: team-support\n  annotations:\n    agent-canary.dev/promotion: 7 -> 8\n',
          ),
      'promote triage-agent',
    );
    const report = await validate(T0 + MIN);
    expect(report.changes).toContainEqual(
      expect.objectContaining({ agent: 'team-support/triage-agent', kind: 'promoted' }),
    );
    expectClean(report);
  });
});

describe('hosts and gateways', () => {
  it('refuses a removed host and a removed gateway, at the fleet file lists', async () => {
    commit(
      T0 + MIN,
      BOT,
      (t) =>
        t
          .replace('    - support.example.com\n', '    - support-new.example.com\n')
          .replace('    - istio-system/public-gateway\n', ''),
      'drop the public host and gateway',
    );
    const report = await validate(T0 + MIN);
    const found = only(report, 'pr-removed-exposure');
    expect(found.map((f) => f.path)).toEqual(['rollout.hosts', 'rollout.gateways']);
    expect(found[0]).toMatchObject({ line: lineIn(BOT, /^  hosts:/) });
    expect(found[0]!.message).toContain(
      'host support.example.com removed from team-support/support-bot',
    );
    expect(found[1]).toMatchObject({ line: lineIn(BOT, /^  gateways:/) });
    expect(found[1]!.message).toContain('gateway istio-system/public-gateway no longer routes');
    expect(report.exitCode).toBe(1);
  });

  it('refuses a removed Gateway API parent', async () => {
    const rel = 'fleet/team-research/research-assistant.yaml';
    commit(
      T0 + MIN,
      rel,
      (t) => t.replace('      sectionName: https\n', '      sectionName: http\n'),
      'move research-assistant to the http listener',
    );
    const [f] = only(await validate(T0 + MIN), 'pr-removed-exposure');
    expect(f).toMatchObject({ path: 'rollout.gatewayRefs', line: lineIn(rel, /^  gatewayRefs:/) });
    expect(f!.message).toContain('gateway gateway-system/internal-gateway#https');
  });

  it('refuses a gateway the cluster settings removed, at agent-canary.yaml', async () => {
    const gateways = (list: string) => (t: string) =>
      t.replace(/^ {4}gateways: \[[^\]]*\]/m, `    gateways: [${list}]`);
    commit(
      T0 + MIN,
      'agent-canary.yaml',
      gateways('istio-system/shared, mesh'),
      'cluster gateways',
    );
    commit(T0 + 2 * MIN, 'agent-canary.yaml', gateways('mesh'), 'drop the shared gateway');
    const found = only(await validate(T0 + 2 * MIN), 'pr-removed-exposure');
    expect(found.length).toBeGreaterThan(0);
    for (const f of found) {
      expect(f.file.endsWith('agent-canary.yaml')).toBe(true);
      expect(f).toMatchObject({
        path: 'spec.istio.gateways',
        line: lineIn('agent-canary.yaml', /^ {4}gateways:/),
      });
      expect(f.message).toContain('istio-system/shared');
    }
    // support-bot binds its own gateways: the cluster's list never routed to it.
    expect(found.some((f) => f.object?.name === 'support-bot')).toBe(false);
  });

  it('passes an added host', async () => {
    commit(T0 + MIN, BOT, (t) =>
      t.replace(
        '    - support.example.com\n',
        '    - support.example.com\n    - help.example.com\n',
      ),
    );
    expectClean(await validate(T0 + MIN));
  });
});

describe('broken fleet files', () => {
  it('a pull request with a fleet file that does not parse fails with exit 1 at its line', async () => {
    commit(T0 + MIN, BOT, (t) => t.replace(/^ {4}weight: 10$/m, '    weight: [10'), 'broken');
    const report = await validate(T0 + MIN);
    const [f, ...rest] = only(report, 'fleet-file');
    expect(rest).toEqual([]);
    expect(f!.file.endsWith(BOT)).toBe(true);
    expect(f!.line).toBeGreaterThanOrEqual(lineIn(BOT, /weight: \[10/));
    expect(f!.message).toContain('YAML');
    expect(report.findings.filter((x) => x.ruleId === 'policy-source')).toEqual([]);
    expect(report.exitCode).toBe(1);
  });

  it('validate dist/ without --base reports a fleet file beside it that breaks the schema', async () => {
    writeFileSync(join(repo, BOT), weight(300)(readFileSync(join(repo, BOT), 'utf8')));
    const { report } = await runPipeline([join(repo, 'dist')], { registry });
    const [f] = only(report, 'fleet-file');
    expect(f).toMatchObject({
      path: 'spec.canary.weight',
      line: lineIn(BOT, /^\s+weight: 300$/),
      object: { kind: 'Agent', namespace: 'team-support', name: 'support-bot' },
    });
    expect(f!.file.endsWith(BOT)).toBe(true);
    expect(f!.message).toContain('got 300');
    expect(report.exitCode).toBe(1);
  });
});

describe('every report format carries the pull-request findings', () => {
  it('text, JSON, JUnit, SARIF and Markdown name the fleet file, line and field', async () => {
    commit(T0 + 4 * MIN, BOT, weight(25), 'support-bot 10 -> 25');
    const report = await validate(T0 + 4 * MIN);
    const f = only(report, 'pr-step-hold')[0]!;
    const where = `${f.file}:${f.line}`;

    expect(render(report, 'text')).toContain(
      `${where}: error [pr-step-hold] Agent team-support/support-bot spec.canary.weight:`,
    );

    const json = JSON.parse(render(report, 'json')) as Report;
    expect(json.exitCode).toBe(1);
    expect(json.findings).toContainEqual(
      expect.objectContaining({
        ruleId: 'pr-step-hold',
        file: f.file,
        line: f.line,
        path: 'spec.canary.weight',
      }),
    );

    const xml = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(
      render(report, 'junit'),
    );
    const suites = [xml.testsuites.testsuite].flat() as Record<string, any>[];
    const suite = suites.find((s) => s.name === f.file)!;
    expect(suite).toBeDefined();
    const cases = [suite.testcase].flat() as Record<string, any>[];
    const failure = cases.map((c) => c.failure).find(Boolean);
    expect(failure.type).toBe('pr-step-hold');
    expect(failure['#text']).toContain(`${where} spec.canary.weight`);

    const sarif = JSON.parse(render(report, 'sarif'));
    expect(sarifSchemaErrors(sarif)).toEqual([]);
    const run = sarif.runs[0];
    expect(run.tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(
      expect.arrayContaining([
        'pr-step-hold',
        'pr-promotion-step',
        'pr-direct-stable-change',
        'pr-removed-exposure',
        'fleet-file',
      ]),
    );
    const result = run.results.find((r: { ruleId: string }) => r.ruleId === 'pr-step-hold');
    expect(result.level).toBe('error');
    expect(result.locations[0].physicalLocation).toEqual({
      artifactLocation: { uri: f.file },
      region: { startLine: f.line },
    });
    expect(result.locations[0].logicalLocations[0].fullyQualifiedName).toBe('spec.canary.weight');

    const md = render(report, 'markdown');
    expect(md).toContain(`| ❌ | \`pr-step-hold\` | \`${where}\` \`spec.canary.weight\` |`);
  });
});
