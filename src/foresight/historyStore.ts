import type { HourlyRollup } from './hourlyRollup.js';

/**
 * Port: the long-horizon history of routes — sealed hourly rollups, weeks
 * deep. Synchronous on purpose: the engine is a pure, synchronous step
 * function, and replay must read exactly what live mode read. A persistent
 * adapter keeps a write-through copy of its in-memory view (see
 * {@link MemoryHistoryStore}).
 */
export interface HistoryStore {
  /**
   * Stores a sealed hour of a route. Appending an hour already stored
   * replaces it. Hours older than the retention are dropped.
   */
  append(route: string, hour: HourlyRollup): void;
  /** The route's stored hours with `fromMs ≤ hourStartMs < toMs`, oldest first. */
  hours(route: string, fromMs: number, toMs: number): readonly HourlyRollup[];
  /** Routes with stored history, sorted. */
  routes(): string[];
  /** Stored hours over every route (for memory gauges and tests). */
  readonly size: number;
}
