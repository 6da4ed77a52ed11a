import type { VariantRef } from '../core/decision.js';
import type { NotifiableRecord } from './notifiable.js';
import { METRIC_WORDS, type MetricUnit } from '../core/metricWords.js';

/** A number for people: whole above 100, two decimals above 1, three significant digits below. */
export function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/** How each unit reads in a line of text. */
const UNIT_FORMAT: Readonly<Record<MetricUnit, (v: number) => string>> = {
  ms,
  pct,
  usd: (v) => `$${num(v)}`,
  num,
};

function num(n: number): string {
  return n === 0 ? '0' : fmt(n);
}
function ms(n: number): string {
  return Math.abs(n) >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}
function pct(n: number): string {
  return `${(n * 100).toFixed(1)} %`;
}
function words(s: string): string {
  return s.replace(/_/g, ' ');
}
function metricName(metric: string): string {
  return METRIC_WORDS[metric]?.name ?? words(metric);
}
function value(metric: string, v: number): string {
  return UNIT_FORMAT[METRIC_WORDS[metric]?.unit ?? 'num'](v);
}
function variantWords(ref: VariantRef | undefined): string {
  if (ref === undefined) return '?';
  return ref.pattern !== undefined ? `${ref.variant} (${words(ref.pattern)})` : ref.variant;
}
function duration(msValue: number): string {
  return msValue >= 3_600_000 ? `${(msValue / 3_600_000).toFixed(1)} h` : msValue >= 60_000 ? `${Math.round(msValue / 60_000)} min` : `${Math.round(msValue / 1000)} s`;
}

/**
 * One line a person reads (a terminal log line, an alert's summary): the
 * route, what happened, why, and the numbers that matter — never a template
 * or a whole evidence object (the JSON log and `GET /v1/decisions` carry those).
 */
export function describeDecision(record: NotifiableRecord): string {
  switch (record.type) {
    case 'trigger': {
      const where = `${record.route}/${record.variant}`;
      const stage = record.evidence['stage'];
      // A stage of the response-time budget names the stage whose share is over (docs/statistics.md).
      const what = typeof stage === 'string' ? `${metricName(record.metric)} of stage ${stage.replaceAll('_', ' ')}` : metricName(record.metric);
      if (record.state === 'firing') {
        const side = record.value < record.threshold ? 'below' : 'above';
        const held = record.evidence.held_ms > 0 ? ` for ${duration(record.evidence.held_ms)}` : '';
        return `${where}: ${what} ${value(record.metric, record.value)} is ${side} ${value(record.metric, record.threshold)}${held} (${record.evidence.samples} calls) — ${record.rule} fires, ${record.severity}`;
      }
      if (record.evidence['reason'] === 'no_traffic') {
        return `${where}: ${record.rule} resolved because its traffic stopped (no events for a whole window), not because ${what} recovered (last ${value(record.metric, record.value)})`;
      }
      return `${where}: ${what} back to ${value(record.metric, record.value)} (threshold ${value(record.metric, record.threshold)}) — ${record.rule} resolved`;
    }
    case 'action':
      if (record.status === 'skipped') return `${record.route}/${record.variant}: ${words(record.kind)} not taken (${record.reason_code}): ${record.reason}`;
      return `${record.route}: ${words(record.kind)} proposed, ${variantWords(record.from)} → ${variantWords(record.to)}, because ${metricName(record.evidence.metric)} ${value(record.evidence.metric, record.evidence.value)} breached ${value(record.evidence.metric, record.evidence.threshold)} (${record.rule}); an A/B test decides`;
    case 'experiment': {
      if (record.status === 'started') {
        const share = typeof record['share'] === 'number' ? ` with ${Math.round(record['share'] * 100)} % of traffic` : '';
        return `${record.route}: experiment ${record.id} started: candidate ${variantWords(record.candidate)}${share} vs baseline ${variantWords(record.baseline)}`;
      }
      return `${record.route}: experiment ${record.id} ${words(record.status)}: ${record.reason}`;
    }
    case 'policy':
      return `${record.route}: ${record.action}${record.experiment === undefined ? '' : ` (experiment ${record.experiment})`} by ${record.source === 'api' ? 'an operator' : 'its policy'}: ${record.reason}`;
    case 'config':
      return `config from ${record.source}${record.instance === undefined ? '' : ` on ${record.instance}`} ${record.status}: ${record.reason}`;
    case 'trend': {
      const p95 = record.metrics['latency_p95_ms'];
      const cost = record.metrics['cost_per_task_usd'];
      const delta = (m: typeof p95): string => (m?.delta_pct == null ? 'n/a' : `${m.delta_pct >= 0 ? '+' : ''}${m.delta_pct.toFixed(1)} %`);
      return `weekly trend of ${record.route}: p95 ${delta(p95)}, cost per task ${delta(cost)} week over week`;
    }
    case 'gap':
      // The reason says what was lost, how many and why (decisions, or alerts and sink messages per destination).
      return record.reason;
  }
}
