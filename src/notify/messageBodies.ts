import { stringifyRounded } from '../core/jsonNumbers.js';
import { describeDecision } from './describeDecision.js';
import { evidenceLines } from './evidenceLines.js';
import { alertNameOf, routeOf, severityOf, variantOf, type NotifiableRecord } from './notifiable.js';

/** How long a one-off alert (anything but a trigger) stays active in Alertmanager. */
export const EVENT_ALERT_MS = 3_600_000;

/**
 * The generic webhook's JSON body (DESIGN §6): the record under `decision`,
 * a one-line `summary`, the evidence as lines, and the receiver and key.
 */
export function webhookBody(record: NotifiableRecord, receiver: string, idempotencyKey: string): string {
  return stringifyRounded({
    decision: record,
    summary: describeDecision(record),
    severity: severityOf(record),
    evidence: evidenceLines(record),
    receiver,
    idempotency_key: idempotencyKey,
  });
}

const ICONS = { critical: ':red_circle:', warning: ':large_orange_circle:', info: ':large_blue_circle:' } as const;

function headline(record: NotifiableRecord): string {
  const severity = severityOf(record);
  const where = routeOf(record) === null ? '' : ` on \`${routeOf(record)}\``;
  const what =
    record.type === 'trigger'
      ? `${record.rule} ${record.state === 'firing' ? 'FIRING' : 'resolved'}`
      : record.type === 'experiment'
        ? `experiment ${record.status.replace('_', ' ')}`
        : record.type === 'action'
          ? record.status === 'skipped' ? `${record.kind} skipped` : `${record.kind} proposed`
          : record.type === 'policy'
            ? `route ${record.action}`
            : record.type === 'gap'
              ? `${record.dropped} ${record.outbox === undefined ? 'decisions' : 'alerts or sink messages'} lost`
              : `config ${record.status}`;
  const icon = record.type === 'trigger' && record.state === 'resolved' ? ':white_check_mark:' : ICONS[severity];
  return `${icon} *${what}*${where} (${severity})`;
}

/** Most records one Slack message lists (Slack allows 50 blocks; each record takes three). */
export const SLACK_RECORDS_PER_MESSAGE = 15;

/**
 * A Slack incoming-webhook message for records of one route: per record a
 * bold headline with an icon by severity, the summary, the evidence as bullets
 * and a context line (variant, event time); `text` is the notification preview.
 */
export function slackBody(records: readonly NotifiableRecord[]): string {
  const first = records[0];
  if (first === undefined) return stringifyRounded({ text: '' });
  const blocks: unknown[] = [];
  for (const record of records) {
    const variant = variantOf(record);
    blocks.push(
      { type: 'section', text: { type: 'mrkdwn', text: `${headline(record)}\n${describeDecision(record)}` } },
      { type: 'section', text: { type: 'mrkdwn', text: evidenceLines(record).map((line) => `• ${line}`).join('\n') } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: `${variant === null ? '' : `variant \`${variant}\` · `}${new Date(record.ts).toISOString()}` }] },
    );
  }
  const more = records.length > 1 ? ` (+${records.length - 1} more)` : '';
  return stringifyRounded({ text: `${headline(first).replace(/\*/g, '')}: ${describeDecision(first)}${more}`, blocks });
}

/** One alert of Alertmanager's v2 API (`POST /api/v2/alerts` takes an array of these). */
export interface AlertmanagerAlert {
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly startsAt?: string;
  readonly endsAt?: string;
}

/**
 * The Alertmanager alert for a record. Labels: `alertname` (the rule, or
 * `experiment_rolled_back` etc.), `route`, `variant`, `severity`; annotations:
 * `summary`, `description` (the evidence lines) and `evidence` (its JSON).
 * A firing trigger has no `endsAt` (it stays active while re-sent); a resolved
 * one ends at its record's time, starting at `firingTs` when known; a gap is
 * active for {@link EVENT_ALERT_MS} from `reportedAtMs` (wall time it is sent);
 * any other record for {@link EVENT_ALERT_MS} from its own time.
 */
export function alertmanagerAlert(record: NotifiableRecord, firingTs: number | null, reportedAtMs: number): AlertmanagerAlert {
  const labels: Record<string, string> = { alertname: alertNameOf(record), severity: severityOf(record) };
  const route = routeOf(record);
  const variant = variantOf(record);
  if (route !== null) labels['route'] = route;
  if (variant !== null) labels['variant'] = variant;
  // A reload is per instance: two instances refusing one file are two alerts, each saying where.
  if (record.type === 'config' && record.instance !== undefined) labels['instance'] = record.instance;
  const evidence =
    record.type === 'config' || record.type === 'policy'
      ? { reason: record.reason }
      : record.type === 'gap'
        ? { dropped: record.dropped, from_ts: record.from_ts, to_ts: record.to_ts, ...(record.outbox === undefined ? {} : { outbox: record.outbox }) }
        : record.evidence;
  const annotations = { summary: describeDecision(record), description: evidenceLines(record).join('\n'), evidence: stringifyRounded(evidence), decision_type: record.type };
  const iso = (ms: number): string => new Date(ms).toISOString();
  if (record.type === 'trigger') {
    if (record.state === 'firing') return { labels, annotations, startsAt: iso(record.ts) };
    return { labels, annotations, ...(firingTs !== null && firingTs <= record.ts ? { startsAt: iso(firingTs) } : {}), endsAt: iso(record.ts) };
  }
  // A gap is logged once Redis is back, maybe hours after the loss: timed by its loss, Alertmanager would take it as over already.
  const startMs = record.type === 'gap' ? reportedAtMs : record.ts;
  return { labels, annotations, startsAt: iso(startMs), endsAt: iso(startMs + EVENT_ALERT_MS) };
}

/** Alertmanager's request body: an array of alerts. */
export function alertmanagerBody(alerts: readonly AlertmanagerAlert[]): string {
  return stringifyRounded(alerts);
}
