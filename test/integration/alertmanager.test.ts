import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { startAlertmanager, type AlertmanagerServer, type AmAlert } from './harness/index.js';

let alertmanager: AlertmanagerServer;
let daemon: Daemon;

beforeAll(async () => {
  alertmanager = await startAlertmanager();
  ({ daemon } = await startTestDaemon({
    notify: { receivers: [{ name: 'oncall', type: 'alertmanager', url: alertmanager.url, match: { types: ['trigger'] }, repeat_interval: '1s' }] },
  }));
}, 30_000);
afterAll(async () => {
  await daemon?.stop();
  await alertmanager?.stop();
});

async function post(events: object[]): Promise<void> {
  const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(events) });
  expect(res.status).toBe(202);
}

const warning = (alerts: AmAlert[]): AmAlert | undefined => alerts.find((a) => a.labels['alertname'] === 'response_time_warning' && a.labels['route'] === 'checkout');

describe('Alertmanager receiver (real prometheus-alertmanager)', () => {
  it('shows the firing alert with route, variant and severity labels and the evidence, re-sent while firing, then its resolve', async () => {
    const start = Date.now() - 3 * 3_600_000;
    // 33 minutes of slow calls: response_time_warning fires on checkout/v1.
    await post(Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 500, route: 'checkout', variant: 'v1', pattern: 'few_shot', latency_ms: 3500 + (i % 10) * 10 })));
    const firing = warning(await alertmanager.waitFor((alerts) => warning(alerts)?.status.state === 'active'))!;
    expect(firing.labels).toEqual({ alertname: 'response_time_warning', route: 'checkout', variant: 'v1', severity: 'warning' });
    expect(firing.annotations['summary']).toMatch(/^checkout\/v1: p95 latency \d\.\d\d s is above 3\.00 s for \d+ min \(\d+ calls\) — response_time_warning fires, warning$/);
    expect(firing.annotations['description']).toMatch(/window 5m, \d+ samples/);
    expect(JSON.parse(firing.annotations['evidence']!)).toMatchObject({ window_ms: 300_000, threshold_from: { kind: 'target' } });
    // While it fires promptpilot re-sends it (repeat_interval), so Alertmanager keeps extending its end.
    const firstEnd = Date.parse(firing.endsAt);
    const extended = warning(await alertmanager.waitFor((alerts) => Date.parse(warning(alerts)?.endsAt ?? '0') > firstEnd, 10_000))!;
    expect(extended.status.state).toBe('active');
    // An hour of fast calls: the trigger resolves and Alertmanager gets its end time.
    const resumeAt = start + 4000 * 500;
    await post(Array.from({ length: 7200 }, (_, i) => ({ ts: resumeAt + i * 500, route: 'checkout', variant: 'v1', pattern: 'few_shot', latency_ms: 400 + (i % 10) * 10 })));
    const resolved = await alertmanager.waitFor((alerts) => {
      const a = warning(alerts);
      return a === undefined || Date.parse(a.endsAt) <= Date.now();
    });
    const after = warning(resolved);
    if (after !== undefined) expect(Date.parse(after.endsAt)).toBeLessThan(Date.now() - 3_600_000);
    expect(resolved.filter((a) => a.status.state === 'active' && a.labels['route'] === 'checkout' && a.labels['alertname'] === 'response_time_warning')).toEqual([]);
  }, 60_000);
});
