/**
 * bench/compare.ts reads each bench's figures from what it prints: captured outputs of the
 * revisions compared for issue 9 (cf98d84, before the architecture change, and the main of the
 * same day) must give every headline figure, a run that printed nothing must say why, and the
 * table must flag a change past the 5 % budget in the right direction.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  failureLine,
  FIGURES,
  figuresOf,
  KNOWN_BENCHES,
  readFigure,
  type FigureSpec,
  type RunOutput,
} from '../../bench/compare/figures.js';
import { compare, formatTable, pickReading } from '../../bench/compare/table.js';

const fixture = (name: string): RunOutput => ({
  stdout: readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8'),
  stderr: '',
  code: 0,
});

const spec = (bench: string, figure: string): FigureSpec => {
  const s = FIGURES.find((f) => f.bench === bench && f.figure === figure);
  if (!s) throw new Error(`no figure ${bench} / ${figure}`);
  return s;
};

/** The table's rows as cells (columns are separated by two or more spaces). */
const tableRows = (text: string) =>
  text
    .split('\n')
    .slice(2)
    .filter((l) => l && !l.startsWith(' ') && !l.startsWith('n/a because'))
    .map((l) => l.split(/ {2,}/));

describe('figures read from captured bench outputs', () => {
  it.each(KNOWN_BENCHES.map((b) => [b]))('%s: every figure of the current format', (bench) => {
    const out = fixture(`${bench}-after.txt`);
    for (const s of figuresOf(bench)) {
      const r = readFigure(s, out);
      expect(r.reason, `${bench} / ${s.figure}`).toBeUndefined();
      expect(r.value).toBeGreaterThan(0);
    }
  });

  it.each(KNOWN_BENCHES.map((b) => [b]))('%s: the older format too', (bench) => {
    const out = fixture(`${bench}-before.txt`);
    for (const s of figuresOf(bench)) {
      const r = readFigure(s, out);
      // The statistical verdict row came later: absent, and said so.
      if (s.figure === 'statistical verdict median')
        expect(r.reason).toBe('not printed by this revision');
      else expect(r.value, `${bench} / ${s.figure}: ${r.reason}`).toBeGreaterThan(0);
    }
  });

  it('reads the column it names, not a neighbour', () => {
    const synth = fixture('synth-after.txt');
    const row =
      /^agent-canary one-agent change\s+(\S+) s\s+\S+ s\s+(\S+) s\s+\S+ s\s+(\d+) MB/m.exec(
        synth.stdout,
      )!;
    expect(readFigure(spec('synth', 'one-agent change, fresh process'), synth).value).toBe(
      Number(row[1]),
    );
    expect(readFigure(spec('synth', 'one-agent change, work in process'), synth).value).toBe(
      Number(row[2]),
    );
    expect(readFigure(spec('synth', 'one-agent change, peak RSS'), synth).value).toBe(
      Number(row[3]),
    );
    const gitops = fixture('gitops-after.txt');
    const change = /^weight change \S+\s+(\S+) ms\s+(\S+) ms/m.exec(gitops.stdout)!;
    expect(readFigure(spec('gitops', 'weight change median'), gitops).value).toBe(
      Number(change[1]),
    );
    expect(readFigure(spec('gitops', 'weight change p95'), gitops).value).toBe(Number(change[2]));
  });

  it('a failed run gives its error line, a timeout its reason, never a number', () => {
    const failed: RunOutput = {
      stdout: 'fleet: 1000 agents in /tmp/x\n',
      stderr:
        'Error: child full failed (exit 2):\nagent-canary synth: no such flag\n    at runChild (bench/synth.ts:180:11)\n    at main (bench/synth.ts:240:5)\n',
      code: 1,
    };
    expect(readFigure(spec('synth', 'full, fresh process'), failed)).toEqual({
      reason: 'bench exited 1: Error: child full failed (exit 2):',
    });
    // A figure line that counts errors is not the error.
    expect(failureLine('  gate  900 req/s   non-2xx 0   errors 0\nexit: killed')).toBe(
      'exit: killed',
    );
    const timedOut: RunOutput = {
      stdout: '',
      stderr: '',
      code: null,
      failure: 'timed out after 20 min',
    };
    expect(readFigure(spec('gate', 'webhook p99'), timedOut)).toEqual({
      reason: 'timed out after 20 min',
    });
  });

  it('a bench that exits 1 after printing (a missed target) still counts', () => {
    const gate = { ...fixture('gate-after.txt'), code: 1 };
    expect(readFigure(spec('gate', 'webhook, 50 connections'), gate).value).toBeGreaterThan(0);
    // A figure the older bench never printed is absent for that reason, not for the exit code.
    const older = { ...fixture('gate-before.txt'), code: 1 };
    expect(readFigure(spec('gate', 'statistical verdict median'), older)).toEqual({
      reason: 'not printed by this revision',
    });
  });
});

