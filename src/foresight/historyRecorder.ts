import type { TelemetryEvent } from '../core/event.js';
import type { StatsBucket } from '../windows/statsBucket.js';
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
/**
 * Where one variant's calls went last: the open hour and the variant's part
 * of it ({@link OpenHour.partFor}), kept by the caller (the engine's per-variant
 * state) so that a call of the same hour goes straight there. Written only by
 * {@link HistoryRecorder.add}; start with {@link NO_HOUR}.
 */
export interface HourSlot {
  hour: OpenHour | null;
  /** The hour's {@link OpenHour.epoch} when {@link hourPart} was taken. */
  hourEpoch: number;
  hourPart: StatsBucket | null;
}

/** A slot that has seen no call yet (spread it into a new one). */
export const NO_HOUR: Readonly<HourSlot> = Object.freeze({ hour: null, hourEpoch: -1, hourPart: null });

/**
 * One route's open hours (usually one or two). The engine holds it for the
 * route's life ({@link HistoryRecorder.routeHours}), so a call or a boundary
 * looks nothing up by route name; it stays the same object until the route is
 * retired ({@link HistoryRecorder.sealAll}, {@link HistoryRecorder.discard}).
 */
export class RouteHours {
  /** Open hours in the order they were opened. */
  readonly hours: OpenHour[] = [];
  /** End of the oldest open hour, epoch ms: a boundary before it seals nothing (Infinity: none open). */
  sealDueMs = Infinity;

  constructor(readonly route: string) {}

  /** The open hour starting at `hourStartMs`, or null. */
  find(hourStartMs: number): OpenHour | null {
    for (const hour of this.hours) if (hour.hourStartMs === hourStartMs) return hour;
    return null;
  }

  /** Recomputes {@link sealDueMs} after hours were opened or sealed. */
  updateSealDue(): void {
    let due = Infinity;
    for (const hour of this.hours) due = Math.min(due, hour.hourStartMs + HOUR_MS);
    this.sealDueMs = due;
  }
}

export class HistoryRecorder {
  /** Open hours by route: every route with calls since it was last retired (its entry stays while it lives). */
  private readonly open = new Map<string, RouteHours>();

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

  /** The route's open hours: the handle the other methods take, the same object until the route is retired. */
  routeHours(route: string): RouteHours {
    let hours = this.open.get(route);
    if (hours === undefined) {
      hours = new RouteHours(route);
      this.open.set(route, hours);
    }
    return hours;
  }

  /**
   * Adds one accepted call of the route; `costUsd` is its cost after the
   * price table. `slot`: where the call's variant went last (updated here).
   */
  add(route: RouteHours, slot: HourSlot, event: TelemetryEvent, costUsd: number | undefined): void {
    let hour = slot.hour;
    if (hour === null || hour.closed || event.ts < hour.hourStartMs || event.ts >= hour.hourStartMs + HOUR_MS) {
      hour = this.hourFor(route, event.ts);
      slot.hour = hour;
      slot.hourEpoch = -1;
    }
    if (slot.hourEpoch !== hour.epoch) {
      slot.hourPart = hour.partFor(event.variant);
      slot.hourEpoch = hour.epoch;
    }
    hour.add(slot.hourPart, event, costUsd);
  }

  /** Adds `weight` calls of a route known only by their latency (OTLP histograms). */
  addLatencyCalls(route: RouteHours, ts: number, latencyMs: number, weight: number): void {
    this.hourFor(route, ts).addLatencyCalls(latencyMs, weight);
  }

  /**
   * Seals every open hour of the route ending at or before `boundaryMs`
   * (epoch ms), stores it, and returns the stored hours, oldest first.
   * `served`: the route's production variant now (null: unknown).
   */
  seal(route: RouteHours, boundaryMs: number, served: string | null = null): readonly HourlyRollup[] {
    // Asked at every bucket boundary of the route: nothing is looked at until an hour ends.
    if (boundaryMs < route.sealDueMs) return NOTHING_SEALED;
    const hours = route.hours;
    let sealed: HourlyRollup[] | null = null;
    let kept = 0;
    for (const hour of hours) {
      if (hour.hourStartMs + HOUR_MS > boundaryMs) hours[kept++] = hour;
      else (sealed ??= []).push(this.store1(route.route, hour, served));
    }
    hours.length = kept;
    route.updateSealDue();
    if (sealed === null) return NOTHING_SEALED;
    return sealed.sort((a, b) => a.hourStartMs - b.hourStartMs);
  }

