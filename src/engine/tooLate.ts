import type { Config } from '../config/schema.js';

/** The rejection reason of an event older than its route accepts. */
export const TOO_LATE = 'too_late';

/** An event time for messages: ISO 8601 when representable, else the raw number of ms. */
export function isoOrMs(ts: number): string {
  return ts >= 0 && ts <= 8.64e15 ? new Date(ts).toISOString() : `${ts} ms`;
}

function seconds(ms: number): string {
  return `${ms / 1000}s`;
}

/**
 * The message of a `too_late` rejection (HTTP response, Kafka dead letter,
 * replay's stderr): the event's time, the oldest time its route still
 * accepted, and the two limits behind it.
 */
export function tooLateMessage(tsMs: number, oldestAcceptedMs: number, time: Pick<Config['time'], 'window' | 'max_lateness' | 'allowed_lateness'>): string {
  const maxLatenessMs = Math.max(time.max_lateness, time.allowed_lateness);
  return `${TOO_LATE}: ${isoOrMs(tsMs)} is older than the oldest time the route still accepts, ${isoOrMs(oldestAcceptedMs)} (its rolling window of ${seconds(time.window)}, at most time.max_lateness ${seconds(maxLatenessMs)} behind its newest event)`;
}
