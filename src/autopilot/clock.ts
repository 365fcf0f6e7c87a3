/**
 * The autopilot's time: milliseconds since the epoch. Injected everywhere a hold or a check
 * interval is measured, so tests and the demo move time by hand instead of sleeping.
 */
export type Clock = () => number;

/** The real time. */
export const systemClock: Clock = () => Date.now();