  /** Seals every open hour of the route, finished or not, and forgets it (the route is retired). */
  sealAll(route: string): readonly HourlyRollup[] {
    const hours = this.open.get(route);
    if (hours === undefined) return NOTHING_SEALED;
    this.open.delete(route);
    return this.seal(hours, Infinity);
  }

  /** Drops the route's open hours unsealed and forgets it. */
  discard(route: string): void {
    const hours = this.open.get(route);
    if (hours === undefined) return;
    this.open.delete(route);
    for (const hour of hours.hours) hour.closed = true;
    hours.hours.length = 0;
    hours.updateSealDue();
  }

  /**
   * The route's open hours starting from `fromMs` up to `toMs` (exclusive), sealed form with `served` as
   * {@link seal} takes it, oldest first, without sealing them (for the API). Usually one; two in the
   * `time.allowed_lateness` after an hour ends.
   */
  peek(route: string, fromMs: number, toMs: number, served: string | null): HourlyRollup[] {
    const open = (this.open.get(route)?.hours ?? []).filter((hour) => hour.hourStartMs >= fromMs && hour.hourStartMs < toMs);
    return open.sort((a, b) => a.hourStartMs - b.hourStartMs).map((hour) => hour.seal(served, this.maxVariants));
  }

  /** The route's open hours (a checkpoint), oldest first. */
  exportRoute(route: string): OpenHourState[] {
    return [...(this.open.get(route)?.hours ?? [])].sort((a, b) => a.hourStartMs - b.hourStartMs).map((hour) => hour.exportState());
  }

  /**
   * Replaces the route's open hours with {@link exportRoute} values, in the
   * route's same {@link RouteHours}; throws an InvariantError, changing
   * nothing, when one is not an hour.
   *
   * @remarks An hour the store holds differently than when the open hour was
   * opened was sealed after the checkpoint (its previous owner sealed it, then
   * died before a newer checkpoint): its calls are in the store already, so it
   * is dropped, not sealed a second time. A continuation of a stored hour whose
   * store entry is unchanged is kept and merged when sealed. Read the route's
   * stored history before (a takeover loads it first).
   */
  importRoute(route: string, states: readonly OpenHourState[]): void {
    const restored = states.map((state) => OpenHour.fromState(state)).filter((hour) => !this.sealedSince(route, hour));
    const imported = new Map(restored.map((hour) => [hour.hourStartMs, hour] as const));
    const hours = this.routeHours(route);
    for (const hour of hours.hours) hour.closed = true;
    hours.hours.length = 0;
    for (const hour of imported.values()) hours.hours.push(hour);
    hours.updateSealDue();
  }

  /** Open hours over every route (bounded: each route's open hours lie within `time.max_lateness` of its watermark). */
  get openHours(): number {
    let n = 0;
    for (const route of this.open.values()) n += route.hours.length;
    return n;
  }

  /** The store holds `hour` otherwise than when it was opened: it was sealed since (see {@link importRoute}). */
  private sealedSince(route: string, hour: OpenHour): boolean {
    const stored = this.store.hours(route, hour.hourStartMs, hour.hourStartMs + 1)[0];
    return stored !== undefined && stored.count !== hour.storedCount;
  }

  private store1(route: string, hour: OpenHour, served: string | null): HourlyRollup {
    hour.closed = true;
    const part = hour.seal(served, this.maxVariants);
    this.onSealed(route, hour, served);
    const stored = this.store.hours(route, hour.hourStartMs, hour.hourStartMs + 1)[0];
    const whole = stored === undefined ? part : mergeHours(stored, part);
    this.store.append(route, whole);
    return whole;
  }

  /** The route's open hour for `ts`, opened when it has none. */
  private hourFor(route: RouteHours, ts: number): OpenHour {
    const start = Math.floor(ts / HOUR_MS) * HOUR_MS;
    let hour = route.find(start);
    if (hour === null) {
      hour = new OpenHour(start, this.store.hours(route.route, start, start + 1)[0]?.count ?? null);
      route.hours.push(hour);
      route.updateSealDue();
    }
    return hour;
  }
}
