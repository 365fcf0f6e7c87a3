/**
 * From the runs of both revisions to one table: each figure's best or median over the runs, the
 * change from before to after, and a flag against the 5 % budget (issue 9: "every bench within
 * 5 % of its figure before the change").
 */
import { readFigure, type FigureSpec, type Reading, type RunOutput } from './figures.js';

export type Pick = 'best' | 'median';

/** How far a figure may move the wrong way before it is flagged, in percent. */
export const BUDGET_PERCENT = 5;

/**
 * One value for a figure over several runs: the best (the least disturbed run on a shared
 * machine) or the median. Runs without the figure are left out; with none, the first reason.
 */
export function pickReading(spec: FigureSpec, runs: readonly RunOutput[], pick: Pick): Reading {
  const readings = runs.map((r) => readFigure(spec, r));
  const values = readings.flatMap((r) => (r.value === undefined ? [] : [r.value]));
  if (values.length === 0) {
    const reason = readings.find((r) => r.reason !== undefined)?.reason;
    return { reason: reason ?? 'no run' };
  }
  const sorted = [...values].sort((a, b) => a - b);
  if (pick === 'best')
    return { value: spec.better === 'lower' ? sorted[0]! : sorted[sorted.length - 1]! };
  const mid = Math.floor(sorted.length / 2);
  return {
    value: sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
  };
}

export interface Comparison {
  readonly spec: FigureSpec;
  readonly before: Reading;
  readonly after: Reading;
  /** (after - before) / before, in percent; undefined when either side is n/a or before is 0. */
  readonly changePercent?: number;
  readonly flag: string;
}

/** The flag words: a change past the budget in the good direction, or in the bad one. */
function words(spec: FigureSpec): { good: string; bad: string } {
  if (spec.measure === 'memory') return { good: 'smaller', bad: 'LARGER' };
  return { good: 'faster', bad: 'SLOWER' };
}

export function compare(spec: FigureSpec, before: Reading, after: Reading): Comparison {
  if (before.value === undefined || after.value === undefined)
    return { spec, before, after, flag: 'n/a' };
  if (before.value === 0) return { spec, before, after, flag: 'n/a (before is 0)' };
  const changePercent = ((after.value - before.value) / before.value) * 100;
  // Positive = worse: a time or memory that grew, a rate that fell.
  const worse = spec.better === 'lower' ? changePercent : -changePercent;
  const w = words(spec);
  const flag =
    worse > BUDGET_PERCENT
      ? w.bad
      : worse < -BUDGET_PERCENT
        ? w.good
        : `within ${BUDGET_PERCENT} %`;
  return { spec, before, after, changePercent, flag };
}

function formatValue(r: Reading, unit: string): string {
  if (r.value === undefined) return 'n/a';
  const v = r.value;
  const digits = Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : 2;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells
    .map((c, i) => (i >= 2 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
}

/**
 * The table: bench, figure, before, after, change, flag; then one line per n/a figure with its
 * reason (per side), so a missing figure says why.
 */
export function formatTable(rows: readonly Comparison[]): string {
  const header = ['bench', 'figure', 'before', 'after', 'change', 'flag'];
  const cells = rows.map((c) => [
    c.spec.bench,
    c.spec.control ? `${c.spec.figure} (control)` : c.spec.figure,
    formatValue(c.before, c.spec.unit),
    formatValue(c.after, c.spec.unit),
    c.changePercent === undefined
      ? '-'
      : `${c.changePercent >= 0 ? '+' : ''}${c.changePercent.toFixed(1)} %`,
    c.flag,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const lines = [pad(header, widths), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of cells) lines.push(pad(r, widths));
  const reasons = rows.flatMap((c) =>
    (
      [
        ['before', c.before],
        ['after', c.after],
      ] as const
    ).flatMap(([side, r]) =>
      r.reason === undefined ? [] : [`  ${c.spec.bench} / ${c.spec.figure}, ${side}: ${r.reason}`],
    ),
  );
  if (reasons.length > 0) lines.push('', 'n/a because:', ...reasons);
  return lines.join('\n');
}
