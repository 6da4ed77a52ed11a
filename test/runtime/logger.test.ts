import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord, TriggerRecord } from '../../src/core/decision.js';
import { describeDecision } from '../../src/notify/describeDecision.js';
import { createLogger, prettyLine } from '../../src/runtime/logger.js';

function sink(isTTY: boolean): Writable & { isTTY: boolean; text: () => string } {
  let out = '';
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      out += chunk.toString();
      done();
    },
  });
  return Object.assign(stream, { isTTY, text: () => out });
}

const TEMPLATE = 'You are a helpful assistant. '.repeat(100);
const action: DecisionRecord = {
  type: 'action', ts: Date.parse('2026-01-05T08:14:00Z'), id: 'a-1', route: 'support-triage', kind: 'pattern_simplification', rule: 'performance_degradation',
  from: { variant: 'triage-v4', pattern: 'chain_of_thought' }, to: { variant: 'triage-v4~few_shot', pattern: 'few_shot' }, reason: 'p95 over target',
  evidence: { metric: 'latency_p95_ms', value: 7210, threshold: 2400, samples: 2400 },
  prompt: { source: 'derived', baseline_tokens: 900, candidate_tokens: 700, changes: [{ name: 'dropped_reasoning', text: [TEMPLATE] }] },
};
const trigger: TriggerRecord = {
  type: 'trigger', ts: Date.parse('2026-01-05T08:12:00Z'), route: 'support-triage', variant: 'triage-v4', rule: 'response_time_warning', metric: 'latency_p95_ms',
  value: 7210.4, threshold: 3000, severity: 'warning', state: 'firing',
  evidence: { window_ms: 300_000, window_start: 0, window_end: 300_000, samples: 2400, threshold_from: { kind: 'target', target: 'latency_p95_ms', reference: 2000, margin_pct: 50 }, held_ms: 60_000 },
};

describe('logs people can read', () => {
  it('a decision is one plain sentence with the route, what, why and the key numbers', () => {
    expect(describeDecision(trigger)).toBe('support-triage/triage-v4: p95 latency 7.21 s is above 3.00 s for 1 min (2400 calls) — response_time_warning fires, warning');
    expect(describeDecision(action)).toBe('support-triage: pattern simplification proposed, triage-v4 (chain of thought) → triage-v4~few_shot (few shot), because p95 latency 7.21 s breached 2.40 s (performance_degradation); an A/B test decides');
    expect(describeDecision({ ...trigger, metric: 'accuracy' as const, value: 0.871, threshold: 0.9 })).toContain('accuracy 87.1 % is below 90.0 %');
  });

  it('on a terminal: one line per entry, no template, no JSON', () => {
    const tty = sink(true);
    const log = createLogger(parseConfig({}), tty).child({ component: 'decisions' });
    log.info({ decision: action }, describeDecision(action));
    log.warn({ err: new Error('broker away'), attempt: 3 }, 'batch failed, retrying');
    const lines = tty.text().split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\d\d:\d\d:\d\d \S*INFO \S* decisions support-triage: pattern simplification proposed/);
    expect(lines[1]).toMatch(/WARN .* batch failed, retrying {2}.*err="broker away" attempt=3/);
    expect(tty.text()).not.toContain('You are a helpful assistant');
    expect(tty.text()).not.toContain('{"');
  });

  it('not a terminal (or format json): JSON lines carrying the whole decision', () => {
    const pipe = sink(false);
    createLogger(parseConfig({}), pipe).info({ decision: action }, describeDecision(action));
    const entry = JSON.parse(pipe.text());
    expect(entry.decision.prompt.changes[0].text[0]).toBe(TEMPLATE);
    expect(entry.level).toBe(30);
    const forced = sink(true);
    createLogger(parseConfig({ log: { format: 'json' } }), forced).info('x');
    expect(JSON.parse(forced.text()).msg).toBe('x');
    const pretty = sink(false);
    createLogger(parseConfig({ log: { format: 'pretty' } }), pretty).info('x');
    expect(pretty.text()).toMatch(/^\d\d:\d\d:\d\d INFO  daemon {4}x\n$/);
  });

  it('levels: below the configured level nothing is written', () => {
    const tty = sink(true);
    const log = createLogger(parseConfig({ log: { level: 'warn' } }), tty);
    log.info('hidden');
    log.debug('hidden');
    log.error('shown');
    expect(tty.text()).not.toContain('hidden');
    expect(tty.text()).toContain('shown');
  });

  it('secrets are redacted in the terminal format too', () => {
    const config = parseConfig({ server: { api_token: 'tok-abc-123' }, redis: { url: 'redis://app:r3d1s-pass@cache:6379/0' } });
    const tty = sink(true);
    createLogger(config, tty).error({ url: config.redis.url, headers: { authorization: 'Bearer tok-abc-123' } }, `cannot reach ${config.redis.url}`);
    expect(tty.text()).toContain('[redacted]');
    expect(tty.text()).not.toMatch(/tok-abc-123|r3d1s-pass/);
  });

  it('a line that is not JSON passes through; long values are cut', () => {
    expect(prettyLine('plain text\n')).toBe('plain text\n');
    const line = prettyLine(JSON.stringify({ level: 30, time: 0, msg: 'm', big: 'x'.repeat(1000) }));
    expect(line.length).toBeLessThan(250);
    expect(line).toContain('…');
    expect(prettyLine(JSON.stringify({ level: 30, time: 0, msg: 'm', routes: ['a', 'b'] }))).toBe('00:00:00 INFO  daemon    m  routes=a,b\n');
  });
});
