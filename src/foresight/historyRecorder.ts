import type { TelemetryEvent } from '../core/event.js';
import { HOUR_MS, mergeHours, OpenHour, type HourlyRollup } from './hourlyRollup.js';
import type { HistoryStore } from './historyStore.js';
import type { OpenHourState } from './foresightCheckpoint.js';

/** What {@link HistoryRecorder.seal} returns when no hour ended (shared, frozen). */
const NOTHING_SEALED: readonly HourlyRollup[] = Object.freeze([]);

/**
 * Rolls a route's accepted calls up into hours (event time, UTC) and seals
 * each hour into the {@link HistoryStore} once the route's evaluation
 * boundary has passed its end — so a call that arrives within
 * `time.allowed_lateness` of its hour's end is still in it. Pure and
 * deterministic: replay and live mode seal the same hours.
 *
 * @remarks A call for an hour already sealed (its route had gone idle and was
 * retired, then came back within the hour) opens a continuation that is
 * merged into the stored hour when sealed ({@link mergeHours}).
 */
export class HistoryRecorder {
  /** Open hours by route, then hour start. Usually one or two per route. */
  private readonly open = new Map<string, Map<number, OpenHour>>();

  /**
   * `onSealed`: sees every hour as it is sealed, with its mergeable aggregates
   * and the route's served variant (weekly trends merge them); `maxVariants`:
   * variants kept per sealed hour of several.
   */
  constructor(
    private readonly store: HistoryStore,
    private readonly onSealed: (route: string, hour: OpenHour, served: string | null) => void = () => {},
    private readonly maxVariants = 3,
  ) {}

  /** Adds one accepted call; `costUsd` is its cost after the price table. */
  add(event: TelemetryEvent, costUsd: number | undefined): void {
    this.hourFor(event.route, event.ts).add(event, costUsd);
  }

  /** Adds `weight` calls of a route known only by their latency (OTLP histograms). */
  addLatencyCalls(route: string, ts: number, latencyMs: number, weight: number): void {
    this.hourFor(route, ts).addLatencyCalls(latencyMs, weight);
  }

  /**
   * Seals every open hour of the route ending at or before `boundaryMs`
   * (epoch ms), stores it, and returns the stored hours, oldest first.
   * `served`: the route's production variant now (null: unknown).
   */
  seal(route: string, boundaryMs: number, served: string | null = null): readonly HourlyRollup[] {
    const hours = this.open.get(route);
    if (hours === undefined) return NOTHING_SEALED;
    let sealed: HourlyRollup[] | null = null;
    // Asked at every bucket boundary of the route: keys only, no entry arrays, nothing allocated until an hour ends.
    for (const start of hours.keys()) {
      if (start + HOUR_MS > boundaryMs) continue;
      const hour = hours.get(start)!;
      hours.delete(start);
      (sealed ??= []).push(this.store1(route, hour, served));
    }
    if (hours.size === 0) this.open.delete(route);
    if (sealed === null) return NOTHING_SEALED;
    return sealed.sort((a, b) => a.hourStartMs - b.hourStartMs);
  }

  /** Seals every open hour of the route, finished or not (the route is retired; end of replay input). */
  sealAll(route: string): readonly HourlyRollup[] {
    return this.seal(route, Infinity);
  }

  /** Drops the route's open hours unsealed. */
  discard(route: string): void {
    this.open.delete(route);
  }

  /** The route's open hour starting at `hourStartMs`, sealed form, without sealing it (for the API). */
  peek(route: string, hourStartMs: number): HourlyRollup | null {
    return this.open.get(route)?.get(hourStartMs)?.seal(null, this.maxVariants) ?? null;
  }

  /** The route's open hours (a checkpoint), oldest first. */
  exportRoute(route: string): OpenHourState[] {
    return [...(this.open.get(route)?.values() ?? [])].sort((a, b) => a.hourStartMs - b.hourStartMs).map((hour) => hour.exportState());
  }

  /** Replaces the route's open hours with {@link exportRoute} values; throws an InvariantError, changing nothing, when one is not an hour. */
  importRoute(route: string, states: readonly OpenHourState[]): void {
    const hours = new Map(states.map((state) => [state.hourStartMs, OpenHour.fromState(state)] as const));
    if (hours.size === 0) this.open.delete(route);
    else this.open.set(route, hours);
  }

  /** Open hours over every route (bounded: each route's open hours lie within `time.max_lateness` of its watermark). */
  get openHours(): number {
    let n = 0;
    for (const hours of this.open.values()) n += hours.size;
    return n;
  }

  private store1(route: string, hour: OpenHour, served: string | null): HourlyRollup {
    const part = hour.seal(served, this.maxVariants);
    this.onSealed(route, hour, served);
    const stored = this.store.hours(route, hour.hourStartMs, hour.hourStartMs + 1)[0];
    const whole = stored === undefined ? part : mergeHours(stored, part);
    this.store.append(route, whole);
    return whole;
  }

  private hourFor(route: string, ts: number): OpenHour {
    const start = Math.floor(ts / HOUR_MS) * HOUR_MS;
    let hours = this.open.get(route);
    if (hours === undefined) {
      hours = new Map();
      this.open.set(route, hours);
    }
    let hour = hours.get(start);
    if (hour === undefined) {
      hour = new OpenHour(start);
      hours.set(start, hour);
    }
    return hour;
  }
}
