/**
 * The scorecard's window (`?window=30d`): minutes, hours or days, up to a year. A bad value is a
 * 400 naming the field and what is allowed.
 */
import { GitOpsError } from '../gitops/errors.js';

/** @default 30 days */
export const DEFAULT_WINDOW = '30d';
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_MS = 366 * UNIT_MS.d;

export function parseWindow(raw: string | null | undefined): { text: string; ms: number } {
  const text = raw === null || raw === undefined || raw === '' ? DEFAULT_WINDOW : raw.trim();
  const m = /^(\d{1,6})([mhd])$/.exec(text);
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : NaN;
  if (!m || ms <= 0 || ms > MAX_MS) {
    throw new GitOpsError(
      'bad-request',
      `window must be a duration of minutes, hours or days up to 366d, such as 90m, 24h or 30d (got ${JSON.stringify(text.slice(0, 40))}).`,
      { field: 'window', value: text.slice(0, 40), allowed: '<n>m | <n>h | <n>d, at most 366d' },
    );
  }
  return { text, ms };
}
