// Regression (docs pass): a route that set one of its targets had every other target reset to the built-in
// default instead of the global `targets` value: with `targets: {latency_p95_ms: 3000}` and
// `routes: {fast: {targets: {accuracy: 0.9}}}`, performance_degradation fired on `fast` at 2,400 ms, not 3,600 ms.
// docs/configuration.md says `routes.<name>.targets` merges by key over `targets`.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { targetsFor } from '../../src/config/schema.js';
import { RouteDetector } from '../../src/detectors/index.js';
import { config, drive, triggers } from '../detectors/fixtures.js';

describe("a route's targets merge key by key over the global targets", () => {
  it('keys the route leaves out keep the global value', () => {
    const c = parseConfig({ targets: { latency_p95_ms: 3000, cost_per_task_usd: 0.5 }, routes: { fast: { targets: { accuracy: 0.9 } } } });
    expect(targetsFor(c, 'fast')).toMatchObject({ latency_p95_ms: 3000, cost_per_task_usd: 0.5, accuracy: 0.9 });
  });

  it("performance_degradation fires at the global target + 20 % on a route that set only another target", () => {
    const detector = new RouteDetector(config({ targets: { latency_p95_ms: 3000 }, routes: { fast: { targets: { accuracy: 0.9 } } } }));
    expect(triggers(drive(detector, [{ durationMs: 200_000, knobs: { route: 'fast', p95: 3300 } }]), 'performance_degradation')).toEqual([]);
    const fired = triggers(drive(detector, [{ durationMs: 200_000, knobs: { route: 'fast', p95: 3800 } }], 200_000), 'performance_degradation');
    expect(fired.map((t) => t.record.threshold)).toEqual([3600]);
  });
});
