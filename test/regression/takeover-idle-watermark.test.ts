import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';

// Two daemons on one Redis, traffic moved from A to B (A out of the load balancer, alive): A's route goes idle, its
// idle ticks move the watermark on with the wall clock, and A's next checkpoint carries that watermark. B held the
// route's calls meanwhile; when it claimed the route it refused every held call dated before A's idle watermark as
// "counted already" — 260 of 290 calls A never saw, gone without a rejection counted. What a checkpoint counted is
// what it holds: no event newer than the newest it took.

const config = parseConfig({ time: { bucket: '1s', allowed_lateness: '2s' } });
const T0 = Date.parse('2026-03-02T09:00:00Z');
const calls = (fromMs: number, count: number) => Array.from({ length: count }, (_, i) => makeEvent(fromMs + i * 100, 'support', 'v1', 300));

describe('a takeover after the old owner idled', () => {
  it('counts the held calls dated between the old owner\'s newest call and its idle-advanced watermark', () => {
    const a = new PipelineEngine(config);
    a.ingest(calls(T0, 100), { nowMs: T0 + 10_000 }); // A's calls: T0 .. T0+9.9 s
    a.advanceIdle(1_000); // the tick that sees the route touched
    for (let s = 0; s < 15; s++) a.advanceIdle(1_000); // 15 s without traffic: the watermark follows the clock
    expect(a.watermarkOf('support')).toBeGreaterThan(T0 + 20_000);
    const checkpoint = a.checkpointRoute('support')!;

    // B held the route's calls from T0+10 s on (sent to B, never to A) and claims the route now.
    const b = new PipelineEngine(config);
    b.holdRoute('support');
    const held = calls(T0 + 10_000, 150);
    const nowMs = T0 + 26_000;
    b.ingest(held, { nowMs });
    b.restoreRoute('support', checkpoint);
    expect(b.releaseRoute('support', nowMs)).toBe(held.length);
    expect(b.tooLateEventsOf('support')).toBe(0);
    expect(b.liveStats('support')![0]!.count).toBe(100 + held.length);

    // What A did count is still refused once: a re-sent call of A's.
    const tooLate: number[] = [];
    b.ingest(calls(T0 + 5_000, 1), { nowMs, onTooLate: (i) => tooLate.push(i) });
    expect(tooLate).toEqual([0]);
    expect(b.liveStats('support')![0]!.count).toBe(100 + held.length);
  });
});
