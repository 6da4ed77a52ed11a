import { formatDurationMs } from '../config/duration.js';
import type { MetricEvidence, ThresholdSource } from '../core/decision.js';
import { fmt } from './describeDecision.js';
import type { NotifiableRecord } from './notifiable.js';

function thresholdFrom(source: ThresholdSource): string {
  switch (source.kind) {
    case 'absolute':
      return 'absolute threshold';
    case 'target':
      return `target ${source.target} ${fmt(source.reference)} ${source.margin_pct >= 0 ? '+' : ''}${source.margin_pct} %`;
    case 'baseline':
      return `baseline ${fmt(source.reference)} ${source.margin_pct >= 0 ? '+' : ''}${source.margin_pct} % (${source.baseline_samples} samples)`;
    case 'budget':
      return `budget ${source.budget} ${fmt(source.reference)} ${source.margin_pct >= 0 ? '+' : ''}${source.margin_pct} %`;
  }
}

function metricLine(metric: string, e: MetricEvidence): string {
  const value = (v: number | null): string => (v === null ? 'n/a' : fmt(v));
  const ci = e.ci === null ? '' : `, CI [${fmt(e.ci[0])}, ${fmt(e.ci[1])}]`;
  const p = e.p === null ? '' : `, p=${e.p.toPrecision(2)}`;
  return `${metric}: baseline ${value(e.baseline)} → candidate ${value(e.candidate)} (Δ ${value(e.delta)}${ci}${p}, n=${e.n[0]}/${e.n[1]})`;
}

/** The evidence behind a record, one short human line per fact, for alert texts. */
export function evidenceLines(record: NotifiableRecord): string[] {
  switch (record.type) {
    case 'trigger': {
      const e = record.evidence;
      return [
        `${record.metric} = ${fmt(record.value)} vs threshold ${fmt(record.threshold)} (${thresholdFrom(e.threshold_from)})`,
        `window ${formatDurationMs(e.window_ms)}, ${e.samples} samples, held ${formatDurationMs(e.held_ms)}`,
      ];
    }
    case 'action':
      return [`${record.evidence.metric} = ${fmt(record.evidence.value)} vs threshold ${fmt(record.evidence.threshold)} (${record.evidence.samples} samples)`, record.reason];
    case 'experiment':
      return Object.entries(record.evidence).map(([metric, e]) => metricLine(metric, e));
    case 'policy':
      return [record.reason];
    case 'config':
      return record.changed === undefined ? [record.reason] : [`changed: ${record.changed.join(', ') || 'nothing'}`];
    case 'trend':
      return Object.entries(record.metrics).map(([metric, m]) => `${metric}: ${m.current === null ? 'n/a' : fmt(m.current)} (week before ${m.previous === null ? 'n/a' : fmt(m.previous)}${m.delta_pct === null ? '' : `, ${m.delta_pct >= 0 ? '+' : ''}${m.delta_pct.toFixed(1)} %`})`);
    case 'gap':
      return [
        record.reason,
        record.outbox === undefined
          ? `lost decisions dated ${new Date(record.from_ts).toISOString()} to ${new Date(record.to_ts).toISOString()} (event time)`
          : `lost messages enqueued ${new Date(record.from_ts).toISOString()} to ${new Date(record.to_ts).toISOString()} (wall time)`,
      ];
  }
}
