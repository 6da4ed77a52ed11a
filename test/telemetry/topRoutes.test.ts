import { describe, expect, it } from 'vitest';
import { TopRoutes } from '../../src/telemetry/topRoutes.js';
import { mulberry32 } from '../../src/sim/random.js';

describe('TopRoutes', () => {
  it('keeps exactly the k busiest routes, busiest first, ties by name (matches a full sort)', () => {
    const rng = mulberry32(7);
    for (const k of [0, 1, 5, 50]) {
      const routes = Array.from({ length: 2000 }, (_, i) => ({ route: `r${i}`, calls: Math.floor(rng() * 300), watermarkMs: i }));
      const top = new TopRoutes(k);
      for (const r of routes) top.offer(r.route, r.calls, r.watermarkMs);
      const expected = [...routes].sort((a, b) => b.calls - a.calls || (a.route < b.route ? -1 : 1)).slice(0, k);
      expect(top.result()).toEqual(expected);
    }
  });

  it('fewer routes than k: all of them', () => {
    const top = new TopRoutes(10);
    top.offer('b', 1);
    top.offer('a', 1);
    top.offer('c', 5);
    expect(top.result().map((r) => r.route)).toEqual(['c', 'a', 'b']);
  });
});
