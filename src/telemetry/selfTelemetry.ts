import { trace, type Tracer } from '@opentelemetry/api';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type MetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { TelemetryConfig } from '../config/telemetrySchema.js';
import type { DecisionRecord } from '../core/decision.js';
import { DaemonInstruments, type DaemonGaugeSources } from './daemonInstruments.js';
import { recordDecisionSpans } from './decisionSpans.js';
import { RouteMetricsProducer, type RouteStatsSource } from './routeMetricsProducer.js';
import { registerRuntimeMetrics, type RuntimeMetrics } from './runtimeMetrics.js';

/** Where self-telemetry failures are reported (pino's shape). */
export interface TelemetryLogger {
  warn(obj: object, msg: string): void;
}

/** Options of {@link startSelfTelemetry}. */
export interface SelfTelemetryOptions {
  /** Wall clock, epoch ms. */
  readonly nowMs: () => number;
  readonly logger?: TelemetryLogger;
  /** `service.version` of the resource. */
  readonly version?: string;
}

/** The daemon's self-telemetry, running. */
export interface SelfTelemetry {
  /** Event counters (the ingest recorder every receiver reports to) and decision counters. */
  readonly instruments: DaemonInstruments;
  /** Tracer of the decision spans. */
  readonly tracer: Tracer;
  /** The Prometheus text exposition (0.0.4) of every instrument, for `GET /metrics` on the daemon's own port. */
  metricsText(): Promise<string>;
  /** Counts decisions and records one span per decision, started at `startTimeMs`. */
  onDecisions(records: readonly DecisionRecord[], startTimeMs: number): void;
  /** Flushes and stops exporters and runtime probes. Idempotent. */
  shutdown(): Promise<void>;
}

/**
 * Wires the OpenTelemetry SDK for the daemon's own metrics and spans: a
 * `MeterProvider` whose Prometheus reader never opens a port (its text is
 * served by the daemon's `/metrics` route), an optional OTLP push reader, the
 * per-route producer bounded to the busiest routes, runtime metrics, and a
 * tracer that exports decision spans when `otlp.traces_url` is set.
 */
export function startSelfTelemetry(config: TelemetryConfig, sources: { readonly gauges: DaemonGaugeSources; readonly routes: RouteStatsSource }, options: SelfTelemetryOptions): SelfTelemetry {
  const resource = resourceFromAttributes({ 'service.name': config.service_name, ...(options.version !== undefined ? { 'service.version': options.version } : {}) });
  const routeProducer = new RouteMetricsProducer(sources.routes, { topRoutes: config.top_routes, topVariantsPerRoute: config.top_variants_per_route, nowMs: options.nowMs });
  const prometheus = new PrometheusExporter({ preventServerStart: true, withoutScopeInfo: true, metricProducers: [routeProducer] });
  const readers: MetricReader[] = [prometheus];
  const { metrics_url: metricsUrl, traces_url: tracesUrl, headers } = config.otlp;
  if (metricsUrl !== undefined) {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter({ url: metricsUrl, headers }), exportIntervalMillis: config.otlp.interval, metricProducers: [routeProducer] }));
  }
  const meterProvider = new MeterProvider({ resource, readers });
  const meter = meterProvider.getMeter('promptpilot', options.version);
  const runtime: RuntimeMetrics | null = config.runtime_metrics ? registerRuntimeMetrics(meter) : null;
  const instruments = new DaemonInstruments(meter, sources.gauges);
  const tracerProvider = tracesUrl !== undefined ? new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrl, headers }))] }) : null;
  const tracer = (tracerProvider ?? trace.getTracerProvider()).getTracer('promptpilot', options.version);
  // No prefix, no timestamps, no per-series scope labels; target_info carries the resource.
  const serializer = new PrometheusSerializer(undefined, false, undefined, false, true);
  let stopping: Promise<void> | null = null;

  return {
    instruments,
    tracer,
    async metricsText() {
      const { resourceMetrics, errors } = await prometheus.collect();
      if (errors.length > 0) options.logger?.warn({ errors: errors.map(String) }, 'some self-metrics could not be collected');
      return serializer.serialize(resourceMetrics);
    },
    onDecisions(records, startTimeMs) {
      instruments.decisions(records);
      recordDecisionSpans(tracer, records, startTimeMs);
    },
    shutdown() {
      stopping ??= (async () => {
        runtime?.stop();
        const results = await Promise.allSettled([meterProvider.shutdown(), tracerProvider?.shutdown()]);
        for (const r of results) if (r.status === 'rejected') options.logger?.warn({ err: r.reason }, 'self-telemetry export failed at shutdown');
      })();
      return stopping;
    },
  };
}
