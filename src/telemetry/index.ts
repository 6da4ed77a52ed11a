export { startSelfTelemetry, type SelfTelemetry, type SelfTelemetryOptions, type TelemetryLogger } from './selfTelemetry.js';
export { DaemonInstruments, decisionOutcome, type DaemonGaugeSources, type PartitionLag } from './daemonInstruments.js';
export { INGEST_SOURCES, REJECTION_REASONS, TAKEOVER_REJECTION, noopIngestRecorder, rejectionReason, type IngestRecorder, type IngestSource, type RejectionReason } from './ingestRecorder.js';
export { RouteMetricsProducer, type RouteMetricsOptions, type RouteStatsSource } from './routeMetricsProducer.js';
export { TopRoutes, type RouteTraffic } from './topRoutes.js';
export { decisionAttributes, recordDecisionSpans } from './decisionSpans.js';
export { registerRuntimeMetrics, type RuntimeMetrics } from './runtimeMetrics.js';
