/** Decoding and encoding of the wire formats: NDJSON events, Kafka message values, OTLP (see `./otlp`). */
export { NdjsonEventDecoder, type LineRejection } from './ndjson.js';
export { toWireEvent } from './wireEvent.js';
export { decodeEventsMessage, decodeOtlpMessage, MessageKinds, type DecodedMessage, type MessageKind, type MessageProblem, type OtlpTraceDecoder } from './messageDecoder.js';
export { createOtlpTraceDecoder } from './otlpTraceDecoder.js';
