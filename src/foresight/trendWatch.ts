import type { Config } from '../config/schema.js';
import type { TrendMetric, TrendRecord } from '../core/decision.js';
import { StatsBucket } from '../windows/statsBucket.js';
import { toWindowStats } from '../windows/toWindowStats.js';
import { DAY_MS, WEEK_MS, type OpenHour } from './hourlyRollup.js';
import type { TrendRouteState, WeekFigures } from './foresightCheckpoint.js';


interface RouteWeek {
  weekStartMs: number;
  /** The week's hours merged: counts, sums and the latency sketch (so the week's p95 is a true p95). */
  readonly bucket: StatsBucket;
  /** The same for each variant served in production during the week (usually one, two across a promotion). */
  readonly served: Map<string, StatsBucket>;
  /** The variant served at the latest sealed hour. */
  lastServed: string | null;
  previous: { readonly weekStartMs: number; readonly figures: WeekFigures; readonly served: { readonly variant: string; readonly figures: WeekFigures } | null } | null;
  /** The record of the last week closed. */
  last: TrendRecord | null;
}

/** Start of the UTC week (Monday 00:00) containing `tMs`. */
export function weekStartOf(tMs: number): number {
  // 1970-01-01 was a Thursday; Monday 1970-01-05 is 4 days later.
  const offset = 4 * DAY_MS;
  return Math.floor((tMs - offset) / WEEK_MS) * WEEK_MS + offset;
}

/**
 * Weekly trend analysis (`monitoring.performance_trend_analysis: weekly`):
 * every sealed hour of a route is merged into its week (a `StatsBucket`, so
 * the week's p95 comes from the merged sketch, ≤ 1 % error); when the route's
 * watermark passes the week's end, one {@link TrendRecord} compares the week
 * with the one before: p95, cost per task, tokens per quality point,
 * accuracy, error rate, spend and calls. Memory: one bucket and one summary
 * per route, at most `monitoring.history.max_routes` routes.
 */
export class TrendWatch {
  private readonly weeks = new Map<string, RouteWeek>();
  private pending: TrendRecord[] = [];

  constructor(private readonly config: Config) {}

  /** A sealed hour of a route and its production variant then (null: unknown); an hour of a week already closed is ignored. */
  onSealedHour(route: string, hour: OpenHour, served: string | null = null): void {
    const weekStartMs = weekStartOf(hour.hourStartMs);
    let week = this.weeks.get(route);
    if (week === undefined) {
      if (this.weeks.size >= this.config.monitoring.history.max_routes) this.weeks.delete(this.weeks.keys().next().value!);
      week = { weekStartMs, bucket: new StatsBucket(), served: new Map(), lastServed: null, previous: null, last: null };
      this.weeks.set(route, week);
    }
    if (weekStartMs > week.weekStartMs) this.close(route, week, weekStartMs);
    if (weekStartMs !== week.weekStartMs) return;
    week.bucket.merge(hour.bucket);
    const name = served ?? (hour.byVariant.size === 1 ? hour.byVariant.keys().next().value! : null);
    const part = name === null ? undefined : hour.byVariant.get(name);
    if (name === null || part === undefined) return;
    let bucket = week.served.get(name);
    if (bucket === undefined) {
      bucket = new StatsBucket();
      week.served.set(name, bucket);
    }
    bucket.merge(part);
    week.lastServed = name;
  }

  /**
   * Closes the route's week once `nowMs` (its boundary, epoch ms) is past its
   * end. Returns when its week ends now (epoch ms; Infinity: it has none):
   * until then, or until an hour of the route is sealed or its state
   * imported, this has nothing to do for it.
   */
  onBoundary(route: string, nowMs: number): number {
    const week = this.weeks.get(route);
    if (week === undefined) return Infinity;
    if (nowMs >= week.weekStartMs + WEEK_MS) this.close(route, week, weekStartOf(nowMs));
    return week.weekStartMs + WEEK_MS;
  }

  /** The route's latest weekly trend record, or null. */
  lastOf(route: string): TrendRecord | null {
    return this.weeks.get(route)?.last ?? null;
  }

