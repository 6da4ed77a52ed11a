/** One (route, variant) series. */
export interface SeriesRef {
  readonly route: string;
  readonly variant: string;
}

/** Limits of {@link SeriesLimiter}. */
export interface SeriesLimits {
  /** Live (route, variant) series at most, all routes together. */
  readonly maxSeries: number;
  /** Events a new series must receive before it leaves probation and can no longer be evicted. */
  readonly probationEvents: number;
}

/**
 * Counts live (route, variant) series and remembers which of them are still
 * on probation: created recently and fed fewer than `probationEvents` events.
 *
 * @remarks A burst of junk names (one event each) stays on probation, so when
 * the caps are reached the oldest probationary series is evicted to make room
 * for a new one, instead of the junk locking real new routes out until its
 * windows expire. Series with real traffic graduate after a few events and
 * are never evicted; series of routes declared in the config never enter
 * probation. O(1) per operation (an insertion-ordered map).
 */
export class SeriesLimiter {
  private live = 0;
  private readonly probation = new Map<string, SeriesRef>();

  constructor(readonly limits: SeriesLimits) {}

  /** Live series now. */
  get size(): number {
    return this.live;
  }

  /** Series on probation now. */
  get probationary(): number {
    return this.probation.size;
  }

  /** A series was created; `protectedSeries` (declared in config) skips probation. */
  created(route: string, variant: string, protectedSeries: boolean): void {
    this.live++;
    if (!protectedSeries && this.limits.probationEvents > 0) this.probation.set(seriesKey(route, variant), { route, variant });
  }

  /** A series was removed (retired or evicted). */
  removed(route: string, variant: string): void {
    this.live--;
    this.probation.delete(seriesKey(route, variant));
  }

  /** Called when a series reaches `probationEvents` events: it can no longer be evicted. */
  graduate(route: string, variant: string): void {
    this.probation.delete(seriesKey(route, variant));
  }

  /** The oldest series still on probation, other than `except`'s route, and one `evictable` accepts if given. */
  oldestProbationary(exceptRoute?: string, evictable?: (ref: SeriesRef) => boolean): SeriesRef | undefined {
    let looked = 0;
    for (const ref of this.probation.values()) {
      if (ref.route !== exceptRoute && (evictable === undefined || evictable(ref))) return ref;
      if (++looked >= 64) break;
    }
    return undefined;
  }

  /** Takes a series off probation without removing it (it cannot be evicted, e.g. an experiment uses it). */
  exempt(route: string, variant: string): void {
    this.probation.delete(seriesKey(route, variant));
  }
}

/** The map key of a (route, variant) series. */
export function seriesKey(route: string, variant: string): string {
  return `${route}\u0000${variant}`;
}
