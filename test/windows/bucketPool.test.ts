import { describe, expect, it } from 'vitest';
import type { TelemetryEvent } from '../../src/core/event.js';
import { InvariantError } from '../../src/core/errors.js';
import { mulberry32 } from '../../src/sim/random.js';
import { BucketPool } from '../../src/windows/bucketPool.js';
import { RollingWindow } from '../../src/windows/rollingWindow.js';
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

  it('keeps at most its limit of free buckets, each cleared', () => {
    const pool = new BucketPool(2);
    const buckets = [pool.take(), pool.take(), pool.take()];
    for (const bucket of buckets) bucket.addLatencyCalls(100, 3);
    for (const bucket of buckets) pool.give(bucket);
    expect(pool.size).toBe(2);
    const again = pool.take();
    expect(again.count).toBe(0);
    expect(again.latencyMs.isEmpty).toBe(true);
  });

  it('refuses a window whose sketch settings differ from the pool', () => {
    expect(() => new RollingWindow({ ...OPTIONS, relativeAccuracy: 0.02, pool: new BucketPool(4) })).toThrow(InvariantError);
  });
});
