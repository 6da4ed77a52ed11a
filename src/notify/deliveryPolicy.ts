import type { DeliveryConfig } from '../config/notifySchema.js';

/** What one delivery attempt to a receiver came to. */
export type DeliveryOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  /** Worth another try (5xx, 429, timeout, connection refused); `retryAfterMs` when the receiver said when. */
  | ({ readonly kind: 'retry'; readonly reason: string; readonly retryAfterMs?: number } & DeliveryFailure)
  /** Will never work as sent (a 4xx other than 429): dead-lettered at once. */
  | ({ readonly kind: 'rejected'; readonly reason: string } & DeliveryFailure);

/** What a failed attempt got, for its log line: the receiver's HTTP status, or the error code when no answer came (`ECONNREFUSED`, `TIMEOUT`). */
export interface DeliveryFailure {
  readonly status?: number;
  readonly code?: string;
}

/**
 * Parses a `Retry-After` header (delay seconds or an HTTP date) into ms from
 * `nowMs`; null when absent or unreadable.
 */
export function parseRetryAfterMs(header: string | null, nowMs: number): number | null {
  if (header === null || header.trim() === '') return null;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const at = Date.parse(text);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** Classifies an HTTP answer: 2xx delivered; 429 and 5xx retried (with `Retry-After`); other statuses rejected. */
export function classifyResponse(status: number, retryAfter: string | null, nowMs: number, bodySnippet = ''): DeliveryOutcome {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  const reason = `HTTP ${status}${bodySnippet === '' ? '' : `: ${bodySnippet.slice(0, 200)}`}`;
  if (status === 429 || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(retryAfter, nowMs);
    return retryAfterMs === null ? { kind: 'retry', reason, status } : { kind: 'retry', reason, status, retryAfterMs };
  }
  return { kind: 'rejected', reason, status };
}

/**
 * Wait before attempt `attempt + 1` after attempt `attempt` (1-based) failed:
 * `initial_backoff · 2^(attempt−1)` capped at `max_backoff`, jittered down by
 * up to half (`random01` in [0, 1)) so receivers coming back are not hit by
 * every sender at once; a receiver's `Retry-After` wins when longer (capped too).
 */
export function retryDelayMs(attempt: number, config: DeliveryConfig, random01: number, retryAfterMs?: number): number {
  const exponential = Math.min(config.max_backoff, config.initial_backoff * 2 ** Math.max(0, attempt - 1));
  const jittered = Math.round(exponential * (1 - 0.5 * random01));
  return retryAfterMs === undefined ? jittered : Math.min(config.max_backoff, Math.max(jittered, retryAfterMs));
}

/** What to do with a message after an attempt: done, try again at a time, or dead-letter. */
export type DeliveryStep =
  | { readonly kind: 'ack' }
  | { readonly kind: 'retry'; readonly retryAtMs: number; readonly reason: string }
  | { readonly kind: 'dead_letter'; readonly reason: string };

/** The next step for a message whose attempt number `attempt` ended with `outcome`. */
export function nextStep(outcome: DeliveryOutcome, attempt: number, config: DeliveryConfig, nowMs: number, random01: number): DeliveryStep {
  switch (outcome.kind) {
    case 'delivered':
      return { kind: 'ack' };
    case 'rejected':
      return { kind: 'dead_letter', reason: `${outcome.reason} (not retried: the receiver refused the message)` };
    case 'retry':
      if (attempt >= config.max_attempts) return { kind: 'dead_letter', reason: `${outcome.reason} (gave up after ${attempt} attempts)` };
      return { kind: 'retry', retryAtMs: nowMs + retryDelayMs(attempt, config, random01, outcome.retryAfterMs), reason: outcome.reason };
  }
}

/**
 * Sliding one-minute window of sends per receiver: `waitMs` says how long to
 * wait before the next message may go (0 = now); `reserve` also books the slot
 * when it is free.
 */
export class RateLimiter {
  private readonly sentMs: number[] = [];

  constructor(private readonly perMinute: number) {}

  /** How long from `nowMs` until a message may go, ms (0 = now); books nothing. */
  waitMs(nowMs: number): number {
    if (this.perMinute <= 0) return 0;
    while (this.sentMs.length > 0 && this.sentMs[0]! <= nowMs - 60_000) this.sentMs.shift();
    return this.sentMs.length < this.perMinute ? 0 : this.sentMs[0]! + 60_000 - nowMs;
  }

  /** Books the slot at `nowMs` when it is free; returns the wait in ms (0 = booked, go now). */
  reserve(nowMs: number): number {
    const waitMs = this.waitMs(nowMs);
    if (waitMs === 0 && this.perMinute > 0) this.sentMs.push(nowMs);
    return waitMs;
  }
}
