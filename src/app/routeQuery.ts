import type { ActionBlock } from '../actions/planner.js';
import type { ExperimentSnapshot } from '../abtest/experimentManager.js';
import { targetsFor, type Targets } from '../config/schema.js';
import type { RuleStatus } from '../detectors/index.js';
import type { TrendRecord } from '../core/decision.js';
import { ownEntry } from '../core/records.js';
import type { PipelineEngine } from '../engine/engine.js';
import { HOUR_MS, type HourAggregates, type HourlyRollup } from '../foresight/hourlyRollup.js';
import type { Pattern } from '../core/patterns.js';
import type { RouteSeriesView, StatsSeries } from '../windows/statsSeries.js';
import type { WindowStats } from '../windows/windowStats.js';

/** One variant's live statistics over the current rolling window (DESIGN §6 field names; no data → null). */
export interface VariantStatsView {
  readonly variant: string;
  readonly pattern: Pattern | null;
  readonly count: number;
  readonly latency_ms: { readonly p50: number; readonly p95: number; readonly p99: number } | null;
  readonly error_rate: number | null;
  readonly cost_per_task_usd: number | null;
  readonly tokens_per_quality_point: number | null;
  readonly accuracy: number | null;
  readonly consistency: number | null;
  readonly satisfaction: number | null;
  readonly tokens_per_request: number | null;
  readonly window: { readonly start: number; readonly end: number };
}

/** A rule that holds (pending) or fires on some variant of the route. */
export interface ActiveRuleView {
  readonly variant: string;
  readonly rule: string;
  readonly metric: string;
  readonly state: 'pending' | 'firing';
  readonly severity: string;
  readonly threshold: number | null;
  readonly value: number | null;
  readonly since: number | null;
  readonly fired_at: number | null;
}

/** What `GET /v1/routes/{route}` answers: the operator's first questions about a route. */
export interface RouteView {
  readonly route: string;
  /** The route's event-time watermark, epoch ms (null: configured, no traffic yet). */
  readonly watermark: number | null;
  /** Targets in force (the config's, with the route's overrides). */
  readonly targets: Targets;
  /** The production variant `/v1/assign` serves outside an experiment. */
  readonly serving: { readonly variant: string; readonly pattern: Pattern | null; readonly tier: string | null; readonly max_tokens: number | null } | null;
  readonly variants: readonly VariantStatsView[];
  /** Every enabled rule with its effective threshold and state, judged on the serving variant. */
  readonly rules: readonly RuleStatus[];
  /** Rules pending or firing on any variant. */
  readonly active: readonly ActiveRuleView[];
  /** The experiment in progress (arms, ramp, evidence), or null. */
  readonly experiment: ExperimentSnapshot | null;
  /** Why no new action would be taken now (experiment running, cooldown), or null. */
  readonly blocked: ActionBlock | null;
}

/** Renders one variant's window statistics in the API's field names. */
export function variantStatsView(s: WindowStats): VariantStatsView {
  return {
    variant: s.variant,
    pattern: s.pattern,
    count: s.count,
    latency_ms: s.latencyMs === null ? null : { p50: s.latencyMs.p50, p95: s.latencyMs.p95, p99: s.latencyMs.p99 },
    error_rate: s.errorRate,
    cost_per_task_usd: s.costPerTaskUsd,
    tokens_per_quality_point: s.tokensPerQualityPoint,
    accuracy: s.accuracy,
    consistency: s.consistency,
    satisfaction: s.satisfaction,
    tokens_per_request: s.tokensPerRequest,
    window: { start: s.windowStartMs, end: s.windowEndMs },
  };
}

/**
 * The route queries every adapter asks (HTTP API, dashboard, report): one
 * place that reads the engine, so no adapter reaches into its internals.
 * Read-only; answers reflect the last completed pipeline step.
 */
/** `GET /v1/routes/{route}/history`: hourly rollups (oldest first) and the latest weekly trend. */
export interface RouteHistoryView {
  readonly route: string;
  readonly watermark: number | null;
  readonly hours: readonly HourlyRollup[];
  readonly trend: TrendRecord | null;
}

/** One hour of one variant (`GET /v1/routes/{route}/history?variant=V`): its aggregates, and whether it was the served one. */
export interface VariantHourView extends HourAggregates {
  readonly hourStartMs: number;
  readonly served: boolean;
}

/** `GET /v1/routes/{route}/history?variant=V`: the variant's hours (those it has per-variant history for). */
export interface VariantHistoryView {
  readonly route: string;
  readonly variant: string;
  readonly watermark: number | null;
  readonly hours: readonly VariantHourView[];
}

