import { validateEvent, type TelemetryEvent } from '../core/event.js';
import { parseJsonText } from './jsonText.js';

/** What a Kafka message on an input topic holds: v1 JSON events or OTLP spans (protobuf or JSON). */
export const MessageKinds = { events: 'events', otlpSpans: 'otlp_spans' } as const;
export type MessageKind = (typeof MessageKinds)[keyof typeof MessageKinds];

/** Why (part of) one message could not be taken; `element` is set when one element of a JSON array was bad. */
export interface MessageProblem {
  readonly field: string;
  readonly message: string;
  readonly element?: number;
  /** The bad element re-serialized, when the rest of the message was fine. */
  readonly value?: string;
}

/** The outcome of decoding one message: its good events and its problems (never throws). */
export interface DecodedMessage {
  readonly events: TelemetryEvent[];
  readonly problems: MessageProblem[];
  /** Spans without a route: counted and skipped, not an error (DESIGN §2). */
  readonly skipped: number;
}

/**
 * Decodes an OTLP `ExportTraceServiceRequest` (protobuf bytes or OTLP JSON)
 * into events. Supplied by the OTLP adapter; kept as a function type so this
 * folder does not depend on its internals.
 */
export type OtlpTraceDecoder = (
  payload: Uint8Array,
  encoding: 'protobuf' | 'json',
) => { readonly events: readonly TelemetryEvent[]; readonly skipped: number; readonly problems: readonly MessageProblem[] };



/**
 * Decodes a v1 JSON message: one event object, or (tolerated) an array of
 * them. A bad array element is a problem of its own; the other elements go on.
 */
export function decodeEventsMessage(value: Buffer | null): DecodedMessage {
  if (value === null || value.length === 0) return failed('(message)', 'empty message value');
  let parsed: unknown;
  try {
    parsed = parseJsonText(value.toString('utf8'));
  } catch (err) {
    return failed('(message)', `not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!Array.isArray(parsed)) {
    const result = validateEvent(parsed, 0);
    return result.ok ? { events: [result.event], problems: [], skipped: 0 } : failed(result.error.field, result.error.message);
  }
  const events: TelemetryEvent[] = [];
  const problems: MessageProblem[] = [];
  for (let i = 0; i < parsed.length; i++) {
    const element: unknown = parsed[i];
    const result = validateEvent(element, i);
    if (result.ok) events.push(result.event);
    else problems.push({ field: result.error.field, message: result.error.message, element: i, value: JSON.stringify(element) ?? 'null' });
  }
  if (events.length === 0 && problems.length > 0) {
    // Nothing in the message was usable: dead-letter the original bytes once, naming the first problem.
    const first = problems[0];
    return failed(first?.field ?? '(message)', parsed.length === 0 ? 'empty array' : `${first?.message ?? 'invalid'} (element 0 of ${parsed.length}; no element was valid)`);
  }
  if (parsed.length === 0) return failed('(message)', 'empty array');
  return { events, problems, skipped: 0 };
}

/** Decodes a message of the OTLP spans topic with the given decoder; JSON is detected from the first byte. */
export function decodeOtlpMessage(value: Buffer | null, decoder: OtlpTraceDecoder | undefined): DecodedMessage {
  if (value === null || value.length === 0) return failed('(message)', 'empty message value');
  if (decoder === undefined) return failed('(message)', 'OTLP decoding is not available in this build');
  try {
    // A protobuf ExportTraceServiceRequest starts with 0x0a (field 1) — a newline to a JSON
    // sniffer — and its next byte may be '{' (a 123-byte ResourceSpans). Only a payload that
    // starts with '{' is JSON, and a JSON parse failure still gets a protobuf attempt.
    const undecodable = (out: ReturnType<OtlpTraceDecoder>): boolean => out.events.length === 0 && out.problems.some((p) => p.field === '(message)');
    let out = decoder(value, value[0] === 0x7b ? 'json' : 'protobuf');
    if (value[0] === 0x7b && undecodable(out)) {
      const proto = decoder(value, 'protobuf');
      if (!undecodable(proto)) out = proto;
    }
    return { events: [...out.events], problems: [...out.problems], skipped: out.skipped };
  } catch (err) {
    return failed('(message)', `not a valid OTLP ExportTraceServiceRequest: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function failed(field: string, message: string): DecodedMessage {
  return { events: [], problems: [{ field, message }], skipped: 0 };
}
