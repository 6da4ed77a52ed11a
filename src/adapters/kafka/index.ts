export { createKafkaClient, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';
export { KafkaEventSource, DeadLetterHeaders, type KafkaEventSourceOptions, type KafkaSourceCounters } from './kafkaEventSource.js';
export { KafkaDecisionSink, type KafkaProducerOptions } from './kafkaDecisionSink.js';
export { KafkaEventForwarder } from './kafkaEventForwarder.js';
export { toWireEvent } from './wireEvent.js';
export { decodeEventsMessage, decodeOtlpMessage, MessageKinds, type DecodedMessage, type MessageKind, type MessageProblem, type OtlpTraceDecoder } from './messageDecoder.js';
export { createOtlpTraceDecoder } from './otlpTraceDecoder.js';