  /** The route's week in progress and the week before (a checkpoint), or null when it has none. */
  exportRoute(route: string): TrendRouteState | null {
    const week = this.weeks.get(route);
    if (week === undefined) return null;
    return {
      weekStartMs: week.weekStartMs,
      bucket: week.bucket.exportState(),
      served: [...week.served].map(([variant, bucket]) => [variant, bucket.exportState()] as const),
      lastServed: week.lastServed,
      previous: week.previous,
      last: week.last,
    };
  }

  /**
   * Replaces the route's week with an {@link exportRoute} value (null: none).
   * Throws an InvariantError, changing nothing, when a bucket is not one.
   */
  importRoute(route: string, state: TrendRouteState | null): void {
    if (state === null) {
      this.weeks.delete(route);
      return;
    }
    const bucket = new StatsBucket();
    bucket.restoreState(state.bucket);
    const served = new Map<string, StatsBucket>();
    for (const [variant, s] of state.served) {
      const b = new StatsBucket();
      b.restoreState(s);
      served.set(variant, b);
    }
    if (!this.weeks.has(route) && this.weeks.size >= this.config.monitoring.history.max_routes) this.weeks.delete(this.weeks.keys().next().value!);
    this.weeks.set(route, { weekStartMs: state.weekStartMs, bucket, served, lastServed: state.lastServed, previous: state.previous, last: state.last });
  }

  /** Trend records completed since the last call. */
  take(): TrendRecord[] {
    if (this.pending.length === 0) return [];
    const out = this.pending;
    this.pending = [];
    return out;
  }

  /** Ends the current week (emitting its record if it had calls) and starts `nextWeekStartMs`. */
  private close(route: string, week: RouteWeek, nextWeekStartMs: number): void {
    const endMs = week.weekStartMs + WEEK_MS;
    if (!week.bucket.isEmpty) {
      const figures = figuresOf(route, week.bucket, week.weekStartMs);
      const previous = week.previous !== null && week.previous.weekStartMs === week.weekStartMs - WEEK_MS ? week.previous.figures : null;
      const metrics: Record<string, TrendMetric> = {};
      for (const key of Object.keys(figures) as (keyof WeekFigures)[]) metrics[key] = compare(figures[key], previous?.[key] ?? null);
      const budgetMs = this.config.budgets.response_time.total_ms;
      // What was served: the variant in production at the week's end against the one at the previous week's end.
      const servedName = week.lastServed;
      const servedBucket = servedName === null ? undefined : week.served.get(servedName);
      const served = servedName === null || servedBucket === undefined ? null : { variant: servedName, figures: figuresOf(route, servedBucket, week.weekStartMs) };
      const previousServed = previous === null ? null : (week.previous?.served ?? null);
      const servedMetrics: Record<string, TrendMetric> = {};
      if (served !== null) for (const key of Object.keys(served.figures) as (keyof WeekFigures)[]) servedMetrics[key] = compare(served.figures[key], previousServed?.figures[key] ?? null);
      const record: TrendRecord = {
        type: 'trend', ts: endMs, route, period: 'week', week_start: week.weekStartMs, week_end: endMs, metrics,
        response_time_budget: { total_ms: budgetMs, p95_within: figures.latency_p95_ms === null ? null : figures.latency_p95_ms <= budgetMs },
        ...(served === null ? {} : { served: { current: served.variant, previous: previousServed?.variant ?? null, metrics: servedMetrics } }),
      };
      this.pending.push(record);
      week.last = record;
      week.previous = { weekStartMs: week.weekStartMs, figures, served };
    }
    week.weekStartMs = nextWeekStartMs;
    week.bucket.clear();
    week.served.clear();
  }
}

function figuresOf(route: string, bucket: StatsBucket, weekStartMs: number): WeekFigures {
  const stats = toWindowStats(route, '*', null, bucket, weekStartMs, weekStartMs + WEEK_MS);
  return {
    latency_p95_ms: stats.latencyMs?.p95 ?? null,
    cost_per_task_usd: stats.costPerTaskUsd,
    tokens_per_quality_point: stats.tokensPerQualityPoint,
    accuracy: stats.accuracy,
    error_rate: stats.errorRate,
    spend_usd: stats.totalCostUsd,
    calls: stats.count,
  };
}

function compare(current: number | null, previous: number | null): TrendMetric {
  const delta = current !== null && previous !== null && previous !== 0 ? ((current - previous) / Math.abs(previous)) * 100 : null;
  return { current, previous, delta_pct: delta };
}
