import type { EventRejection } from '../core/event.js';
import { TOO_LATE } from '../engine/tooLate.js';

/** Where telemetry entered the daemon (the `source` label of the event counters). */
export const INGEST_SOURCES = ['http', 'otlp_traces', 'otlp_metrics', 'kafka', 'simulator'] as const;
export type IngestSource = (typeof INGEST_SOURCES)[number];

/** Why an input was refused (the `reason` label of `promptpilot_events_rejected_total`). */
export const REJECTION_REASONS = ['malformed', 'schema', 'future_skew', 'too_late', 'route_limit', 'variant_limit'] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

/**
 * The labels under which held events a route takeover refused are counted
 * (`StateMirrorOptions.onTakeoverRefused`): where they entered is not kept
 * while they are held, so their `source` is `held`.
 */
export const TAKEOVER_REJECTION = { source: 'held', reason: 'takeover' } as const;

/**
 * Counts what every receiver took and refused. Each adapter calls
 * {@link IngestRecorder.record} once per request, batch or message with the
 * same outcome it answers its client with (schema rejections included).
 */
export interface IngestRecorder {
  /**
   * `accepted`: events (OTLP metrics: data points) added to the statistics;
   * `rejections`: everything refused, any stage; `skipped`: items that were
   * not for promptpilot (spans without a route, metrics it does not read).
   */
  record(source: IngestSource, accepted: number, rejections: readonly EventRejection[], skipped?: number): void;
}

/** A recorder that counts nothing (tests, embedding without telemetry). */
export const noopIngestRecorder: IngestRecorder = { record: () => {} };

const STRUCTURAL = new Set(['(line)', '(message)', '(dataPoint)', '(body)']);

/**
 * The reason class of a rejection, from the field and message the producing
 * stage wrote (JSON/protobuf decoding, schema validation, future skew,
 * too late for the window, cardinality limits). Anything field-level is `schema`.
 */
export function rejectionReason(rejection: EventRejection): RejectionReason {
  const { field, message } = rejection;
  if (STRUCTURAL.has(field) || message.startsWith('invalid JSON') || message.startsWith('invalid protobuf')) return 'malformed';
  if (field === 'ts') {
    if (message.startsWith(TOO_LATE)) return 'too_late';
    if (message.includes('ahead of the wall clock')) return 'future_skew';
  }
  // Route, global series and memory-budget caps all refuse a new route or series.
  if (field === 'route' && (message.startsWith('too many') || message.startsWith('memory budget'))) return 'route_limit';
  if (field === 'variant' && message.startsWith('too many variants')) return 'variant_limit';
  return 'schema';
}
