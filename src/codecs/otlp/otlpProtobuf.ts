import protobuf from 'protobufjs';
import { OTLP_SCHEMA } from './otlpSchema.js';
import { parseJsonText } from '../jsonText.js';

/**
 * OTLP protobuf codec built from the project's own schema of the OTLP subset
 * it reads ({@link OTLP_SCHEMA}: the specification's field numbers), compiled
 * by protobufjs once, lazily, on first use.
 *
 * @remarks Decoded messages keep protobufjs's shapes: 64-bit integers are
 * `Long` objects, unset scalar fields read as prototype defaults (so callers
 * test presence with `Object.hasOwn`).
 */

interface OtlpTypes {
  readonly traceRequest: protobuf.Type;
  readonly traceResponse: protobuf.Type;
  readonly metricsRequest: protobuf.Type;
  readonly metricsResponse: protobuf.Type;
}

let types: OtlpTypes | null = null;

/** Builds (once) the OTLP collector request/response types. */
export function otlpTypes(): OtlpTypes {
  if (types !== null) return types;
  const root = protobuf.Root.fromJSON(OTLP_SCHEMA);
  types = {
    traceRequest: root.lookupType('otlp.ExportTraceServiceRequest'),
    traceResponse: root.lookupType('otlp.ExportTraceServiceResponse'),
    metricsRequest: root.lookupType('otlp.ExportMetricsServiceRequest'),
    metricsResponse: root.lookupType('otlp.ExportMetricsServiceResponse'),
  };
  return types;
}

/** Outcome of decoding a body: the decoded request (loosely typed: walk it with the helpers in otlpValues) or why not. */
export type DecodeResult = { readonly ok: true; readonly request: unknown } | { readonly ok: false; readonly reason: string };

function decodeWith(type: protobuf.Type, body: Uint8Array): DecodeResult {
  try {
    const fault = zeroFieldAt(body);
    if (fault >= 0) return { ok: false, reason: `invalid protobuf ${type.name}: field number 0 at byte ${fault} (no protobuf message has one: not an OTLP protobuf body)` };
    return { ok: true, request: type.decode(body) };
  } catch (err) {
    return { ok: false, reason: `invalid protobuf ${type.name}: ${(err as Error).message}` };
  }
}

/**
 * Byte offset of the first top-level tag with field number 0, or -1. Protobuf has no field 0 and other parsers
 * (Go, Java, C++) refuse it; protobufjs skips it as an unknown field, so a body of NUL bytes decoded as an empty
 * request and was answered 200. Top-level fields only: they are few (one per resource), so this costs next to
 * nothing; a malformed length or wire type throws, which the caller reports as the decoder's own error would be.
 */
function zeroFieldAt(body: Uint8Array): number {
  const reader = protobuf.Reader.create(body);
  while (reader.pos < reader.len) {
    const at = reader.pos;
    const tag = reader.uint32();
    if (tag >>> 3 === 0) return at;
    reader.skipType(tag & 7);
  }
  return -1;
}

/** Decodes a binary `ExportTraceServiceRequest`. Never throws on data. */
export function decodeTraceRequestProto(body: Uint8Array): DecodeResult {
  return decodeWith(otlpTypes().traceRequest, body);
}

/** Decodes a binary `ExportMetricsServiceRequest`. Never throws on data. */
export function decodeMetricsRequestProto(body: Uint8Array): DecodeResult {
  return decodeWith(otlpTypes().metricsRequest, body);
}

/**
 * Decodes an OTLP/JSON request body (lowerCamelCase fields, int64 as strings or
 * numbers, ids as hex). `listField` is `resourceSpans` or `resourceMetrics`.
 */
export function decodeRequestJson(body: Uint8Array, listField: 'resourceSpans' | 'resourceMetrics'): DecodeResult {
  let parsed: unknown;
  try {
    parsed = parseJsonText(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `body is not valid JSON: ${(err as Error).message}` };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, reason: 'expected an OTLP/JSON object' };
  }
  const list = (parsed as Record<string, unknown>)[listField];
  if (list !== undefined && list !== null && !Array.isArray(list)) {
    return { ok: false, reason: `${listField}: expected an array` };
  }
  return { ok: true, request: parsed };
}

/** What an OTLP export response says about items the server refused. */
export interface PartialSuccess {
  /** Spans or data points rejected (0 with a message is a warning). */
  readonly rejected: number;
  readonly errorMessage: string;
}

/** Encodes an `ExportTraceServiceResponse` / `ExportMetricsServiceResponse`; empty when `partial` is null. */
export function encodeResponseProto(signal: 'traces' | 'metrics', partial: PartialSuccess | null): Uint8Array {
  const t = otlpTypes();
  const type = signal === 'traces' ? t.traceResponse : t.metricsResponse;
  if (partial === null) return type.encode(type.create({})).finish();
  const field = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  const message = type.fromObject({ partialSuccess: { [field]: partial.rejected, errorMessage: partial.errorMessage } });
  return type.encode(message).finish();
}

/** OTLP/JSON response object: `{}` or `{partialSuccess:{rejectedSpans|rejectedDataPoints (int64 string), errorMessage}}`. */
export function responseJson(signal: 'traces' | 'metrics', partial: PartialSuccess | null): object {
  if (partial === null) return {};
  const field = signal === 'traces' ? 'rejectedSpans' : 'rejectedDataPoints';
  return { partialSuccess: { [field]: String(partial.rejected), errorMessage: partial.errorMessage } };
}
