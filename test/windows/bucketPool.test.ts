import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import { InvariantError } from '../../src/core/errors.js';
import { mulberry32 } from '../../src/sim/random.js';
import { BucketPool } from '../../src/windows/bucketPool.js';
import { RollingWindow } from '../../src/windows/rollingWindow.js';
import { StatsBucket } from '../../src/windows/statsBucket.js';
import { toWindowStats } from '../../src/windows/toWindowStats.js';

const OPTIONS = { bucketMs: 1000, windowMs: 5000, allowedLatenessMs: 2000 };

describe('BucketPool', () => {
  it('windows sharing one pool give the same statistics as windows with their own', () => {
    const shared = new BucketPool(8);
    const own = [0, 1, 2].map(() => new RollingWindow(OPTIONS));
    const pooled = [0, 1, 2].map(() => new RollingWindow({ ...OPTIONS, pool: shared }));
    const random = mulberry32(7);
    for (let second = 0; second < 120; second++) {
      for (let w = 0; w < 3; w++) {
        // Bursty, uneven traffic so buckets move between the windows through the pool.
        const calls = random() < 0.3 ? 0 : Math.floor(random() * 4);
        for (let k = 0; k < calls; k++) {
          const event: TelemetryEvent = { ts: second * 1000 + k * 100, route: 'r', variant: `v${w}`, latencyMs: 50 + random() * 5000 * (w + 1), isError: random() < 0.1, costUsd: random() / 100, quality: random() };
          own[w]!.add(event);
          pooled[w]!.add(event);
        }
        own[w]!.closeUntil(second * 1000 - 2000);
        pooled[w]!.closeUntil(second * 1000 - 2000);
        const a = toWindowStats('r', `v${w}`, null, own[w]!.windowTotal, 0, 1);
        const b = toWindowStats('r', `v${w}`, null, pooled[w]!.windowTotal, 0, 1);
        expect({ ...b, spread: undefined }).toEqual({ ...a, spread: undefined });
      }
    }
    expect(shared.size).toBeGreaterThan(0);
  });

  it('hands out cleared slots, reusing freed ones, and keeps at most its limit of dense sketches', () => {
    const pool = new BucketPool(1, 0.01, 2048, 2);
    const slots = [pool.take(), pool.take(), pool.take()];
    expect(new Set(slots).size).toBe(3);
    // Latencies in 20 distinct bins: every slot spills into a dense sketch.
    for (const slot of slots) for (let k = 0; k < 20; k++) pool.addLatencyCalls(slot, 100 * 1.1 ** k, 1);
    for (const slot of slots) pool.give(slot);
    expect(pool.size).toBe(3);
    const again = pool.take();
    expect(slots).toContain(again);
    expect(pool.count(again)).toBe(0);
    expect(pool.exportState(again)).toEqual(new StatsBucket().exportState());
    expect(pool.approxBytes()).toBeLessThan(3 * 400 + 2 * 4096);
  });

  it('holds a bucket inline or dense with the same contents as a StatsBucket', () => {
    const random = mulberry32(11);
    const pool = new BucketPool(4);
    for (const calls of [0, 1, 3, 6, 7, 40]) {
      const slot = pool.take();
      const bucket = new StatsBucket();
      for (let k = 0; k < calls; k++) {
        const event: TelemetryEvent = { ts: 0, route: 'r', variant: 'v', latencyMs: k % 5 === 4 ? 0 : 20 + random() * 3000, isError: random() < 0.2, costUsd: random() / 50, quality: random(), inputTokens: 300 };
        pool.add(slot, event, event.costUsd);
        bucket.add(event);
      }
      pool.addLatencyCalls(slot, 250, 3);
      bucket.addLatencyCalls(250, 3);
      expect(pool.exportState(slot)).toEqual(bucket.exportState());
      const viaPool = new StatsBucket();
      viaPool.merge(bucket);
      viaPool.merge(bucket);
      pool.subtractFrom(viaPool, slot);
      expect(viaPool.exportState()).toEqual(bucket.exportState());
      const restored = pool.take();
      pool.restoreState(restored, bucket.exportState());
      expect(pool.exportState(restored)).toEqual(bucket.exportState());
      const merged = new StatsBucket();
      pool.mergeInto(merged, restored);
      expect(merged.exportState()).toEqual(bucket.exportState());
    }
  });

  it('refuses a bad bucket state, changing nothing', () => {
    const pool = new BucketPool(4);
    const slot = pool.take();
    pool.addLatencyCalls(slot, 100, 2);
    const before = pool.exportState(slot);
    expect(() => pool.restoreState(slot, [[1, 2], [0, 1]])).toThrow(InvariantError);
    expect(() => pool.restoreState(slot, [before[0], [0, 1, 5, 2]])).toThrow(InvariantError);
    expect(pool.exportState(slot)).toEqual(before);
  });

  it('gets every slot of a released window back, and the window starts afresh', () => {
    const pool = new BucketPool(4);
    const w = new RollingWindow({ ...OPTIONS, pool });
    for (let second = 0; second < 12; second++) {
      w.add({ ts: second * 1000, route: 'r', variant: 'v', latencyMs: 100 + second, isError: false });
      w.closeUntil(second * 1000 - 2000);
    }
    expect(w.windowTotal.count).toBe(5);
    const free = pool.size;
    w.release();
    expect(pool.size).toBe(free + 8); // 5 closed buckets, 3 open
    expect(w.isIdle).toBe(true);
    expect(w.windowTotal.count).toBe(0);
    expect(w.add({ ts: 0, route: 'r', variant: 'v', latencyMs: 1, isError: false })).toBe('ok');
  });

  it('refuses a window whose sketch settings differ from the pool', () => {
    expect(() => new RollingWindow({ ...OPTIONS, relativeAccuracy: 0.02, pool: new BucketPool(4) })).toThrow(InvariantError);
  });
});
