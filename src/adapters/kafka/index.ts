export { createKafkaClient, silentLogger, type AdapterLogger, type KafkaClientOptions, type KafkaSettings } from './kafkaClient.js';
export { KafkaEventSource, DeadLetterHeaders, type KafkaEventSourceOptions, type KafkaSourceCounters } from './kafkaEventSource.js';
export { KafkaDecisionSink, type KafkaProducerOptions } from './kafkaDecisionSink.js';
export { KafkaEventForwarder } from './kafkaEventForwarder.js';
