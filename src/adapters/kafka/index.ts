export { createKafkaClient, isKafkaConnectionError, kafkaErrorFields, KafkaLogBridge, KAFKA_CLIENT_RETRIES, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';
export { KafkaEventSource, DeadLetterHeaders, type KafkaEventSourceOptions, type KafkaSourceCounters } from './kafkaEventSource.js';
export { KafkaDecisionSink, type KafkaProducerOptions } from './kafkaDecisionSink.js';
export { KafkaEventForwarder } from './kafkaEventForwarder.js';
