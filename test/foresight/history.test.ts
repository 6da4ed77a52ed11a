import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { HOUR_MS } from '../../src/foresight/hourlyRollup.js';
import { mulberry32 } from '../../src/sim/random.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');

/** `hours` hours of one call every `gapMs` on route r: latency 1000 ms (every 20th 3000 ms), cost $0.01, every 50th failed. */
function traffic(hours: number, gapMs = 10_000, route = 'r'): TelemetryEvent[] {
  const out: TelemetryEvent[] = [];
  let i = 0;
  for (let t = T0; t < T0 + hours * HOUR_MS; t += gapMs, i++) {
    out.push({ ...makeEvent(t, route, 'v1', i % 20 === 0 ? 3000 : 1000), costUsd: 0.01, isError: i % 50 === 0, ...(i % 7 === 0 ? { arm: 'candidate' as const, experiment: 'x' } : {}) });
  }
  return out;
}

describe('long-horizon history (hourly rollups)', () => {
  it('seals each hour once the route has passed its end, with counts, spend by share and percentiles', () => {
    const engine = new PipelineEngine(parseConfig({}));
    engine.ingest(traffic(5));
    const hours = engine.foresight.history.hours('r', 0, Infinity);
    // The fifth hour is still open: its end is not yet behind the watermark minus the lateness.
    expect(hours.map((h) => (h.hourStartMs - T0) / HOUR_MS)).toEqual([0, 1, 2, 3]);
    for (const h of hours) {
      expect(h.count).toBe(360);
      expect(h.errorCount).toBeGreaterThanOrEqual(7);
      expect(h.latencyP50Ms).toBeCloseTo(1000, -1);
      expect(h.latencyP99Ms).toBeCloseTo(3000, -2);
      expect(h.spendUsd.production + h.spendUsd.testing).toBeCloseTo(3.6, 9);
      expect(h.spendUsd.testing).toBeGreaterThan(0.4);
    }
    // The open hour shows up, partial, in the API view.
    const view = engine.foresight.hours('r', T0, T0 + 5 * HOUR_MS);
    expect(view).toHaveLength(5);
    expect(view[4]!.count).toBeLessThanOrEqual(360);
  });

  it('in the lateness after an hour ends it is open beside the next one: the API view shows both, every call counted', () => {
    const engine = new PipelineEngine(parseConfig({}));
    // 20 s into the third hour: the second one ended 20 s behind the watermark, inside allowed_lateness (30 s).
    engine.ingest([...traffic(2), makeEvent(T0 + 2 * HOUR_MS + 20_000, 'r', 'v1', 1000)]);
    expect(engine.foresight.history.hours('r', 0, Infinity).map((h) => (h.hourStartMs - T0) / HOUR_MS)).toEqual([0]);
    // As GET /v1/routes/{route}/history asks: the hours up to the watermark (it read [0, 360], [2, 1]).
    const watermark = engine.watermarkOf('r')!;
    const view = engine.foresight.hours('r', watermark - 24 * HOUR_MS, watermark + 1);
    expect(view.map((h) => [(h.hourStartMs - T0) / HOUR_MS, h.count])).toEqual([[0, 360], [1, 360], [2, 1]]);
  });

  it('counts a late call in its hour, and the same input always gives the same history', () => {
    const run = (): string => {
      const engine = new PipelineEngine(parseConfig({}));
      const events = traffic(3);
      const rng = mulberry32(3);
      // Shuffle within small blocks: out-of-order arrival inside allowed_lateness.
      for (let i = 0; i + 3 < events.length; i += 3) if (rng() < 0.5) [events[i], events[i + 2]] = [events[i + 2]!, events[i]!];
      engine.ingest(events);
      return JSON.stringify(engine.foresight.history.hours('r', 0, Infinity));
    };
    expect(run()).toBe(run());
    expect(JSON.parse(run())).toHaveLength(2);
  });

  it('stays bounded: weeks of traffic keep only the retention', () => {
    const engine = new PipelineEngine(parseConfig({ monitoring: { history: { retention: '2d' } } }));
    for (let day = 0; day < 6; day++) {
      const events = traffic(24, 60_000).map((e) => ({ ...e, ts: e.ts + day * 24 * HOUR_MS }));
      engine.ingest(events);
    }
    expect(engine.foresight.history.hours('r', 0, Infinity)).toHaveLength(48);
    expect(engine.foresight.history.size).toBe(48);
    expect(engine.foresight.openHours).toBeLessThanOrEqual(2);
  });

  it('a route that went idle is sealed, and an hour it comes back to is merged, not overwritten', () => {
    const engine = new PipelineEngine(parseConfig({}));
    engine.ingest(traffic(1).slice(0, 60)); // 10 minutes of the first hour
    engine.advanceIdle(1); // the first tick after traffic only notes the route was touched
    engine.advanceIdle(20 * 60_000); // idle: its window empties, the route is retired and its hour sealed
    expect(engine.hasRoute('r')).toBe(false);
    expect(engine.foresight.history.hours('r', 0, Infinity).map((h) => h.count)).toEqual([60]);
    engine.ingest(traffic(2).slice(240, 300)); // minutes 40-50 of the same hour
    engine.advanceIdle(1);
    engine.advanceIdle(2 * HOUR_MS);
    expect(engine.foresight.history.hours('r', 0, Infinity).map((h) => h.count)).toEqual([120]);
  });
});
