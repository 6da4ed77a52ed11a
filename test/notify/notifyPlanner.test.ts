import { describe, expect, it } from 'vitest';
import { NotifySchema, type ReceiverConfig } from '../../src/config/notifySchema.js';
import type { ExperimentRecord, GapRecord, TriggerRecord } from '../../src/core/decision.js';
import { NotifyPlanner, receiverMatches, recordKey, severityOf } from '../../src/notify/index.js';
import { action, experiment, trigger } from '../contracts/fixtures.js';

function receivers(list: unknown[]): ReceiverConfig[] {
  return NotifySchema.parse({ receivers: list }).receivers;
}

const NOW = 1_800_000_000_000;

describe('receiver matching', () => {
  const [audit] = receivers([{ name: 'audit', type: 'webhook', url: 'http://x/', match: { severity: ['warning', 'critical'], types: ['trigger', 'experiment'], routes: ['sup*'] } }]);
  it('passes only records whose severity, type and route all match', () => {
    expect(receiverMatches(audit!, trigger('support', 0))).toBe(true);
    expect(receiverMatches(audit!, trigger('billing', 0))).toBe(false); // route
    expect(receiverMatches(audit!, action('support', 0))).toBe(false); // type
    expect(receiverMatches(audit!, experiment('support', 0))).toBe(false); // promoted = info
    const rolledBack: ExperimentRecord = { ...(experiment('support', 0) as ExperimentRecord), status: 'rolled_back' };
    expect(severityOf(rolledBack)).toBe('warning');
    expect(receiverMatches(audit!, rolledBack)).toBe(true);
  });
  it('a receiver without match gets everything, config records pass route filters', () => {
    const [all] = receivers([{ name: 'all', type: 'slack', url: 'http://x/' }]);
    expect(receiverMatches(all!, action('x', 0))).toBe(true);
    expect(receiverMatches(audit!, { type: 'config', ts: 0, status: 'rejected', source: 'f.yaml', reason: 'bad' })).toBe(false); // type filter still applies
  });
});

