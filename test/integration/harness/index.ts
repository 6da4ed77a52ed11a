export { startKafkaMock, kcatProduce, kcatConsume, KCAT, type KafkaMock, type KcatMessage, type KcatRecord } from './kafkaMock.js';
export { startKafkaOutageProxy, type KafkaOutageProxy } from './kafkaOutageProxy.js';
