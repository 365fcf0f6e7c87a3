/** The scorecard grade's rules (docs/dashboard.md "Scorecard grade"), one case per rule and cap. */
import { describe, expect, it } from 'vitest';
import { grade, STALLED_AFTER_MS, type GradeFacts } from '../../src/dashboard/grade.js';

const clean: GradeFacts = {
  violations: 0,
  current: 'pass',
  judged: 3,
  passed: 3,
  promotions: 2,
  rollbacks: 0,
  overdueMs: 0,
};

describe('scorecard grade', () => {
  it('A with no reasons when no rule caps it', () => {
    expect(grade(clean)).toEqual({ grade: 'A', reasons: [] });
    expect(grade({ ...clean, current: null, judged: 0, passed: 0, overdueMs: null }).grade).toBe(
      'A',
    );
  });

  it.each<[Partial<GradeFacts>, string, string]>([
    [{ violations: 2 }, 'F', 'valid-output'],
    [{ current: 'fail' }, 'D', 'current-verdict'],
    [{ current: 'no-data' }, 'C', 'current-verdict'],
    [{ judged: 4, passed: 1 }, 'D', 'pass-rate'],
    [{ judged: 4, passed: 3 }, 'C', 'pass-rate'],
    [{ judged: 5, passed: 4 }, 'A', ''],
    [{ rollbacks: 3, promotions: 1 }, 'C', 'rollbacks'],
    [{ rollbacks: 1, promotions: 1 }, 'B', 'rollbacks'],
    [{ overdueMs: STALLED_AFTER_MS + 1 }, 'B', 'stalled'],
    [{ overdueMs: STALLED_AFTER_MS }, 'A', ''],
  ])('%j -> %s (%s)', (facts, expected, rule) => {
    const r = grade({ ...clean, ...facts });
    expect(r.grade).toBe(expected);
    expect(r.reasons.map((x) => x.rule)).toEqual(rule ? [rule] : []);
  });

  it('the lowest cap wins and every capping rule is a reason', () => {
    const r = grade({ ...clean, violations: 1, current: 'fail', rollbacks: 1, promotions: 0 });
    expect(r.grade).toBe('F');
    expect(r.reasons.map((x) => `${x.rule}:${x.cap}`)).toEqual([
      'valid-output:F',
      'current-verdict:D',
      'rollbacks:C',
    ]);
  });
});
