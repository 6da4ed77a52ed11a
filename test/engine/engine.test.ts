import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { idleTicks, runEngine } from '../../src/streams/index.js';
import { mulberry32 } from '../../src/sim/random.js';

const config = parseConfig({});
const T0 = Date.parse('2026-01-05T08:00:00Z');

function ev(ts: number, route = 'r', latencyMs = 1000, extra: Partial<TelemetryEvent> = {}): TelemetryEvent {
  return { ...makeEvent(ts, route, 'v1', latencyMs), ...extra };
}

describe('PipelineEngine event time', () => {
  it('judges a window that did not change afresh after a reload: a lowered threshold fires on it', () => {
    const engine = new PipelineEngine(config);
    engine.ingest(Array.from({ length: 40 }, (_, i) => ev(T0 + i * 200, 'r', 2000))); // p95 2 s: under every default threshold
    engine.advanceIdle(1);
    const out: DecisionRecord[] = [];
    for (let t = 0; t < 6; t++) out.push(...engine.advanceIdle(10_000)); // the bucket closes; from then on the window does not change
    expect(out).toEqual([]);
    engine.reconfigure(parseConfig({ rules: [{ name: 'response_time_warning', threshold: 1500 }] }));
    for (let t = 0; t < 9; t++) out.push(...engine.advanceIdle(10_000));
    const triggers = out.flatMap((r) => (r.type === 'trigger' ? [[r.rule, r.state, r.ts - T0]] : []));
    expect(triggers).toEqual([['response_time_warning', 'firing', 100_000]]);
  });

  it('counts an event whose bucket already closed but is still in the window', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0), ev(T0 + 120_000)]); // watermark T0+2m closes buckets before T0+90s
    const before = engine.liveStats('r')![0]!.count;
    const tooLate: number[] = [];
    engine.ingest([ev(T0 + 5_000, 'r', 99_999)], { onTooLate: (i) => tooLate.push(i) });
    expect(tooLate).toEqual([]);
    expect(engine.lateEventsOf('r')).toBe(1);
    expect(engine.counters).toMatchObject({ late: 1, tooLate: 0, accepted: 3 });
    expect(engine.liveStats('r')![0]!.count).toBe(before + 1);
    expect(engine.liveStats('r')![0]!.meanLatencyMs).toBeCloseTo((1000 + 1000 + 99_999) / 3, 6);
  });

  it('rejects by reason only events older than the window or than max_lateness', () => {
    const engine = new PipelineEngine(config);
    engine.ingest([ev(T0), ev(T0 + 600_000)]); // max_lateness 5m behind T0+10m
    const tooLate: [number, number][] = [];
    engine.ingest([ev(T0 + 299_999), ev(T0 + 300_000), ev(T0 + 10_000)], { onTooLate: (i, oldest) => tooLate.push([i, oldest]) });
    expect(tooLate).toEqual([[0, T0 + 300_000], [2, T0 + 300_000]]);
    expect(engine.counters).toMatchObject({ late: 1, tooLate: 2 });
    expect(engine.tooLateEventsOf('r')).toBe(2);

    const lenient = new PipelineEngine(parseConfig({ time: { max_lateness: '1h' } }));
    lenient.ingest([ev(T0 + 600_000)]); // boundary T0+570s: the window starts at T0+270s
    const outside: [number, number][] = [];
    lenient.ingest([ev(T0 + 269_999), ev(T0 + 270_000)], { onTooLate: (i, oldest) => outside.push([i, oldest]) });
    expect(outside).toEqual([[0, T0 + 270_000]]);

    const strict = new PipelineEngine(parseConfig({ time: { max_lateness: '1m' } }));
    strict.ingest([ev(T0 + 600_000)]);
    const rejected: number[] = [];
    strict.ingest([ev(T0 + 539_999), ev(T0 + 540_000)], { onTooLate: (i) => rejected.push(i) });
    expect(rejected).toEqual([0]);
    expect(strict.liveStats('r')![0]!.count).toBe(2);
  });

  it('max_lateness never refuses what allowed_lateness waits for (old configs keep working)', () => {
    const engine = new PipelineEngine(parseConfig({ time: { allowed_lateness: '10m', max_lateness: '1m', window: '30m' } }));
    engine.ingest([ev(T0 + 600_000)]);
    engine.ingest([ev(T0 + 1)]);
    expect(engine.counters).toMatchObject({ tooLate: 0, accepted: 2 });
  });

  it('out-of-order input gives the same window as in-order input: counts and sums exact, same sketch', () => {
    const random = mulberry32(5);
    const inOrder: TelemetryEvent[] = [];
    for (let i = 0; i < 3_000; i++) inOrder.push(ev(T0 + i * 100, 'r', Math.round(200 + 3000 * random() ** 3), { inputTokens: i % 97, costUsd: (i % 13) / 1000 }));
    // exporter-like disorder: batches of 256 delivered in a shuffled order, up to 60 s late
    const batches: TelemetryEvent[][] = [];
    for (let i = 0; i < inOrder.length; i += 256) batches.push(inOrder.slice(i, i + 256));
    const shuffled: TelemetryEvent[] = [];
    for (let g = 0; g < batches.length; g += 3) {
      const group = batches.slice(g, g + 3).reverse();
      for (const b of group) shuffled.push(...b);
    }
    const a = new PipelineEngine(config);
    a.ingest(inOrder);
    const b = new PipelineEngine(config);
    const tooLate: number[] = [];
    b.ingest(shuffled, { onTooLate: (i) => tooLate.push(i) });
    expect(tooLate).toEqual([]);
    expect(b.counters.late).toBeGreaterThan(0);
    const [sa, sb] = [a.liveStats('r')![0]!, b.liveStats('r')![0]!];
    expect(sb.count).toBe(sa.count);
    expect(sb.latencyMs).toEqual(sa.latencyMs);
    expect(sb.tokensPerRequest).toBeCloseTo(sa.tokensPerRequest!, 9);
    expect(sb.totalCostUsd).toBeCloseTo(sa.totalCostUsd!, 9);
  });

  it('a late event reaches the detectors at their next evaluation; earlier decisions stay as they were', () => {
    const engine = new PipelineEngine(config);
    const fast: TelemetryEvent[] = [];
    for (let t = 0; t < 240_000; t += 100) fast.push(ev(T0 + t, 'r', 500));
    const before = engine.ingest(fast);
    expect(before.filter((r) => r.type === 'trigger')).toEqual([]);
    // slow calls from a minute ago arrive now, after their buckets were evaluated
    const slow: TelemetryEvent[] = [];
    for (let t = 150_000; t < 180_000; t += 20) slow.push(ev(T0 + t, 'r', 9_000));
    expect(engine.ingest(slow)).toEqual([]);
    expect(engine.counters.late).toBe(slow.length);
    const after: DecisionRecord[] = [];
    for (let t = 240_000; t < 400_000; t += 100) after.push(...engine.ingest([ev(T0 + t, 'r', 500)]));
    const firing = after.filter((r) => r.type === 'trigger' && r.state === 'firing');
    expect(firing.length).toBeGreaterThan(0);
    expect(firing[0]!.ts).toBeGreaterThanOrEqual(T0 + 210_000); // the first boundary closed after the late batch
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
    // No action, no experiment: one skipped record per episode says why.
    expect(records.filter((r) => r.type !== 'trigger')).toMatchObject([
      { type: 'action', status: 'skipped', variant: 'v2-canary', reason_code: 'not_production', reason: 'v2-canary is not the production variant of route r (v1); only the production variant is optimized' },
    ]);
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
    const again = engine.ingest(slow.slice(0, 100), { onTooLate: (i) => late.push(i) });
    expect(late).toHaveLength(100);
    expect(again.filter((r) => r.type === 'trigger' && r.state === 'firing')).toEqual([]);
    expect(first.some((r) => r.type === 'trigger' && r.state === 'firing')).toBe(true);
  });
});
