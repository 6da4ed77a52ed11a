import type { HourlyRollup } from './hourlyRollup.js';
import type { HistoryStore } from './historyStore.js';

/** Bounds of a {@link MemoryHistoryStore}. */
export interface HistoryLimits {
  /** Hours kept per route, counted back from the route's newest stored hour, ms. */
  readonly retentionMs: number;
  /** Routes with history; a new route past it evicts the one appended to least recently. */
  readonly maxRoutes: number;
}

/**
 * The embedded {@link HistoryStore}: per route an array of hours sorted by
 * start, trimmed to the retention on every append. Memory is bounded by
 * `maxRoutes × retention / 1 h` rollups (about 400 bytes each: 28 days ≈
 * 270 KB per route).
 */
export class MemoryHistoryStore implements HistoryStore {
  /** Per route, hours oldest first; Map order = least recently appended first. */
  private readonly byRoute = new Map<string, HourlyRollup[]>();
  private stored = 0;

  constructor(private readonly limits: HistoryLimits) {}

  get size(): number {
    return this.stored;
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
      hours[at - 1] = hour;
    } else {
      hours.splice(at, 0, hour);
      this.stored++;
    }
    const newest = hours[hours.length - 1]!.hourStartMs;
    let drop = 0;
    while (drop < hours.length && hours[drop]!.hourStartMs <= newest - this.limits.retentionMs) drop++;
    if (drop > 0) {
      hours.splice(0, drop);
      this.stored -= drop;
    }
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
    this.stored -= this.byRoute.get(oldest.value)!.length;
    this.byRoute.delete(oldest.value);
  }
}

