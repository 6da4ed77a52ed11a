import type { DecisionRecord, Severity } from '../core/decision.js';

/** Every record a receiver can be told about (every decision record, config reloads included). */
export type NotifiableRecord = DecisionRecord;

/**
 * The severity a receiver's `match.severity` sees: a trigger's own; `warning`
 * for a rolled-back experiment, a refused config and a gap (decisions or
 * outbox messages lost); `info` for the rest.
 */
export function severityOf(record: NotifiableRecord): Severity {
  switch (record.type) {
    case 'trigger':
      return record.severity;
    case 'experiment':
      return record.status === 'rolled_back' ? 'warning' : 'info';
    case 'config':
      return record.status === 'rejected' ? 'warning' : 'info';
    case 'policy':
      return record.source === 'policy' ? 'warning' : 'info';
    case 'action':
    case 'trend':
      return 'info';
    case 'gap':
      return 'warning';
  }
}

/** The route a record is about, or null (config records). */
export function routeOf(record: NotifiableRecord): string | null {
  return record.type === 'gap' ? null : (record.route ?? null);
}

/** The variant a record is about: a trigger's or skipped action's own, an action's or experiment's candidate. */
export function variantOf(record: NotifiableRecord): string | null {
  switch (record.type) {
    case 'trigger':
      return record.variant;
    case 'action':
      return record.status === 'skipped' ? record.variant : record.to.variant;
    case 'experiment':
      return record.candidate.variant;
    case 'policy':
    case 'config':
    case 'trend':
    case 'gap':
      return null;
  }
}

/** The name an alert goes by: a trigger's rule, else the record's type and outcome (`experiment_rolled_back`, `decisions_lost`). */
export function alertNameOf(record: NotifiableRecord): string {
  switch (record.type) {
    case 'trigger':
      return record.rule;
    case 'action':
      return record.status === 'skipped' ? 'action_skipped' : `action_${record.kind}`;
    case 'experiment':
      return `experiment_${record.status}`;
    case 'config':
      return `config_${record.status}`;
    case 'policy':
      return `route_${record.action}`;
    case 'trend':
      return 'weekly_trend';
    case 'gap':
      return record.outbox === undefined ? 'decisions_lost' : 'outbox_messages_lost';
  }
}