describe('best or median over runs, and the flag', () => {
  const runs = (values: number[]): RunOutput[] =>
    values.map((v) => ({
      stdout: `  gate        ${v} req/s   p99 ${v / 1000} ms   avg 1 ms\n`,
      stderr: '',
      code: 0,
    }));
  const rps = spec('gate', 'webhook, 50 connections');
  const p99 = spec('gate', 'webhook p99');

  it('best is the highest rate and the lowest time; median the middle', () => {
    const rs = runs([9000, 10000, 12000]);
    expect(pickReading(rps, rs, 'best').value).toBe(12000);
    expect(pickReading(p99, rs, 'best').value).toBe(9);
    expect(pickReading(rps, rs, 'median').value).toBe(10000);
    expect(pickReading(rps, runs([9000, 10000]), 'median').value).toBe(9500);
  });

  it('runs without the figure are left out; none at all gives the reason', () => {
    const rs = [...runs([10000]), { stdout: '', stderr: 'Error: boom', code: 1 }];
    expect(pickReading(rps, rs, 'best').value).toBe(10000);
    expect(pickReading(rps, rs.slice(1), 'best')).toEqual({
      reason: 'bench exited 1: Error: boom',
    });
  });

  it('flags a rate 6 % lower SLOWER, a time 4 % higher within, memory 10 % lower smaller', () => {
    expect(compare(rps, { value: 10000 }, { value: 9400 }).flag).toBe('SLOWER');
    expect(compare(rps, { value: 10000 }, { value: 10600 }).flag).toBe('faster');
    expect(compare(p99, { value: 10 }, { value: 10.4 }).flag).toBe('within 5 %');
    expect(compare(p99, { value: 10 }, { value: 10.6 }).flag).toBe('SLOWER');
    const rss = spec('synth', 'full, peak RSS');
    expect(compare(rss, { value: 300 }, { value: 270 }).flag).toBe('smaller');
    expect(compare(rss, { value: 300 }, { value: 330 }).flag).toBe('LARGER');
    expect(compare(rss, { value: 0 }, { value: 330 }).flag).toBe('n/a (before is 0)');
  });

  it('the table has one row per figure and the reason of each n/a', () => {
    const stat = spec('gate', 'statistical verdict median');
    const text = formatTable([
      compare(rps, { value: 10000 }, { value: 9400 }),
      compare(stat, { reason: 'not printed by this revision' }, { value: 6.68 }),
    ]);
    const rows = tableRows(text);
    expect(rows).toEqual([
      ['gate', 'webhook, 50 connections', '10000 req/s', '9400 req/s', '-6.0 %', 'SLOWER'],
      ['gate', 'statistical verdict median', 'n/a', '6.68 ms', '-', 'n/a'],
    ]);
    expect(text).toContain(
      'gate / statistical verdict median, before: not printed by this revision',
    );
  });
});
