export { startKafkaMock, useKafkaMock, kcatProduce, kcatConsume, KCAT, type KafkaMock, type KcatMessage, type KcatRecord } from './kafkaMock.js';
export { startKafkaOutageProxy, type KafkaOutageProxy } from './kafkaOutageProxy.js';
export { startPrometheus, promtoolCheckMetrics, PROMETHEUS, PROMTOOL, type PrometheusServer, type PromSample } from './prometheus.js';
export { startWebhookReceiver, verifySignature, type WebhookReceiver, type ReceivedRequest, type Answer } from './webhookReceiver.js';
export { startAlertmanager, ALERTMANAGER, type AlertmanagerServer, type AmAlert } from './alertmanager.js';
export { launchChromium, CHROMIUM, SCREENSHOT_DIR, type HeadlessBrowser } from './chromium.js';
export { startRedis, freePort, REDIS_SERVER, type RedisServer } from './redisServer.js';
export { startDaemonProcess, killAll, CLI, type DaemonProcess } from './daemonProcess.js';
export { useRedisFixture, type RedisFixture } from './redisFixture.js';
