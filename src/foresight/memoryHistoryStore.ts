import type { HourlyRollup } from './hourlyRollup.js';
import type { HistoryStore } from './historyStore.js';

/** Bounds of a {@link MemoryHistoryStore}. */
export interface HistoryLimits {
  /** Hours kept per route, counted back from the route's newest stored hour, ms. */
  readonly retentionMs: number;
  /** Routes with history; a new route past it evicts the one appended to least recently. */
  readonly maxRoutes: number;
  /**
   * Entries held at most, all routes together ({@link entriesOf}: an hour counts
   * once plus once per variant it keeps); past it the route appended to least
   * recently loses its oldest hours first. Default: no cap beyond the two above.
   */
  readonly maxEntries?: number;
}

/** Entries one hour takes against {@link HistoryLimits.maxEntries}: the route's rollup plus each per-variant one it keeps. */
export function entriesOf(hour: HourlyRollup): number {
  if (hour.variants === undefined) return 1;
  let n = 1;
  for (const _ in hour.variants) n++;
  return n;
}

/**
 * The embedded {@link HistoryStore}: per route an array of hours sorted by
 * start, trimmed to the retention on every append. Memory is bounded by
 * `maxRoutes × retention / 1 h` rollups and by `maxEntries` (380–480 bytes
 * of heap per entry, measured: 28 days of one variant ≈ 250 KB per route).
 *
 * @remarks Past `maxEntries` the least recently appended route gives up its
 * oldest hour, again until the store fits: a route that went quiet is
 * stripped first, and busy routes, which append every hour and so take turns
 * at the head of that order, end up with about the same depth each. O(1)
 * amortized per append.
 */
export class MemoryHistoryStore implements HistoryStore {
  /** Per route, hours oldest first; Map order = least recently appended first. */
  private readonly byRoute = new Map<string, HourlyRollup[]>();
  private stored = 0;
  private entries = 0;
  private dropped = 0;

  constructor(private readonly limits: HistoryLimits) {}

  /** Hours held. */
  get size(): number {
    return this.stored;
  }

  /** Entries held (see {@link HistoryLimits.maxEntries}). */
  get entryCount(): number {
    return this.entries;
  }

  /** Hours dropped to keep within `maxEntries` since the store was made. */
  get droppedHours(): number {
    return this.dropped;
  }

  append(route: string, hour: HourlyRollup): void {
    let hours = this.byRoute.get(route);
    if (hours === undefined) {
      if (this.byRoute.size >= this.limits.maxRoutes) this.evictOldestRoute();
      hours = [];
    } else {
      this.byRoute.delete(route);
    }
    this.byRoute.set(route, hours);
    let at = hours.length;
    while (at > 0 && hours[at - 1]!.hourStartMs > hour.hourStartMs) at--;
    if (at > 0 && hours[at - 1]!.hourStartMs === hour.hourStartMs) {
      this.entries -= entriesOf(hours[at - 1]!);
      hours[at - 1] = hour;
    } else {
      hours.splice(at, 0, hour);
      this.stored++;
    }
    this.entries += entriesOf(hour);
    const newest = hours[hours.length - 1]!.hourStartMs;
    let drop = 0;
    while (drop < hours.length && hours[drop]!.hourStartMs <= newest - this.limits.retentionMs) drop++;
    if (drop > 0) {
      for (let i = 0; i < drop; i++) this.entries -= entriesOf(hours[i]!);
      hours.splice(0, drop);
      this.stored -= drop;
    }
    this.fitEntries(hour);
  }

  hours(route: string, fromMs: number, toMs: number): readonly HourlyRollup[] {
    const hours = this.byRoute.get(route);
    if (hours === undefined || toMs <= fromMs) return [];
    let lo = 0;
    let hi = hours.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (hours[mid]!.hourStartMs < fromMs) lo = mid + 1;
      else hi = mid;
    }
    const out: HourlyRollup[] = [];
    for (let i = lo; i < hours.length && hours[i]!.hourStartMs < toMs; i++) out.push(hours[i]!);
    return out;
  }

  routes(): string[] {
    return [...this.byRoute.keys()].sort();
  }

  private evictOldestRoute(): void {
    const oldest = this.byRoute.keys().next();
    if (oldest.done === true) return;
    const hours = this.byRoute.get(oldest.value)!;
    this.stored -= hours.length;
    for (const hour of hours) this.entries -= entriesOf(hour);
    this.byRoute.delete(oldest.value);
  }

  /** Drops oldest hours of the least recently appended routes until `maxEntries` holds; `kept` (just appended) stays. */
  private fitEntries(kept: HourlyRollup): void {
    const max = this.limits.maxEntries;
    if (max === undefined) return;
    while (this.entries > max) {
      const head = this.byRoute.entries().next();
      if (head.done === true) return;
      const [route, hours] = head.value;
      const oldest = hours[0];
      if (oldest === undefined || oldest === kept) return;
      hours.shift();
      this.stored--;
      this.dropped++;
      this.entries -= entriesOf(oldest);
      if (hours.length === 0) this.byRoute.delete(route);
    }
  }
}

