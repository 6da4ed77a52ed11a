import type { DecisionRecord } from '../core/decision.js';
import type { PipelineEngine } from '../engine/engine.js';
import type { WindowStats } from '../windows/windowStats.js';
import type { Sample } from './metricsText.js';

/** Counts decisions by type and outcome, for `/metrics`. */
export class DecisionCounter {
  private readonly counts = new Map<string, { type: string; outcome: string; value: number }>();

  add(records: readonly DecisionRecord[]): void {
    for (const r of records) {
      const outcome = r.type === 'trigger' ? r.state : r.type === 'action' ? r.kind : r.status;
      const key = `${r.type}\u0000${outcome}`;
      const entry = this.counts.get(key);
      if (entry) entry.value++;
      else this.counts.set(key, { type: r.type, outcome, value: 1 });
    }
  }

  samples(): Sample[] {
    return [...this.counts.values()]
      .sort((a, b) => (a.type + a.outcome < b.type + b.outcome ? -1 : 1))
      .map((c) => ({ name: 'promptpilot_decisions_total', help: 'Decision records by type and outcome.', type: 'counter', value: c.value, labels: { type: c.type, outcome: c.outcome } }));
  }
}

const ROUTE_GAUGES: readonly { name: string; help: string; value: (s: WindowStats) => number | null }[] = [
  { name: 'promptpilot_route_requests', help: 'Calls in the current rolling window.', value: (s) => s.count },
  { name: 'promptpilot_route_latency_p50_ms', help: 'Latency p50 over the rolling window, ms.', value: (s) => s.latencyMs?.p50 ?? null },
  { name: 'promptpilot_route_latency_p95_ms', help: 'Latency p95 over the rolling window, ms.', value: (s) => s.latencyMs?.p95 ?? null },
  { name: 'promptpilot_route_latency_p99_ms', help: 'Latency p99 over the rolling window, ms.', value: (s) => s.latencyMs?.p99 ?? null },
  { name: 'promptpilot_route_error_rate', help: 'Failed calls / calls over the rolling window.', value: (s) => s.errorRate },
  { name: 'promptpilot_route_cost_per_task_usd', help: 'Total cost / successful calls over the rolling window, USD.', value: (s) => s.costPerTaskUsd },
  { name: 'promptpilot_route_tokens_per_quality_point', help: 'Tokens per quality point (0-100 scale) over the rolling window.', value: (s) => s.tokensPerQualityPoint },
  { name: 'promptpilot_route_accuracy', help: 'Share of correct answers over the rolling window.', value: (s) => s.accuracy },
  { name: 'promptpilot_route_consistency', help: 'Share of consistent answers over the rolling window.', value: (s) => s.consistency },
];

/**
 * Everything `/metrics` exports: pipeline counters, decisions by outcome,
 * running experiments, and per (route, variant) window statistics (a metric
 * without data is omitted rather than exported as 0).
 */
export function daemonSamples(engine: PipelineEngine, decisions: DecisionCounter, extra: { rejected: { future_skew: number; limit: number }; inFlight: number }): Sample[] {
  const rejectedHelp = 'Events rejected after validation, by reason: too_late (older than the window or time.max_lateness), future_skew, limit (cardinality).';
  const samples: Sample[] = [
    { name: 'promptpilot_events_accepted_total', help: 'Events added to route statistics (late ones included).', type: 'counter', value: engine.counters.accepted },
    { name: 'promptpilot_events_late_total', help: 'Events that arrived after their time bucket had closed and still counted: they update the window from the route\'s next evaluation.', type: 'counter', value: engine.counters.late },
    { name: 'promptpilot_events_rejected_total', help: rejectedHelp, type: 'counter', value: engine.counters.tooLate, labels: { reason: 'too_late' } },
    { name: 'promptpilot_events_rejected_total', help: rejectedHelp, type: 'counter', value: extra.rejected.future_skew, labels: { reason: 'future_skew' } },
    { name: 'promptpilot_events_rejected_total', help: rejectedHelp, type: 'counter', value: extra.rejected.limit, labels: { reason: 'limit' } },
    ...decisions.samples(),
    { name: 'promptpilot_routes', help: 'Routes with live statistics.', type: 'gauge', value: engine.routeNames().length },
    { name: 'promptpilot_pipeline_in_flight', help: 'Inputs accepted but not yet durable.', type: 'gauge', value: extra.inFlight },
    { name: 'promptpilot_experiments_running', help: 'Experiments running now.', type: 'gauge', value: engine.experiments.list().filter((e) => e.status === 'running').length },
  ];
  for (const [kind, value] of Object.entries(engine.stateSizes())) {
    samples.push({ name: 'promptpilot_state_entries', help: 'Entries of the per-route state structures (bounded).', type: 'gauge', value, labels: { kind } });
  }
  const stats = engine.routeNames().flatMap((route) => engine.liveStats(route) ?? []);
  for (const gauge of ROUTE_GAUGES) {
    for (const s of stats) {
      const value = gauge.value(s);
      if (value !== null) samples.push({ name: gauge.name, help: gauge.help, type: 'gauge', value, labels: { route: s.route, variant: s.variant } });
    }
  }
  return samples;
}
