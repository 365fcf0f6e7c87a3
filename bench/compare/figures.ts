/**
 * The headline figures of each bench, read from its printed output (bench/compare.ts).
 *
 * Each figure is one regular expression over the text a bench prints, so a revision whose bench
 * prints a line differently (or not at all) gives "n/a" with the reason, never a crash. The
 * patterns accept the formats of the revisions compared so far (labels renamed since, e.g.
 * validate's "baseline: yaml parseAllDocuments only" -> "parse only: yaml parseAllDocuments").
 *
 * Figures marked `control` measure no project code that the compared change touched (a bare
 * node:http server, a bare git commit, YAML parsing alone): when a control moves as much as a
 * figure, the machine's load moved, not the code.
 */

/** Which direction is an improvement. */
export type Better = 'lower' | 'higher';

/** What a figure measures; decides the flag words (faster/SLOWER or smaller/LARGER). */
export type Measure = 'time' | 'rate' | 'memory';

export interface FigureSpec {
  readonly bench: string;
  readonly figure: string;
  readonly unit: string;
  readonly better: Better;
  readonly measure: Measure;
  /** A baseline the bench runs beside ours (load indicator), not our code. @default false */
  readonly control?: boolean;
  /** Matched against the whole output (multiline); `group` is the capture holding the number. */
  readonly pattern: RegExp;
  /** @default 1 */
  readonly group?: number;
}

/** A figure read from one output: its value, or why there is none. */
export type Reading =
  | { readonly value: number; readonly reason?: undefined }
  | { readonly value?: undefined; readonly reason: string };

const NUM = '(\\d+(?:\\.\\d+)?)';

/**
 * One row of bench/synth's table: `<label>  <process> s <modules> s <work> s <cpu> s <rss> MB`.
 * Column 1 = process wall time, 3 = work, 5 = peak RSS.
 */