export class RouteQuery {
  constructor(
    private readonly engine: PipelineEngine,
    private readonly series: StatsSeries | null = null,
  ) {}

  /** Routes with live state, sorted. */
  names(): string[] {
    return this.engine.routeNames();
  }

  /** A route's view; null for a route neither seen in traffic nor configured, registered or frozen. */
  describe(route: string): RouteView | null {
    const engine = this.engine;
    const registry = engine.experiments.registry;
    const stats = engine.liveStats(route);
    // A frozen route whose traffic stopped lost its live state but keeps its freeze: the view must show it.
    const frozen = engine.experiments.isFrozen(route);
    if (stats === null && !registry.has(route) && !frozen) return null;
    const current = registry.current(route);
    const statuses = engine.ruleStatuses(route) ?? [];
    const judged = statuses.find((s) => s.variant === current?.variant) ?? statuses[0];
    const active: ActiveRuleView[] = [];
    for (const { variant, rules } of statuses) {
      for (const r of rules) {
        if (r.state === 'inactive') continue;
        active.push({ variant, rule: r.rule, metric: r.metric, state: r.state, severity: r.severity, threshold: r.threshold, value: r.value, since: r.since, fired_at: r.fired_at });
      }
    }
    const watermark = engine.watermarkOf(route);
    return {
      route,
      watermark,
      targets: targetsFor(this.engine.config, route),
      serving: current === null ? null : { variant: current.variant, pattern: current.pattern, tier: current.tier, max_tokens: current.maxTokens },
      variants: (stats ?? []).map(variantStatsView),
      rules: judged?.rules ?? [],
      active,
      experiment: engine.experiments.runningOn(route),
      blocked: watermark !== null || frozen ? engine.experiments.blockFor(route, watermark ?? -Infinity) : null,
    };
  }

  /** Every live route's view. */
  describeAll(): RouteView[] {
    return this.names().flatMap((name) => this.describe(name) ?? []);
  }

  /**
   * A route's long-horizon history: its hourly rollups over the last `hours`
   * hours before its watermark (the open hour last, partial) and its latest
   * weekly trend; null for a route with neither live state nor history.
   */
  historyOf(route: string, hours: number): RouteHistoryView | null {
    const foresight = this.engine.foresight;
    const watermark = this.engine.watermarkOf(route);
    const stored = foresight.history.hours(route, -Infinity, Infinity);
    const endMs = watermark ?? (stored.length > 0 ? stored[stored.length - 1]!.hourStartMs + HOUR_MS : null);
    if (endMs === null) return null;
    // The variant an hour sealed now is stored with (the route's production variant, or its only one).
    const live = this.engine.liveStats(route);
    const served = this.engine.experiments.registry.current(route)?.variant ?? (live?.length === 1 ? live[0]!.variant : null);
    const rollups = foresight.hours(route, endMs - hours * HOUR_MS, endMs + 1, served);
    return { route, watermark, hours: rollups, trend: foresight.lastTrend(route) };
  }

  /**
   * One variant's hours of a route's history (see {@link historyOf}): the
   * hours that kept it — every hour in which it was the route's only
   * variant, and hours of several variants where it was the served one or
   * among the busiest (`monitoring.history.max_variants`). Null as for {@link historyOf}.
   */
  variantHistoryOf(route: string, variant: string, hours: number): VariantHistoryView | null {
    const history = this.historyOf(route, hours);
    if (history === null) return null;
    const out: VariantHourView[] = [];
    for (const hour of history.hours) {
      const part = (hour.variants === undefined ? undefined : ownEntry(hour.variants, variant)) ?? (hour.variants === undefined && hour.served === variant ? hour : undefined);
      if (part === undefined) continue;
      out.push({
        hourStartMs: hour.hourStartMs, served: hour.served === variant, count: part.count, errorCount: part.errorCount,
        latencyP50Ms: part.latencyP50Ms, latencyP95Ms: part.latencyP95Ms, latencyP99Ms: part.latencyP99Ms, latencySumMs: part.latencySumMs,
        costSumUsd: part.costSumUsd, costSuccessEvents: part.costSuccessEvents, tokenEvents: part.tokenEvents, tokensSum: part.tokensSum,
        qualitySum: part.qualitySum, qualityCount: part.qualityCount, correctTrue: part.correctTrue, correctTotal: part.correctTotal,
      });
    }
    return { route, variant, watermark: history.watermark, hours: out };
  }

  /** A route's recent time series (bounded), or null when none is kept. */
  seriesOf(route: string): RouteSeriesView | null {
    return this.series?.of(route) ?? null;
  }
}
