import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { idleTicks, runEngine } from '../../src/streams/pipelineOperator.js';

const config = parseConfig({});
const T0 = Date.parse('2026-01-05T08:00:00Z');

function ev(ts: number, route = 'r', latencyMs = 1000, extra: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return { ...makeEvent(ts, route, 'v1', latencyMs), ...extra };
}

describe('PipelineEngine event time', () => {
  it('counts an event whose bucket already closed as late and leaves the statistics alone', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0), ev(T0 + 120_000)]); // watermark T0+2m closes buckets before T0+90s
    const before = engine.liveStats('r')![0]!.count;
    engine.ingest([ev(T0 + 5_000, 'r', 99_999)]);
    expect(engine.lateEventsOf('r')).toBe(1);
    expect(engine.counters.late).toBe(1);
    expect(engine.liveStats('r')![0]!.count).toBe(before);
    expect(engine.liveStats('r')![0]!.latencyMs!.p99).toBeLessThan(2000);
  });

  it('accepts out-of-order events within the allowed lateness', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0 + 60_000), ev(T0 + 35_000), ev(T0 + 59_000)]);
    expect(engine.lateEventsOf('r')).toBe(0);
    expect(engine.liveStats('r')![0]!.count).toBe(3);
  });

  it('keeps one watermark per route: a route far ahead never makes another route late', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0, 'slow'), ev(T0 + 3_600_000, 'fast'), ev(T0 + 1_000, 'slow')]);
    expect(engine.lateEventsOf('slow')).toBe(0);
    expect(engine.watermarkOf('slow')).toBe(T0 + 1_000);
    expect(engine.watermarkOf('fast')).toBe(T0 + 3_600_000);
  });

  it('fills cost from the price table when the event has none', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0, 'r', 1000, { model: 'gpt-4o', inputTokens: 1_000_000, outputTokens: 0 })]);
    expect(engine.liveStats('r')![0]!.costPerTaskUsd).toBeCloseTo(2.5, 10);
  });

  it('null metrics stay null, never 0', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0)]);
    const s = engine.liveStats('r')![0]!;
    expect([s.accuracy, s.consistency, s.costPerTaskUsd, s.tokensPerQualityPoint]).toEqual([null, null, null, null]);
    expect(engine.liveStats('unknown')).toBeNull();
  });

  it("an idle route's watermark moves on with the (virtual) wall clock; its window empties and its alerts resolve", () => {
    const engine = new PipelineEngine(config);
    const slow: TelemetryEvent[] = [];
    for (let t = 0; t < 10 * 60_000; t += 200) slow.push(ev(T0 + t, 'r', 4000));
    const records = engine.ingest(slow);
    expect(records.some((r) => r.type === 'trigger' && r.rule === 'response_time_warning' && r.state === 'firing')).toBe(true);
    expect(engine.liveStats('r')![0]!.count).toBeGreaterThan(0);
    const resolved: DecisionRecord[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ flush }) => {
      const out: number[] = [];
      const sub = idleTicks(1000, scheduler).pipe(runEngine(engine)).subscribe((r) => {
        out.push(r.length);
        resolved.push(...r);
      });
      scheduler.schedule(() => sub.unsubscribe(), 10 * 60_000 + 1);
      flush();
      expect(out.length).toBe(600);
    });
    // The first tick only notices the route went idle; the others move it on by 1 s each until it is retired.
    // Its traffic stopped: the variant is retired, and its open alert resolves instead of staying open forever.
    expect(engine.liveStats('r')).toBeNull();
    expect(engine.routeNames()).toEqual([]);
    const warning = resolved.find((r) => r.type === 'trigger' && r.rule === 'response_time_warning');
    expect(warning).toMatchObject({ state: 'resolved', evidence: { reason: 'no_traffic' } });
  });

  it('is deterministic: same input, same records', () => {
    const input: TelemetryEvent[] = [];
    for (let t = 0; t < 20 * 60_000; t += 100) input.push(ev(T0 + t, t % 300 === 0 ? 'a' : 'b', 1500 + (t % 7000) / 2, { costUsd: 0.2 }));
    const run = (): string => JSON.stringify([...new PipelineEngine(config).ingest(input), ...new PipelineEngine(config).flush()]);
    expect(run()).toBe(run());
  });
});

