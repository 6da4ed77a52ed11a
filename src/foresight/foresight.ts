import type { Config } from '../config/schema.js';
import type { DecisionRecord } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import type { WindowStats } from '../windows/windowStats.js';
import { HistoryRecorder } from './historyRecorder.js';
import type { HistoryStore } from './historyStore.js';
import { HOUR_MS, type HourlyRollup } from './hourlyRollup.js';
import { MemoryHistoryStore } from './memoryHistoryStore.js';

/**
 * Continuous monitoring beyond the rolling window (DESIGN §3): the
 * long-horizon history of every route and the rules that read it. The engine
 * feeds it every accepted call and calls it at every closed bucket boundary
 * of a route, after the window rules.
 *
 * @remarks Pure and synchronous like the engine: time comes only from the
 * events and boundaries, so replay yields the same history and records.
 */
export class Foresight {
  readonly history: HistoryStore;
  private readonly recorder: HistoryRecorder;

  constructor(
    private readonly config: Config,
    history?: HistoryStore,
  ) {
    this.history = history ?? new MemoryHistoryStore({ retentionMs: config.monitoring.history.retention, maxRoutes: config.monitoring.history.max_routes });
    this.recorder = new HistoryRecorder(this.history);
  }

  /** One accepted call (cost after the price table). */
  onEvent(event: TelemetryEvent, costUsd: number | undefined): void {
    this.recorder.add(event, costUsd);
  }

  /** `weight` accepted calls known only by latency (OTLP histograms). */
  onLatencyCalls(route: string, ts: number, latencyMs: number, weight: number): void {
    this.recorder.addLatencyCalls(route, ts, latencyMs, weight);
  }

  /**
   * A route's bucket boundary closed (epoch ms event time): seals the hours
   * it passed. `production` is the window of the route's production variant
   * (null when unknown). Records go to `out`.
   */
  onBoundary(route: string, boundaryMs: number, _production: WindowStats | null, _out: DecisionRecord[]): void {
    this.recorder.seal(route, boundaryMs);
  }

  /**
   * The route's live state is gone: all traffic stopped (`keep`: its open
   * hours are sealed now) or it was evicted on probation (its open hours are
   * dropped, so junk names never push real routes out of the history).
   */
  onRouteRetired(route: string, keep: boolean): void {
    if (keep) this.recorder.sealAll(route);
    else this.recorder.discard(route);
  }

  /**
   * The route's hours from `fromMs` to `toMs` (epoch ms), oldest first: the
   * stored ones, then the open hour (partial, not yet sealed) when it falls
   * in the range.
   */
  hours(route: string, fromMs: number, toMs: number): HourlyRollup[] {
    const out = [...this.history.hours(route, fromMs, toMs)];
    const current = Math.floor((toMs - 1) / HOUR_MS) * HOUR_MS;
    const open = current >= fromMs ? this.recorder.peek(route, current) : null;
    if (open !== null && (out.length === 0 || out[out.length - 1]!.hourStartMs < current)) out.push(open);
    return out;
  }

  /** Open (unsealed) hours over every route. */
  get openHours(): number {
    return this.recorder.openHours;
  }
}