function synthRow(label: string): RegExp {
  const esc = label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${esc}\\s+${NUM} s\\s+${NUM} s\\s+${NUM} s\\s+${NUM} s\\s+${NUM} MB`, 'm');
}

const synth = (
  figure: string,
  label: string,
  column: 1 | 3 | 5,
  extra: Partial<FigureSpec> = {},
): FigureSpec => ({
  bench: 'synth',
  figure,
  unit: column === 5 ? 'MB' : 's',
  better: 'lower',
  measure: column === 5 ? 'memory' : 'time',
  pattern: synthRow(label),
  group: column,
  ...extra,
});

const VALIDATE_LINE = 'validate: load \\+ schema \\+ rules';
const VALIDATE_COLD = 'validate, empty schema cache \\(1 run\\)';
const YAML_LINE = '(?:parse only: yaml parseAllDocuments|baseline: yaml parseAllDocuments only)';
const rate = (label: string) =>
  new RegExp(`^${label}\\s+${NUM} resources/s\\s+${NUM} s\\s+peak RSS ${NUM} MiB`, 'm');

const GITOPS_CHANGE = `^weight change \\(edit\\+synth\\+validate\\+commit(?:\\+push)?\\)\\s+${NUM} ms\\s+${NUM} ms`;

export const FIGURES: readonly FigureSpec[] = [
  synth('full, fresh process', 'agent-canary full', 1),
  synth('full, work in process', 'agent-canary full', 3),
  synth('full, peak RSS', 'agent-canary full', 5),
  {
    bench: 'synth',
    figure: 'full, installed CLI',
    unit: 's',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(`^bin/agent-canary\\.mjs synth \\(CLI\\)\\s+${NUM} s`, 'm'),
  },
  synth('one-agent change, fresh process', 'agent-canary one-agent change', 1),
  synth('one-agent change, work in process', 'agent-canary one-agent change', 3),
  synth('one-agent change, peak RSS', 'agent-canary one-agent change', 5),
  synth('full re-run, fresh process', 'agent-canary full re-run', 1),
  synth('baseline cdk8s full', 'baseline cdk8s full', 1, { control: true }),
  {
    bench: 'validate',
    figure: 'validate',
    unit: 'resources/s',
    better: 'higher',
    measure: 'rate',
    pattern: rate(VALIDATE_LINE),
  },
  {
    bench: 'validate',
    figure: 'validate, peak RSS',
    unit: 'MiB',
    better: 'lower',
    measure: 'memory',
    pattern: rate(VALIDATE_LINE),
    group: 3,
  },
  {
    bench: 'validate',
    figure: 'validate, empty schema cache',
    unit: 'resources/s',
    better: 'higher',
    measure: 'rate',
    pattern: rate(VALIDATE_COLD),
  },
  {
    bench: 'validate',
    figure: 'yaml parseAllDocuments only',
    unit: 'resources/s',
    better: 'higher',
    measure: 'rate',
    control: true,
    pattern: rate(YAML_LINE),
  },
  {
    bench: 'gate',
    figure: 'webhook, 50 connections',
    unit: 'req/s',
    better: 'higher',
    measure: 'rate',
    pattern: new RegExp(`^\\s+gate\\s+${NUM} req/s`, 'm'),
  },
  {
    bench: 'gate',
    figure: 'webhook p99',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(`^\\s+gate\\s+\\d+ req/s\\s+p99 ${NUM} ms`, 'm'),
  },
  {
    bench: 'gate',
    figure: 'ratio gate/bare http',
    unit: '',
    better: 'higher',
    measure: 'rate',
    pattern: new RegExp(`ratio gate/bare ${NUM}`),
  },
  {
    bench: 'gate',
    figure: 'bare node:http',
    unit: 'req/s',
    better: 'higher',
    measure: 'rate',
    control: true,
    pattern: new RegExp(`^\\s+bare http\\s+${NUM} req/s`, 'm'),
  },
  {
    bench: 'gate',
    figure: 'single-flight, 200 requests',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(
      `^single-flight: 200 concurrent requests for one new revision in ${NUM} ms`,
      'm',
    ),
  },
  {
    bench: 'gate',
    figure: 'statistical verdict median',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(`^statistical verdict, .*: median ${NUM} ms`, 'm'),
  },
  {
    bench: 'gitops',
    figure: 'weight change median',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(GITOPS_CHANGE, 'm'),
  },
  {
    bench: 'gitops',
    figure: 'weight change p95',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(GITOPS_CHANGE, 'm'),
    group: 2,
  },
  {
    bench: 'gitops',
    figure: 'first change (warm-up)',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(`^first change \\(warm-up[^)]*\\):\\s+${NUM} ms`, 'm'),
  },
  {
    bench: 'gitops',
    figure: 'seeding the repository',
    unit: 's',
    better: 'lower',
    measure: 'time',
    pattern: new RegExp(`seeding took ${NUM} s`),
  },
  {
    bench: 'gitops',
    figure: 'bare git add + commit median',
    unit: 'ms',
    better: 'lower',
    measure: 'time',
    control: true,
    pattern: new RegExp(`^bare git add \\+ commit.*\\(same files\\)\\s+${NUM} ms`, 'm'),
  },
];

/** The benches that have figures here, in the order they run. */
export const KNOWN_BENCHES: readonly string[] = [...new Set(FIGURES.map((f) => f.bench))];

export function figuresOf(bench: string): readonly FigureSpec[] {
  return FIGURES.filter((f) => f.bench === bench);
}

/** One bench process as it ended: what it printed and how it exited. */
export interface RunOutput {
  readonly stdout: string;
  readonly stderr: string;
  /** Exit code; null when it was killed (signal or timeout). */
  readonly code: number | null;
  /** Set when the run could not complete (spawn error, timeout). */
  readonly failure?: string;
}

/**
 * Why a bench failed, in one line: the last line that names an error (a stack trace ends with
 * frames, not with the message), else the last non-empty line; shortened.
 */
export function failureLine(text: string, max = 160): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const line =
    lines.filter((l) => /\berror\b|\bfailed\b/i.test(l) && !l.startsWith('at ')).pop() ??
    lines.pop() ??
    '';
  return line.length > max ? `${line.slice(0, max - 3)}...` : line;
}

/**
 * Reads one figure from one run. A bench that exits non-zero after printing its figures (gate
 * exits 1 when a target is missed) still counts: its figures are what it measured.
 */
export function readFigure(spec: FigureSpec, run: RunOutput): Reading {
  const m = spec.pattern.exec(run.stdout);
  const text = m?.[spec.group ?? 1];
  if (text !== undefined) {
    const value = Number(text);
    if (Number.isFinite(value)) return { value };
    return { reason: `not a number: '${text}'` };
  }
  if (run.failure) return { reason: run.failure };
  // It printed its other figures: a non-zero exit is a missed target, not why this one is absent.
  const printedOthers = figuresOf(spec.bench).some((s) => s.pattern.test(run.stdout));
  if (run.code !== 0 && !printedOthers) {
    const why = failureLine(run.stderr) || failureLine(run.stdout);
    return { reason: `bench exited ${run.code ?? 'by signal'}${why ? `: ${why}` : ''}` };
  }
  return { reason: 'not printed by this revision' };
}
