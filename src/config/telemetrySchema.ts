import { z } from 'zod';
import { duration } from './duration.js';
import { httpUrl } from './httpUrl.js';

const OtlpExportSchema = z
  .object({
    /** OTLP/HTTP (JSON) metrics endpoint for the daemon's own metrics, e.g. `http://collector:4318/v1/metrics`; unset = not pushed. */
    metrics_url: httpUrl.optional().describe("OTLP/HTTP (JSON) metrics endpoint for the daemon's own metrics, e.g. `http://collector:4318/v1/metrics`; unset = not pushed."),
    /** OTLP/HTTP (JSON) traces endpoint for the span recorded per decision; unset = spans are not exported. */
    traces_url: httpUrl.optional().describe('OTLP/HTTP (JSON) traces endpoint for the span recorded per decision; unset = spans are not exported.'),
    /** Period between two pushes of self-metrics over OTLP. */
    interval: duration.default(60_000).describe('Period between two pushes of self-metrics over OTLP.'),
    /** Extra HTTP headers on OTLP exports (e.g. an authorization header). */
    headers: z.record(z.string(), z.string()).default({}).describe('Extra HTTP headers on OTLP exports (e.g. an authorization header).'),
  })
  .strict();

/** The daemon's self-telemetry: `/metrics`, optional OTLP push of its metrics and decision spans. */
export const TelemetrySchema = z
  .object({
    /** Per-route series on /metrics only for this many routes, the busiest by calls in the rolling window (bounds the scrape whatever the route count). */
    top_routes: z.number().int().min(0).max(10_000).default(50).describe('Per-route series on /metrics only for this many routes, the busiest by calls in the rolling window (bounds the scrape whatever the route count).'),
    /** Of each exported route, only this many variants, the busiest first (a route with 100 variants stays 5 series per gauge). */
    top_variants_per_route: z.number().int().min(1).max(1_000).default(5).describe('Of each exported route, only this many variants get per-route series on /metrics, the busiest by calls first (bounds the scrape to top_routes x this many series per gauge).'),
    /** Process and Node.js runtime metrics (memory, event-loop delay, GC) on /metrics. */
    runtime_metrics: z.boolean().default(true).describe('Process and Node.js runtime metrics (memory, event-loop delay, GC) on /metrics.'),
    /** `service.name` of the daemon's own telemetry (the `target_info` series, OTLP resource). */
    service_name: z.string().min(1).default('promptpilot').describe("`service.name` of the daemon's own telemetry (the `target_info` series, OTLP resource)."),
    otlp: OtlpExportSchema.default(() => OtlpExportSchema.parse({})),
  })
  .strict();

/** The validated telemetry section. */
export type TelemetryConfig = z.output<typeof TelemetrySchema>;
