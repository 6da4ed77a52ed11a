import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseYaml } from '../../src/config/load.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { withCost } from '../../src/engine/costing.js';
import { createSimulator } from '../../src/sim/index.js';

const MIN = 60_000;
const config = parseConfig(parseYaml(readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8'), 'config/demo.yaml'), 'config/demo.yaml');
const events = createSimulator(config.simulator, 0)
  .eventsUntil(40 * MIN)
  .map((e) => withCost(e, config.prices));

function windowOf(route: string, fromMs: number, toMs: number): TelemetryEvent[] {
  return events.filter((e) => e.route === route && e.ts > fromMs && e.ts <= toMs);
}
function stats(window: TelemetryEvent[]) {
  const ok = window.filter((e) => !e.isError);
  const latencies = window.map((e) => e.latencyMs).sort((a, b) => a - b);
  return {
    p95Ms: latencies[Math.floor(0.95 * (latencies.length - 1))] ?? 0,
    costPerTaskUsd: window.reduce((sum, e) => sum + (e.costUsd ?? 0), 0) / ok.length,
    accuracy: ok.filter((e) => e.correct === true).length / ok.length,
    consistency: ok.filter((e) => e.consistent === true).length / ok.length,
  };
}
/** Rolling 5-minute windows (the default statistics window) ending every minute from 5m to 40m. */
const windowsOf = (route: string) => Array.from({ length: 36 }, (_, i) => stats(windowOf(route, i * MIN, (i + 5) * MIN)));

describe('config/demo.yaml', () => {
  it('is a valid config on the standard port with the simulator on and rules at their defaults', () => {
    expect(config.server.port).toBe(4318);
    expect(config.simulator.enabled).toBe(true);
    expect(config.simulator.routes.map((r) => r.route)).toEqual(['support-triage', 'contract-review', 'extract-entities', 'faq-answer']);
    expect(config.rules).toEqual(parseConfig({}).rules);
    // one minute of wall time covers the degradations and the rules' `for` durations
    expect(config.simulator.speedup * MIN).toBeGreaterThanOrEqual(10 * MIN);
    expect(Math.max(...config.simulator.degradations.map((d) => d.at))).toBeLessThanOrEqual(2 * MIN);
  });

  it('support-triage: p95 under its 6 s target before the slowdown, over the 8 s critical line after', () => {
    expect(stats(windowOf('support-triage', 0, MIN)).p95Ms).toBeLessThan(6000 * 1.2);
    for (const w of windowsOf('support-triage').slice(1)) expect(w.p95Ms).toBeGreaterThan(8000);
  });

  it('contract-review: cost per task under budget + 25 % before, above it once inputs grow', () => {
    const threshold = config.targets.cost_per_task_usd * 1.25;
    expect(stats(windowOf('contract-review', 0, 2 * MIN)).costPerTaskUsd).toBeLessThan(threshold * 0.7);
    for (const w of windowsOf('contract-review').slice(2)) expect(w.costPerTaskUsd).toBeGreaterThan(threshold * 1.05);
  });

  it('extract-entities: accuracy falls below 90 % while consistency stays above the 85 % alert', () => {
    expect(stats(windowOf('extract-entities', 0, 90_000)).accuracy).toBeGreaterThan(0.9);
    for (const w of windowsOf('extract-entities').slice(2)) {
      expect(w.accuracy).toBeLessThan(0.9);
      expect(w.consistency).toBeGreaterThan(0.85);
    }
  });

  it('faq-answer stays healthy in every window: no rule has a reason to fire', () => {
    for (const w of windowsOf('faq-answer')) {
      expect(w.p95Ms).toBeLessThan(3000);
      expect(w.accuracy).toBeGreaterThan(0.92);
      expect(w.consistency).toBeGreaterThan(0.85);
      expect(w.costPerTaskUsd).toBeLessThan(0.01);
    }
  });
});
