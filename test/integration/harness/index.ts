export { startKafkaMock, kcatProduce, kcatConsume, KCAT, type KafkaMock, type KcatMessage, type KcatRecord } from './kafkaMock.js';
export { startKafkaOutageProxy, type KafkaOutageProxy } from './kafkaOutageProxy.js';
export { startPrometheus, promtoolCheckMetrics, PROMETHEUS, PROMTOOL, type PrometheusServer, type PromSample } from './prometheus.js';
