import type { NotifiableRecord } from './notifiable.js';

/** A number for people: whole above 100, two decimals above 1, three significant digits below. */
export function fmt(n: number): string {
  return Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 1 ? n.toFixed(2) : n.toPrecision(3);
}

/** A one-line human summary of a decision record, for logs. */
export function describeDecision(record: NotifiableRecord): string {
  switch (record.type) {
    case 'trigger':
      return record.state === 'firing'
        ? `trigger ${record.rule} firing on ${record.route}/${record.variant}: ${record.metric}=${fmt(record.value)} vs threshold ${fmt(record.threshold)}`
        : record.evidence['reason'] === 'no_traffic'
          ? `trigger ${record.rule} resolved on ${record.route}/${record.variant} because its traffic stopped (no events for a whole window), not because ${record.metric} recovered: last ${record.metric}=${fmt(record.value)}`
          : `trigger ${record.rule} resolved on ${record.route}/${record.variant}: ${record.metric}=${fmt(record.value)}`;
    case 'action':
      if (record.status === 'skipped') return `action ${record.kind} on ${record.route}/${record.variant} skipped (${record.reason_code}): ${record.reason}`;
      return `action ${record.kind} on ${record.route}: ${record.from.variant}${record.from.pattern ? ` (${record.from.pattern})` : ''} -> ${record.to.variant}${record.to.pattern ? ` (${record.to.pattern})` : ''}`;
    case 'experiment':
      return `experiment ${record.id} on ${record.route} ${record.status}: ${record.reason}`;
    case 'policy':
      return `route ${record.route} ${record.action}${record.experiment === undefined ? '' : ` (experiment ${record.experiment})`} by ${record.source === 'api' ? 'an operator' : 'its policy'}: ${record.reason}`;
    case 'config':
      return `config from ${record.source} ${record.status}: ${record.reason}`;
    case 'trend': {
      const p95 = record.metrics['latency_p95_ms'];
      const cost = record.metrics['cost_per_task_usd'];
      const delta = (m: typeof p95): string => (m?.delta_pct == null ? 'n/a' : `${m.delta_pct >= 0 ? '+' : ''}${m.delta_pct.toFixed(1)} %`);
      return `weekly trend of ${record.route}: p95 ${delta(p95)}, cost per task ${delta(cost)} week over week`;
    }
  }
}
