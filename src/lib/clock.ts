// Services take a clock so tests can fix the time.
export type Clock = { now(): number };
export const systemClock: Clock = { now: () => Date.now() };