describe('NotifyPlanner', () => {
  it('sends a trigger once per episode per receiver, with a key stable across planners (restarts)', () => {
    const list = receivers([{ name: 'hook', type: 'webhook', url: 'http://x/' }, { name: 'am', type: 'alertmanager', url: 'http://am:9093' }]);
    const planner = new NotifyPlanner(list);
    const firing = trigger('support', 0);
    const first = planner.plan([firing], NOW);
    expect(first.map((m) => m.receiver)).toEqual(['hook', 'am']);
    expect(first[0]!.key).toBe(recordKey('hook', firing));
    expect(new NotifyPlanner(list).plan([firing], NOW + 5)[0]!.key).toBe(first[0]!.key);
    // The same record again, and a new firing of the same alert while it fires: nothing.
    expect(planner.plan([firing], NOW + 1)).toEqual([]);
    expect(planner.plan([{ ...(firing as TriggerRecord), ts: firing.ts + 10_000, value: 4000 }], NOW + 2)).toEqual([]);
    const resolved = planner.plan([trigger('support', 60_000, 'resolved')], NOW + 3);
    expect(resolved).toHaveLength(2);
    const alerts = JSON.parse(resolved[1]!.body) as { labels: Record<string, string>; startsAt: string; endsAt: string }[];
    expect(alerts[0]!.labels).toEqual({ alertname: 'response_time_warning', severity: 'warning', route: 'support', variant: 'v1' });
    expect(alerts[0]!.startsAt).toBe(new Date(firing.ts).toISOString());
    expect(Date.parse(alerts[0]!.endsAt)).toBe(firing.ts + 60_000);
  });

  it('re-sends firing alerts to Alertmanager every repeat interval, without endsAt, until resolved', () => {
    const planner = new NotifyPlanner(receivers([{ name: 'am', type: 'alertmanager', url: 'http://am:9093', repeat_interval: '30s' }, { name: 'hook', type: 'webhook', url: 'http://x/' }]));
    const [sent] = planner.plan([trigger('support', 0)], NOW);
    expect(planner.nextDueMs()).toBe(NOW + 30_000);
    expect(planner.due(NOW + 29_999)).toEqual([]);
    const again = planner.due(NOW + 30_000);
    expect(again).toHaveLength(1);
    expect(again[0]!.receiver).toBe('am');
    expect(again[0]!.key).not.toBe(sent!.key);
    const alert = (JSON.parse(again[0]!.body) as { endsAt?: string; labels: object }[])[0]!;
    expect(alert.endsAt).toBeUndefined();
    expect(planner.due(NOW + 60_000)[0]!.key).not.toBe(again[0]!.key);
    planner.plan([trigger('support', 90_000, 'resolved')], NOW + 61_000);
    expect(planner.due(NOW + 10 * 60_000)).toEqual([]);
    expect(planner.nextDueMs()).toBeNull();
  });

  it('groups one batch into one Slack message per route, readable at a glance', () => {
    const planner = new NotifyPlanner(receivers([{ name: 'chat', type: 'slack', url: 'http://slack/' }]));
    const messages = planner.plan([trigger('support', 0), action('support', 1), trigger('billing', 2)], NOW);
    expect(messages).toHaveLength(2);
    const body = JSON.parse(messages[0]!.body) as { text: string; blocks: { text?: { text: string } }[] };
    expect(body.text).toMatch(/response_time_warning FIRING on `support` \(warning\).*\(\+1 more\)/);
    expect(body.blocks[0]!.text!.text).toContain(':large_orange_circle: *response_time_warning FIRING*');
    expect(body.blocks[1]!.text!.text).toContain('• latency_p95_ms = 3210 vs threshold 3000');
    expect(body.blocks[1]!.text!.text).toContain('window 5m, 412 samples, held 1m');
  });

  it('webhook bodies carry the record, a summary, the evidence and the key', () => {
    const planner = new NotifyPlanner(receivers([{ name: 'audit', type: 'webhook', url: 'http://x/', secret: 'k' }]));
    const [message] = planner.plan([experiment('support', 0)], NOW);
    const body = JSON.parse(message!.body) as Record<string, unknown>;
    expect(body['decision']).toMatchObject({ type: 'experiment', id: 'exp-support', status: 'promoted' });
    expect(body['summary']).toBe('support: experiment exp-support promoted: candidate cheaper, no quality loss');
    expect(body['evidence']).toEqual(['cost_per_task_usd: baseline 0.0123 → candidate 0.00980 (Δ -0.00250, CI [-0.00300, -0.00200], p=0.00040, n=1200/1180)']);
    expect(body['idempotency_key']).toBe(message!.key);
  });

  it('reconfigure keeps the state of receivers that stay and drops removed ones', () => {
    const planner = new NotifyPlanner(receivers([{ name: 'am', type: 'alertmanager', url: 'http://am:9093' }]));
    planner.plan([trigger('support', 0)], NOW);
    planner.reconfigure(receivers([{ name: 'am', type: 'alertmanager', url: 'http://am2:9093' }, { name: 'new', type: 'webhook', url: 'http://x/' }]));
    expect(planner.firingCount('am')).toBe(1);
    expect(planner.plan([trigger('support', 0)], NOW).map((m) => m.receiver)).toEqual(['new']);
  });
});

