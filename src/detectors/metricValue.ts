import type { MetricName } from '../core/decision.js';
import type { WindowStats } from '../windows/windowStats.js';

/**
 * The value of one rule metric in a window's statistics; null when the window
 * has no data for it (never 0 for "no data"). Total over every MetricName.
 */
export function metricValue(stats: WindowStats, metric: MetricName): number | null {
  switch (metric) {
    case 'latency_p50_ms':
      return stats.latencyMs?.p50 ?? null;
    case 'latency_p95_ms':
      return stats.latencyMs?.p95 ?? null;
    case 'latency_p99_ms':
      return stats.latencyMs?.p99 ?? null;
    case 'error_rate':
      return stats.errorRate;
    case 'cost_per_task_usd':
      return stats.costPerTaskUsd;
    case 'tokens_per_request':
      return stats.tokensPerRequest;
    case 'tokens_per_quality_point':
      return stats.tokensPerQualityPoint;
    case 'accuracy':
      return stats.accuracy;
    case 'consistency':
      return stats.consistency;
    case 'satisfaction':
      return stats.satisfaction;
  }
}

/**
 * How many events in the window stand behind a metric's value: all calls for
 * latency, error rate and tokens per request; successful calls for cost per
 * task; events carrying `quality` / `correct` / `consistent` / `satisfaction`
 * for the quality-based metrics. Compared with a rule's `min_samples`.
 */
export function metricSamples(stats: WindowStats, metric: MetricName): number {
  switch (metric) {
    case 'latency_p50_ms':
    case 'latency_p95_ms':
    case 'latency_p99_ms':
    case 'error_rate':
    case 'tokens_per_request':
      return stats.count;
    case 'cost_per_task_usd':
      return Math.max(0, stats.count - stats.errorCount);
    case 'tokens_per_quality_point':
      return stats.qualityCount;
    case 'accuracy':
      return stats.accuracyCount;
    case 'consistency':
      return stats.consistencyCount;
    case 'satisfaction':
      return stats.satisfactionCount;
  }
}
