import { describe, expect, it } from 'vitest';
import type { ConfigRecord } from '../../src/core/decision.js';
import { alertmanagerAlert } from '../../src/notify/index.js';

const rejected: ConfigRecord = { type: 'config', ts: Date.parse('2026-03-02T09:00:00Z'), status: 'rejected', source: '/etc/promptpilot/config.yaml', reason: 'rules[0].threshold: expected a number (SIGHUP)' };

describe('alertmanagerAlert', () => {
  it('labels a config record with the instance that reloaded, when it names one (instances sharing Redis)', () => {
    const alert = alertmanagerAlert({ ...rejected, instance: 'pp-a' }, null, rejected.ts);
    expect(alert.labels).toEqual({ alertname: 'config_rejected', severity: 'warning', instance: 'pp-a' });
    expect(alert.annotations['summary']).toBe('config from /etc/promptpilot/config.yaml on pp-a rejected: rules[0].threshold: expected a number (SIGHUP)');
    expect(alertmanagerAlert(rejected, null, rejected.ts).labels).toEqual({ alertname: 'config_rejected', severity: 'warning' });
  });
});