describe('OTLP latency histograms', () => {
  it('a bucket count of millions is added in O(1) and shows in the percentiles', () => {
    const engine = new PipelineEngine(config);
    // 10 M calls in one data point: per-call objects ran the heap out of memory (found in review).
    engine.ingestHistograms([
      { ts: T0, route: 'h', variant: 'v', metric: 'latency_ms', bounds: [100, 1000, 5000], bucketCounts: [0, 9_000_000, 1_000_000, 0], count: 10_000_000, sum: null },
    ]);
    const s = engine.liveStats('h')![0]!;
    expect(s.count).toBe(10_000_000);
    expect(s.latencyMs!.p50).toBeCloseTo(550, -1);
    expect(s.latencyMs!.p95).toBeCloseTo(3000, -2);
  });
});

describe('which variant is optimized', () => {
  it('a slow canary alerts but is not optimized: no action, no experiment, production keeps being served', () => {
    const engine = new PipelineEngine(config);
    const events: TelemetryEvent[] = [];
    for (let t = 0; t < 20 * 60_000; t += 200) {
      events.push(ev(T0 + t, 'r', 900, { variant: 'v1', pattern: 'few_shot' }));
      events.push(ev(T0 + t + 1, 'r', 4000, { variant: 'v2-canary', pattern: 'chain_of_thought' }));
    }
    const records = [...engine.ingest(events), ...engine.flush()];
    expect(records.some((r) => r.type === 'trigger' && r.variant === 'v2-canary' && r.rule === 'performance_degradation' && r.state === 'firing')).toBe(true);
    expect(records.filter((r) => r.type !== 'trigger')).toEqual([]);
    expect(engine.experiments.assign('r', 'anyone')).toMatchObject({ variant: 'v1', pattern: 'few_shot' });
  });
});

describe('state stays bounded over weeks', () => {
  it('churning route names leave no per-route state behind once their traffic stops', () => {
    const engine = new PipelineEngine(config);
    for (let wave = 0; wave < 20; wave++) {
      const start = T0 + wave * 3_600_000;
      engine.ingest(Array.from({ length: 500 }, (_, i) => ev(start + i * 10, `job-${wave}-${i}`, 3000)));
      engine.advanceIdle(1); // marks them idle
      for (let t = 0; t < 12; t++) engine.advanceIdle(60_000); // 12 idle minutes: windows empty, routes retire
    }
    const sizes = engine.stateSizes();
    expect(sizes).toMatchObject({ routes: 0, detectorRoutes: 0, registryRoutes: 0, cooldowns: 0 });
    expect(sizes.tombstones).toBe(10_000); // 100 bytes each, capped at 100k
  });

  it('a retired route remembers its watermark: a late backlog cannot reopen closed time', () => {
    const engine = new PipelineEngine(config);
    const slow: TelemetryEvent[] = [];
    for (let t = 0; t < 5 * 60_000; t += 500) slow.push(ev(T0 + t, 'r', 4000));
    const first = engine.ingest(slow);
    engine.advanceIdle(1);
    for (let t = 0; t < 12; t++) engine.advanceIdle(60_000);
    expect(engine.routeNames()).toEqual([]);
    const late: number[] = [];
    const again = engine.ingest(slow.slice(0, 100), { onLate: (i) => late.push(i) });
    expect(late).toHaveLength(100);
    expect(again.filter((r) => r.type === 'trigger' && r.state === 'firing')).toEqual([]);
    expect(first.some((r) => r.type === 'trigger' && r.state === 'firing')).toBe(true);
  });
});
