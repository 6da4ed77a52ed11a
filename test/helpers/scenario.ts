// Deterministic scenario generator for replay golden tests: seeded traffic
// with phases (healthy, degraded, recovered) written as NDJSON.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '../../src/sim/random.js';

export { mulberry32 };

/** Standard normal via Box–Muller. */
export function gaussian(rng: () => number): number {
  const u = Math.max(rng(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

export interface Phase {
  /** Phase length, ms of event time. */
  readonly durationMs: number;
  /** Median latency, ms (lognormal). */
  readonly medianMs: number;
  readonly sigma?: number;
  readonly costUsd?: number;
  /** Probability of correct: true (omitted when undefined). */
  readonly accuracy?: number;
  readonly quality?: number;
  readonly errorRate?: number;
  /** Optional override: latency for every event in [fromMs, toMs) of this phase. */
  readonly spike?: { readonly fromMs: number; readonly toMs: number; readonly latencyMs: number };
}

export interface ScenarioRoute {
  readonly route: string;
  readonly variant: string;
  readonly pattern: string;
  readonly ratePerSecond: number;
  readonly phases: readonly Phase[];
}

export const T0 = Date.parse('2026-01-05T08:00:00Z');

/** Generates events of every route in event-time order. */
export function generate(routes: readonly ScenarioRoute[], seed = 7): object[] {
  const rng = mulberry32(seed);
  const events: { ts: number; order: number; event: object }[] = [];
  let order = 0;
  for (const r of routes) {
    let phaseStart = T0;
    for (const phase of r.phases) {
      const intervalMs = 1000 / r.ratePerSecond;
      for (let t = phaseStart; t < phaseStart + phase.durationMs; t += intervalMs) {
        const ts = Math.round(t + rng() * intervalMs * 0.5);
        const spiking = phase.spike && ts - phaseStart >= phase.spike.fromMs && ts - phaseStart < phase.spike.toMs;
        const latency = spiking ? phase.spike!.latencyMs : phase.medianMs * Math.exp((phase.sigma ?? 0.3) * gaussian(rng));
        const event: Record<string, unknown> = {
          ts, route: r.route, variant: r.variant, pattern: r.pattern,
          latency_ms: Math.round(latency * 10) / 10,
          input_tokens: 400 + Math.floor(rng() * 100), output_tokens: 150 + Math.floor(rng() * 50),
          cost_usd: Math.round((phase.costUsd ?? 0.02) * (0.9 + rng() * 0.2) * 1e6) / 1e6,
          quality: phase.quality ?? 0.9,
        };
        if (phase.accuracy !== undefined) event['correct'] = rng() < phase.accuracy;
        if (phase.errorRate !== undefined && rng() < phase.errorRate) event['error'] = 'timeout';
        events.push({ ts, order: order++, event });
      }
      phaseStart += phase.durationMs;
    }
  }
  events.sort((a, b) => a.ts - b.ts || a.order - b.order);
  return events.map((e) => e.event);
}

/** Writes lines to a fresh temp file and returns its path. */
export function writeNdjson(lines: readonly (object | string)[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'promptpilot-'));
  const path = join(dir, 'events.ndjson');
  writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
  return path;
}

export const MINUTE = 60_000;