describe('gap records (decisions or alerts lost while Redis was away)', () => {
  const T = Date.parse('2026-03-02T09:00:00Z');
  const decisionsGap: GapRecord = {
    type: 'gap', ts: T, route: '*', dropped: 7, from_ts: T, to_ts: T + 60_000,
    reason: '7 decisions lost: the decision log was unreachable and more than 3 were pending (redis.max_pending_decisions)',
  };
  const outboxGap: GapRecord = {
    type: 'gap', ts: T, route: '*', dropped: 3, from_ts: T, to_ts: T + 1_000, outbox: { 'kafka:d': 1, 'notify:audit': 2 },
    reason: '3 outbox messages lost (1 for kafka:d, 2 for notify:audit): Redis was unreachable and more than 1 were pending (redis.max_pending_outbox_messages)',
  };

  it('reach receivers that select them (gap in types, or no types), as warnings, whatever their route filter', () => {
    const list = receivers([
      { name: 'gaps', type: 'webhook', url: 'http://x/', match: { types: ['gap'] } },
      { name: 'all', type: 'webhook', url: 'http://x/' },
      { name: 'warn', type: 'webhook', url: 'http://x/', match: { severity: ['warning'], routes: ['support'] } },
      { name: 'triggers', type: 'webhook', url: 'http://x/', match: { types: ['trigger'] } },
      { name: 'critical', type: 'webhook', url: 'http://x/', match: { severity: ['critical'] } },
    ]);
    expect(severityOf(decisionsGap)).toBe('warning');
    expect(new NotifyPlanner(list).plan([decisionsGap], NOW).map((m) => m.receiver)).toEqual(['gaps', 'all', 'warn']);
  });

  it('webhook: the record, a summary saying what was lost, and its evidence', () => {
    const [message] = new NotifyPlanner(receivers([{ name: 'gaps', type: 'webhook', url: 'http://x/', match: { types: ['gap'] } }])).plan([decisionsGap], NOW);
    expect(JSON.parse(message!.body)).toEqual({
      decision: decisionsGap,
      summary: decisionsGap.reason,
      severity: 'warning',
      evidence: [decisionsGap.reason, 'lost decisions dated 2026-03-02T09:00:00.000Z to 2026-03-02T09:01:00.000Z (event time)'],
      receiver: 'gaps',
      idempotency_key: message!.key,
    });
    const [lost] = new NotifyPlanner(receivers([{ name: 'gaps', type: 'webhook', url: 'http://x/' }])).plan([outboxGap], NOW);
    expect((JSON.parse(lost!.body) as { evidence: string[] }).evidence[1]).toBe('lost messages enqueued 2026-03-02T09:00:00.000Z to 2026-03-02T09:00:01.000Z (wall time)');
  });

  it('Slack: a warning headline naming what was lost', () => {
    const planner = new NotifyPlanner(receivers([{ name: 'chat', type: 'slack', url: 'http://slack/', match: { types: ['gap'] } }]));
    const [decisions, outbox] = planner.plan([decisionsGap, outboxGap], NOW).map((m) => JSON.parse(m.body) as { text: string; blocks: { text?: { text: string } }[] });
    expect(outbox).toBeUndefined(); // one message per route: both are about every route ('*')
    expect(decisions!.text).toBe(`:large_orange_circle: 7 decisions lost (warning): ${decisionsGap.reason} (+1 more)`);
    expect(decisions!.blocks[3]!.text!.text).toBe(`:large_orange_circle: *3 alerts or sink messages lost* (warning)\n${outboxGap.reason}`);
  });

  it('Alertmanager: one alert each, named by what was lost, warning, active for an hour from when it is sent, with the counts as evidence', () => {
    const [message] = new NotifyPlanner(receivers([{ name: 'am', type: 'alertmanager', url: 'http://am:9093', match: { types: ['gap'] } }])).plan([decisionsGap, outboxGap], NOW);
    const alerts = JSON.parse(message!.body) as { labels: Record<string, string>; annotations: Record<string, string>; startsAt: string; endsAt: string }[];
    expect(alerts.map((a) => a.labels)).toEqual([{ alertname: 'decisions_lost', severity: 'warning' }, { alertname: 'outbox_messages_lost', severity: 'warning' }]);
    expect(alerts[0]!.annotations).toMatchObject({ summary: decisionsGap.reason, decision_type: 'gap' });
    expect(JSON.parse(alerts[1]!.annotations['evidence']!)).toEqual({ dropped: 3, from_ts: T, to_ts: T + 1_000, outbox: { 'kafka:d': 1, 'notify:audit': 2 } });
    // Sent hours after the loss (Redis was away that long), it is still news: active from now, not from the loss.
    expect(alerts.map((a) => [Date.parse(a.startsAt), Date.parse(a.endsAt)])).toEqual([[NOW, NOW + 3_600_000], [NOW, NOW + 3_600_000]]);
  });
});

describe('notify config', () => {
  it('refuses duplicate receiver names, unknown types and a secret on a non-webhook', () => {
    const bad = NotifySchema.safeParse({ receivers: [{ name: 'a', type: 'webhook', url: 'http://x/' }, { name: 'a', type: 'slack', url: 'http://y/', secret: 's' }, { name: 'b', type: 'pager', url: 'http://z/' }] });
    expect(bad.success).toBe(false);
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(messages.join('\n')).toMatch(/receivers.1.secret: secret applies to webhook receivers only/);
    expect(messages.join('\n')).toMatch(/receivers.2.type/);
  });
});
