import { ValueType, type HrTime } from '@opentelemetry/api';
import { AggregationTemporality, DataPointType, type CollectionResult, type DataPoint, type MetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { WindowStats } from '../windows/windowStats.js';
import { TopRoutes } from './topRoutes.js';

/** What the route gauges read from the running engine. */
export interface RouteStatsSource {
  /** Visits every live route: calls in the live window, variant count, watermark (epoch ms). */
  forEachRouteTraffic(visit: (route: string, calls: number, variants: number, watermarkMs: number) => void): void;
  /** Live window statistics of a route's variants, or null. */
  liveStats(route: string): readonly WindowStats[] | null;
}

/** Options of {@link RouteMetricsProducer}. */
export interface RouteMetricsOptions {
  /** Routes whose per-route series are exported: the busiest by calls in the window. */
  readonly topRoutes: number;
  /** Of each exported route, the busiest this many variants (by calls in the window, then name). */
  readonly topVariantsPerRoute: number;
  /** Wall clock, epoch ms (watermark lag). */
  readonly nowMs: () => number;
}

interface Gauge {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly value: (s: WindowStats) => number | null;
}

const MS_PER_S = 1000;

const VARIANT_GAUGES: readonly Gauge[] = [
  { name: 'promptpilot_route_requests', description: 'Calls in the current rolling window.', unit: '', value: (s) => s.count },
  { name: 'promptpilot_route_latency_p50_seconds', description: 'Latency p50 over the rolling window.', unit: 's', value: (s) => (s.latencyMs === null ? null : s.latencyMs.p50 / MS_PER_S) },
  { name: 'promptpilot_route_latency_p95_seconds', description: 'Latency p95 over the rolling window.', unit: 's', value: (s) => (s.latencyMs === null ? null : s.latencyMs.p95 / MS_PER_S) },
  { name: 'promptpilot_route_latency_p99_seconds', description: 'Latency p99 over the rolling window.', unit: 's', value: (s) => (s.latencyMs === null ? null : s.latencyMs.p99 / MS_PER_S) },
  { name: 'promptpilot_route_error_rate', description: 'Failed calls / calls over the rolling window.', unit: '', value: (s) => s.errorRate },
  { name: 'promptpilot_route_cost_per_task_usd', description: 'Total cost / successful calls over the rolling window, USD.', unit: '', value: (s) => s.costPerTaskUsd },
  { name: 'promptpilot_route_tokens_per_quality_point', description: 'Tokens per quality point (0-100 scale) over the rolling window.', unit: '', value: (s) => s.tokensPerQualityPoint },
  { name: 'promptpilot_route_accuracy', description: 'Share of correct answers over the rolling window.', unit: '', value: (s) => s.accuracy },
  { name: 'promptpilot_route_consistency', description: 'Share of consistent answers over the rolling window.', unit: '', value: (s) => s.consistency },
];

function hrTime(ms: number): HrTime {
  const seconds = Math.floor(ms / MS_PER_S);
  return [seconds, Math.round((ms - seconds * MS_PER_S) * 1e6)];
}

function gauge(name: string, description: string, unit: string, dataPoints: DataPoint<number>[]): MetricData {
  return { descriptor: { name, description, unit, valueType: ValueType.DOUBLE }, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
}

/** The `k` variants with the most calls in the window, ties by variant name (deterministic). */
function busiestVariants(stats: readonly WindowStats[], k: number): readonly WindowStats[] {
  if (stats.length <= k) return stats;
  return [...stats].sort((a, b) => b.count - a.count || (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0)).slice(0, k);
}

/**
 * The per-route projection of the engine's live state, produced fresh at
 * every collection: window statistics per (route, variant) for the
 * `topRoutes` busiest routes only, watermark lag, and the totals over all
 * routes.
 *
 * @remarks A `MetricProducer` rather than observable gauges: the SDK keeps
 * every attribute set an asynchronous instrument ever reported (cumulative
 * temporality), so routes that left the top would linger on `/metrics`
 * forever. Here a scrape shows exactly the current top routes; its size is
 * bounded by `topRoutes × topVariantsPerRoute` series per gauge whatever the
 * number of series in memory, and selecting them is one pass with a bounded heap.
 */
export class RouteMetricsProducer implements MetricProducer {
  private readonly resource = resourceFromAttributes({});

  constructor(
    private readonly source: RouteStatsSource,
    private readonly options: RouteMetricsOptions,
  ) {}

  async collect(): Promise<CollectionResult> {
    const nowMs = this.options.nowMs();
    const time = hrTime(nowMs);
    const top = new TopRoutes(this.options.topRoutes);
    let series = 0;
    let maxLagMs = 0;
    let routes = 0;
    this.source.forEachRouteTraffic((route, calls, variants, watermarkMs) => {
      routes++;
      series += variants;
      if (nowMs - watermarkMs > maxLagMs) maxLagMs = nowMs - watermarkMs;
      top.offer(route, calls, watermarkMs);
    });
    const points = VARIANT_GAUGES.map((): DataPoint<number>[] => []);
    const lag: DataPoint<number>[] = [];
    for (const { route, watermarkMs } of top.result()) {
      lag.push({ startTime: time, endTime: time, attributes: { route }, value: Math.max(0, nowMs - watermarkMs) / MS_PER_S });
      const stats = busiestVariants(this.source.liveStats(route) ?? [], this.options.topVariantsPerRoute);
      for (const s of stats) {
        VARIANT_GAUGES.forEach((g, i) => {
          const value = g.value(s);
          if (value !== null && Number.isFinite(value)) points[i]!.push({ startTime: time, endTime: time, attributes: { route, variant: s.variant }, value });
        });
      }
    }
    const metrics: MetricData[] = [
      gauge('promptpilot_route_series', 'Route x variant series with live statistics in memory (all routes).', '', [{ startTime: time, endTime: time, attributes: {}, value: series }]),
      gauge('promptpilot_route_series_exported_routes', 'Routes whose per-route series this scrape exports (the busiest, telemetry.top_routes).', '', [{ startTime: time, endTime: time, attributes: {}, value: Math.min(routes, this.options.topRoutes) }]),
      gauge('promptpilot_watermark_lag_seconds', 'Wall clock minus the event-time watermark of the route furthest behind.', 's', [{ startTime: time, endTime: time, attributes: {}, value: Math.max(0, maxLagMs) / MS_PER_S }]),
      gauge('promptpilot_route_watermark_lag_seconds', 'Wall clock minus the route event-time watermark (exported routes).', 's', lag),
      ...VARIANT_GAUGES.map((g, i) => gauge(g.name, g.description, g.unit, points[i]!)).filter((m) => m.dataPoints.length > 0),
    ];
    return {
      resourceMetrics: { resource: this.resource, scopeMetrics: [{ scope: { name: 'promptpilot.routes' }, metrics }] },
      errors: [],
    };
  }
}
