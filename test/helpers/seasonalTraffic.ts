// Seeded multi-day traffic with a daily cycle, drifts, jumps and spend, for the foresight tests
// (forecasts, anomalies, budgets): fed hour by hour through the engine, as replay feeds it.
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { Config } from '../../src/config/schema.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { mulberry32 } from '../../src/sim/random.js';
import { toWireEvent } from '../../src/codecs/wireEvent.js';
import { gaussian, writeNdjson } from './scenario.js';

export const HOUR = 3_600_000;
export const DAY = 86_400_000;
/** Monday 2026-01-05 00:00 UTC. */
export const START = Date.parse('2026-01-05T00:00:00Z');

/** One simulated route; multipliers apply to the median latency / cost and the rate. */
export interface SeasonalRoute {
  readonly route: string;
  readonly variant?: string;
  /** Mean calls per second at the daily average. */
  readonly ratePerSecond: number;
  /** Median latency at the daily average, ms; calls are lognormal with log-sd `sigma` (default 0.35). */
  readonly medianMs: number;
  readonly sigma?: number;
  /** Relative daily swing of latency: median × (1 + a·sin(2π(h − 8)/24)), peak at 14:00 UTC. */
  readonly latencyCycle?: number;
  /** Relative daily swing of traffic (same phase). */
  readonly trafficCycle?: number;
  /** Latency drift, percent per day (compounded), from `driftFromMs` (after START) on. */
  readonly latencyDriftPctPerDay?: number;
  readonly costDriftPctPerDay?: number;
  readonly driftFromMs?: number;
  /** Mean cost per call, USD (uniform ±10 %). */
  readonly costUsd?: number;
  /** From `atMs` (after START) on, every call costs `factor` times as much (a pricier model, longer answers). */
  readonly costStep?: { readonly atMs: number; readonly factor: number };
  readonly errorRate?: number;
  /** From `atMs` (after START) for `forMs` the error rate is `rate`. */
  readonly errorJump?: { readonly atMs: number; readonly forMs: number; readonly rate: number };
  /** Input/output tokens per call (default 500/200). */
  readonly inputTokens?: number;
  readonly outputTokens?: number;
}

const cycle = (tMs: number, amplitude: number): number => 1 + amplitude * Math.sin((2 * Math.PI * ((tMs % DAY) / HOUR - 8)) / 24);

/** The median latency the route is simulated with at `tMs` (ms). */
export function trueMedianMs(r: SeasonalRoute, tMs: number): number {
  const driftDays = Math.max(0, (tMs - START - (r.driftFromMs ?? 0)) / DAY);
  return r.medianMs * cycle(tMs, r.latencyCycle ?? 0) * (1 + (r.latencyDriftPctPerDay ?? 0) / 100) ** driftDays;
}

/** The p95 latency the route is simulated with at `tMs` (ms): the lognormal's 95th percentile (tail calls aside). */
export function trueP95Ms(r: SeasonalRoute, tMs: number): number {
  return trueMedianMs(r, tMs) * Math.exp(1.6449 * (r.sigma ?? 0.35));
}

/** Events of every route in [fromMs, toMs), sorted by time. One RNG per route, advanced hour by hour. */
export class SeasonalTraffic {
  private readonly rngs: (() => number)[];
  private readonly next: number[];

  constructor(
    readonly routes: readonly SeasonalRoute[],
    seed = 1,
  ) {
    this.rngs = routes.map((_, i) => mulberry32(seed * 1000 + i));
    this.next = routes.map(() => START);
  }

  /** Events with ts < untilMs not produced yet. */
  until(untilMs: number): TelemetryEvent[] {
    const out: TelemetryEvent[] = [];
    this.routes.forEach((r, i) => {
      const rng = this.rngs[i]!;
      let t = this.next[i]!;
      while (t < untilMs) {
        const rate = r.ratePerSecond * cycle(t, r.trafficCycle ?? 0);
        t += (-Math.log(Math.max(rng(), 1e-12)) / rate) * 1000;
        if (t >= untilMs) break;
        const ts = Math.floor(t);
        const e = makeEvent(ts, r.route, r.variant ?? 'v1', Math.round(trueMedianMs(r, ts) * Math.exp((r.sigma ?? 0.35) * gaussian(rng))));
        const driftDays = Math.max(0, (ts - START - (r.driftFromMs ?? 0)) / DAY);
        const step = r.costStep !== undefined && ts - START >= r.costStep.atMs ? r.costStep.factor : 1;
        e.costUsd = (r.costUsd ?? 0.002) * step * (0.9 + 0.2 * rng()) * (1 + (r.costDriftPctPerDay ?? 0) / 100) ** driftDays;
        e.inputTokens = r.inputTokens ?? 500;
        e.outputTokens = r.outputTokens ?? 200;
        const jump = r.errorJump;
        const errorRate = jump !== undefined && ts - START >= jump.atMs && ts - START < jump.atMs + jump.forMs ? jump.rate : (r.errorRate ?? 0.005);
        if (rng() < errorRate) {
          e.isError = true;
          e.errorType = 'server_error';
        }
        out.push(e);
      }
      this.next[i] = t;
    });
    return out.sort((a, b) => a.ts - b.ts);
  }
}

/** Runs `days` of the traffic through a fresh engine, an hour at a time; returns every record. */
export function runDays(config: Config, routes: readonly SeasonalRoute[], days: number, seed = 1): { records: DecisionRecord[]; engine: PipelineEngine } {
  const engine = new PipelineEngine(config);
  const traffic = new SeasonalTraffic(routes, seed);
  const records: DecisionRecord[] = [];
  for (let t = START + HOUR; t <= START + days * DAY; t += HOUR) records.push(...engine.ingest(traffic.until(t)));
  records.push(...engine.flush());
  return { records, engine };
}

/** `days` of the traffic as an NDJSON file of wire events (v1), for the CLI (replay, report); returns its path. */
export function writeSeasonalNdjson(routes: readonly SeasonalRoute[], days: number, seed = 1): string {
  const traffic = new SeasonalTraffic(routes, seed);
  return writeNdjson(traffic.until(START + days * DAY).map((e) => toWireEvent(e)));
}
