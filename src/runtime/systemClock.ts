import type { Clock } from '../ports/ports.js';

/** The real wall clock: the daemon's default {@link Clock} (the pure core never reads it). */
export const systemClock: Clock = { now: () => Date.now() };
