/** How a metric's values read: milliseconds, a share shown in percent, US dollars, or a plain number. */
export type MetricUnit = 'ms' | 'pct' | 'usd' | 'num';

/**
 * How people name each metric and in which unit its values read — one table
 * for every place a person reads a metric: log lines and alert summaries
 * (src/notify/describeDecision.ts) and the dashboard and report pages, which
 * get it inlined as JSON (src/ui/page.ts). A metric not listed reads as its
 * key with spaces for underscores, as a plain number.
 */
export const METRIC_WORDS: Readonly<Record<string, { readonly name: string; readonly unit: MetricUnit }>> = {
  latency_p50_ms: { name: 'p50 latency', unit: 'ms' },
  latency_p95_ms: { name: 'p95 latency', unit: 'ms' },
  latency_p99_ms: { name: 'p99 latency', unit: 'ms' },
  latency_mean_ms: { name: 'mean latency', unit: 'ms' },
  error_rate: { name: 'error rate', unit: 'pct' },
  cost_per_task_usd: { name: 'cost per task', unit: 'usd' },
  tokens_per_quality_point: { name: 'tokens per quality point', unit: 'num' },
  tokens_per_request: { name: 'tokens per request', unit: 'num' },
  accuracy: { name: 'accuracy', unit: 'pct' },
  consistency: { name: 'consistency', unit: 'pct' },
  satisfaction: { name: 'satisfaction', unit: 'pct' },
  srm_p_value: { name: 'sample-ratio p-value', unit: 'num' },
};
