import { describe, expect, it } from 'vitest';
import { changedPaths, reloadVerdict } from '../../src/config/configDiff.js';
import { parseConfig } from '../../src/config/load.js';

describe('config reload diff', () => {
  const base = parseConfig({});
  it('names what changed down to the second level; lists compare whole', () => {
    expect(changedPaths(base, base)).toEqual([]);
    const next = parseConfig({ abtest: { rollback: { error_rate_increase_points: 8 } }, notify: { receivers: [{ name: 'a', type: 'webhook', url: 'http://x/' }] }, rules: [{ name: 'accuracy_drop', threshold: 0.8 }] });
    expect(changedPaths(base, next)).toEqual(['abtest.rollback', 'notify.receivers', 'rules']);
  });
  it('applies policy changes and refuses restart-only ones', () => {
    expect(reloadVerdict(base, parseConfig({ targets: { latency_p95_ms: 2500 } }))).toEqual({ kind: 'apply', changed: ['targets.latency_p95_ms'] });
    expect(reloadVerdict(base, parseConfig({ server: { port: 9999 }, targets: { latency_p95_ms: 2500 } }))).toEqual({
      kind: 'refuse', changed: ['server.port', 'targets.latency_p95_ms'], restartOnly: ['server.port'],
    });
    expect(reloadVerdict(base, parseConfig({ time: { bucket: '5s' } })).kind).toBe('refuse');
    // Built into the engine's long-horizon monitoring at start: refused rather than reported applied and ignored.
    expect(reloadVerdict(base, parseConfig({ budgets: { cost: { enabled: true } } })).kind).toBe('refuse');
    expect(reloadVerdict(base, parseConfig({ monitoring: { anomaly: { k: 5 } } })).kind).toBe('refuse');
    // The logger's format is fixed when it is built: a reload changing it was recorded as applied and changed nothing.
    expect(reloadVerdict(base, parseConfig({ log: { format: 'json' } }))).toEqual({ kind: 'refuse', changed: ['log.format'], restartOnly: ['log.format'] });
    expect(reloadVerdict(base, parseConfig({ log: { level: 'debug' } }))).toEqual({ kind: 'apply', changed: ['log.level'] });
  });
});
