/** Flagger durations: seconds or minutes only (`30s`, `5m`); Flagger rejects `h` and compound forms. */
import { ConstructInputError } from './_errors.js';
const DURATION = /^([0-9]+)(s|m)$/;

export function parseDuration(value: string, where: string): number {
  const m = DURATION.exec(value);
  if (!m)
    throw new ConstructInputError(
      `${where}: '${value}' is not a Flagger duration (allowed: <n>s or <n>m, e.g. 30s, 5m). Fix: write hours as minutes (1h -> 60m).`,
    );
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
}
