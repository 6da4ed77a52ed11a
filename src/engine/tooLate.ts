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

/**
 * The message of a `too_late` rejection of an event dated at or before the
 * time up to which its route's restored checkpoint had counted (after a
 * restart or a takeover): counted already if it was sent before the checkpoint.
 */
export function countedAlreadyMessage(tsMs: number, countedThroughMs: number): string {
  return `${TOO_LATE}: ${isoOrMs(tsMs)} is at or before ${isoOrMs(countedThroughMs)}, up to which the route's statistics were restored from a checkpoint after a restart or takeover; an event that old was counted then if it had been sent before (a re-sent or redelivered event is counted once)`;
}
