import type { WindowStats } from './windowStats.js';

/**
 * One point of a (route, variant) time series: the rolling window's statistics
 * at a closed bucket boundary. JSON field names; a metric with no data is null.
 */
export interface SeriesPoint {
  /** Window end, epoch ms event time. */
  readonly t: number;
  readonly count: number;
  readonly p50: number | null;
  readonly p95: number | null;
  readonly p99: number | null;
  readonly error_rate: number | null;
  readonly cost_per_task_usd: number | null;
  readonly tokens_per_quality_point: number | null;
  readonly accuracy: number | null;
}

/** The series of one route: one line per variant, oldest point first. */
export interface RouteSeriesView {
  readonly route: string;
  readonly variants: readonly { readonly variant: string; readonly points: readonly SeriesPoint[] }[];
}

/** Bounds of a {@link StatsSeries}. */
export interface StatsSeriesOptions {
  /** Points kept per (route, variant) (rounded up to an even number). */
  readonly maxPoints: number;
  /** Routes kept; a new route past it replaces the one whose newest point is oldest. */
  readonly maxRoutes: number;
  /**
   * `sliding`: the newest `maxPoints` boundaries (a live dashboard's recent past).
   * `thinning`: the whole run at falling resolution — when full, every other
   * point goes and only every 2nd, 4th, … boundary is kept from then on (a report).
   */
  readonly mode: 'sliding' | 'thinning';
}

interface Line {
  readonly points: SeriesPoint[];
  /** Thinning: record one boundary in `stride`. */
  stride: number;
  seen: number;
}

/**
 * Bounded per-route time series of window statistics, fed with every judged
 * window (the engine's `onEvaluated`). Memory is at most maxRoutes × variants
 * × maxPoints points whatever the traffic or the run's length. Pure and
 * deterministic: the same windows give the same series.
 */
export class StatsSeries {
  private readonly routes = new Map<string, Map<string, Line>>();

  private readonly maxPoints: number;

  constructor(private readonly options: StatsSeriesOptions) {
    // Thinning keeps even indices: an even cap keeps the newest point when it halves.
    this.maxPoints = Math.max(2, options.maxPoints + (options.maxPoints % 2));
  }

  /** Adds one judged window. */
  record(stats: WindowStats): void {
    let byVariant = this.routes.get(stats.route);
    if (byVariant === undefined) {
      if (this.routes.size >= this.options.maxRoutes) this.evictStalest();
      byVariant = new Map();
      this.routes.set(stats.route, byVariant);
    }
    let line = byVariant.get(stats.variant);
    if (line === undefined) {
      line = { points: [], stride: 1, seen: 0 };
      byVariant.set(stats.variant, line);
    }
    if (line.seen++ % line.stride !== 0) return;
    line.points.push(toPoint(stats));
    if (line.points.length <= this.maxPoints) return;
    if (this.options.mode === 'sliding') {
      line.points.shift();
      return;
    }
    let kept = 0;
    for (let i = 0; i < line.points.length; i += 2) line.points[kept++] = line.points[i]!;
    line.points.length = kept;
    line.stride *= 2;
    line.seen = 1;
  }

  /** Routes with a series, sorted. */
  routeNames(): string[] {
    return [...this.routes.keys()].sort();
  }

  /** A route's series, variants sorted by name; null when none is kept. */
  of(route: string): RouteSeriesView | null {
    const byVariant = this.routes.get(route);
    if (byVariant === undefined) return null;
    const variants = [...byVariant.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([variant, line]) => ({ variant, points: [...line.points] }));
    return { route, variants };
  }

  private evictStalest(): void {
    let stalest: string | null = null;
    let stalestMs = Infinity;
    for (const [route, byVariant] of this.routes) {
      let newest = -Infinity;
      for (const line of byVariant.values()) newest = Math.max(newest, line.points[line.points.length - 1]?.t ?? -Infinity);
      if (newest < stalestMs) {
        stalestMs = newest;
        stalest = route;
      }
    }
    if (stalest !== null) this.routes.delete(stalest);
  }
}

function toPoint(s: WindowStats): SeriesPoint {
  return {
    t: s.windowEndMs,
    count: s.count,
    p50: s.latencyMs?.p50 ?? null,
    p95: s.latencyMs?.p95 ?? null,
    p99: s.latencyMs?.p99 ?? null,
    error_rate: s.errorRate,
    cost_per_task_usd: s.costPerTaskUsd,
    tokens_per_quality_point: s.tokensPerQualityPoint,
    accuracy: s.accuracy,
  };
}
