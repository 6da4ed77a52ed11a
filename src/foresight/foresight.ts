import { targetsFor, type Config } from '../config/schema.js';
import type { DecisionRecord, MetricName, ThresholdSource, TrendRecord } from '../core/decision.js';
import { INACTIVE, stepRule, type RuleState } from '../detectors/ruleState.js';
import { AnomalyWatch } from './anomalyWatch.js';
import { BudgetWatch } from './budgetWatch.js';
import { StageBudgetWatch } from './stageBudgetWatch.js';
import { TrendWatch } from './trendWatch.js';
import { forecastTrigger } from './forecastTrigger.js';
import { forecastMetric, type ForecastDetection, type ForecastSettings } from './predictiveDegradation.js';
import type { TelemetryEvent } from '../core/event.js';
import type { WindowStats } from '../windows/windowStats.js';
import { HistoryRecorder, type HourSlot, type RouteHours } from './historyRecorder.js';
import type { HistoryStore } from './historyStore.js';
import { HOUR_MS, mergeHours, spendShareOf, type HourlyRollup } from './hourlyRollup.js';
import { MemoryHistoryStore } from './memoryHistoryStore.js';
import type { ForecastEpisode, ForesightRouteState } from './foresightCheckpoint.js';

/** One route metric's `predictive_degradation` episode: its state, last forecast, and what it was judged against. */
type ForecastRule = ForecastEpisode;

/**
 * A live route's foresight state: what the engine holds for the route's life
 * ({@link Foresight.routeOf}), so that its calls and boundaries look nothing
 * up by route name. The same object until the route is retired
 * ({@link Foresight.onRouteRetired}); an import updates it in place.
 */
export class ForesightRoute {
  /** No boundary before this (epoch ms) can close the route's trend week (−Infinity: ask the trend watch). */
  trendDueMs = -Infinity;
  readonly route: string;

  constructor(readonly hours: RouteHours) {
    this.route = hours.route;
  }
}

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
  /** Forecast rule state per route and metric; a route leaves the map once all its metrics are inactive. */
  private readonly forecasts = new Map<string, Map<MetricName, ForecastRule>>();
  private readonly forecastSettings: ForecastSettings;
  private readonly anomalies: AnomalyWatch;
  /** `cost_budget_daily`: spend per budget share per UTC day, over all routes. */
  readonly budget: BudgetWatch;
  private readonly trends: TrendWatch | null;
  /** `response_time_budget`: stage timings against their shares of the response-time budget. */
  private readonly stages: StageBudgetWatch;
  /** Every route with calls since it was last retired, by name (the engine holds each one's handle). */
  private readonly routes = new Map<string, ForesightRoute>();

  constructor(
    private readonly config: Config,
    history?: HistoryStore,
  ) {
    this.history = history ?? new MemoryHistoryStore({ retentionMs: config.monitoring.history.retention, maxRoutes: config.monitoring.history.max_routes, maxEntries: config.monitoring.history.max_entries });
    const trends = config.monitoring.performance_trend_analysis === 'weekly' ? new TrendWatch(config) : null;
    this.trends = trends;
    this.recorder = new HistoryRecorder(this.history, trends === null ? undefined : (route, hour, served) => trends.onSealedHour(route, hour, served), config.monitoring.history.max_variants);
    this.anomalies = new AnomalyWatch(config, this.history);
    this.budget = new BudgetWatch(config);
    this.stages = new StageBudgetWatch(config);
    const p = config.monitoring.predictive_degradation;
    this.forecastSettings = {
      horizonMs: p.horizon,
      minHistoryMs: p.min_history,
      lookbackMs: Math.min(p.lookback, config.monitoring.history.retention),
      confidence: p.confidence,
      minCallsPerHour: p.min_calls_per_hour,
      weeklyFromMs: p.weekly_seasonality_from,
    };
  }

  /** The route's handle: what the per-call and per-boundary methods take, the same object until the route is retired. */
  routeOf(route: string): ForesightRoute {
    let handle = this.routes.get(route);
    if (handle === undefined) {
      handle = new ForesightRoute(this.recorder.routeHours(route));
      this.routes.set(route, handle);
    }
    return handle;
  }

  /** One accepted call of the route (cost after the price table); `slot`: where its variant's calls went last. */
  onEvent(route: ForesightRoute, slot: HourSlot, event: TelemetryEvent, costUsd: number | undefined): void {
    this.recorder.add(route.hours, slot, event, costUsd);
    if (event.stageMs !== undefined) this.stages.onEvent(event);
    this.anomalies.onCalls(event.route, event.ts, 1, event.isError ? 1 : 0);
    if (costUsd !== undefined) this.budget.onSpend(event.ts, spendShareOf(event), costUsd);
  }

  /** `weight` accepted calls known only by latency (OTLP histograms). */
  onLatencyCalls(route: ForesightRoute, ts: number, latencyMs: number, weight: number): void {
    this.recorder.addLatencyCalls(route.hours, ts, latencyMs, weight);
    this.anomalies.onCalls(route.route, ts, weight, 0);
  }

  /**
   * A route's bucket boundary closed (epoch ms event time): seals the hours
   * it passed. `production` is the window of the route's production variant
   * (null when unknown). Records go to `out`.
   */
  onBoundary(handle: ForesightRoute, boundaryMs: number, production: WindowStats | null, out: DecisionRecord[]): void {
    const route = handle.route;
    const sealed = this.recorder.seal(handle.hours, boundaryMs, production?.variant ?? null);
    const variant = production?.variant ?? '*';
    if (sealed.length > 0) {
      // A sealed hour went into the route's trend week, which may have moved.
      handle.trendDueMs = -Infinity;
      if (this.config.monitoring.predictive_degradation.enabled) this.forecast(route, variant, sealed[sealed.length - 1]!.hourStartMs + HOUR_MS, boundaryMs, out);
    }
    if (this.config.monitoring.anomaly.enabled) this.anomalies.evaluate(route, variant, production, boundaryMs, out);
    if (this.config.budgets.cost.enabled) this.budget.evaluate(boundaryMs, out);
    if (this.config.budgets.response_time.enabled) this.stages.evaluate(route, variant, production, boundaryMs, out);
    if (this.trends !== null) {
      if (boundaryMs >= handle.trendDueMs) handle.trendDueMs = this.trends.onBoundary(route, boundaryMs);
      // Also what another route's retirement (its hours sealed) completed.
      for (const record of this.trends.take()) out.push(record);
    }
  }

  /**
   * `predictive_degradation`: forecasts each configured metric of the route
   * from its stored hours up to `historyEndMs` and steps the metric's episode
   * (fires on a shown crossing, resolves after `keep_firing_for` clear).
   */
  private forecast(route: string, variant: string, historyEndMs: number, nowMs: number, out: DecisionRecord[]): void {
    const settings = this.config.monitoring.predictive_degradation;
    const hours = this.history.hours(route, historyEndMs - this.forecastSettings.lookbackMs, historyEndMs);
    if (hours.length < 24) return;
    const targets = targetsFor(this.config, route);
    let states = this.forecasts.get(route);
    for (const [name, threshold] of Object.entries(settings.metrics)) {
      const metric = name as MetricName;
      if (threshold === undefined) continue;
      const from: ThresholdSource =
        typeof threshold === 'number' ? { kind: 'absolute' } : { kind: 'target', target: threshold.target, reference: targets[threshold.target], margin_pct: threshold.margin_pct };
      const value = typeof threshold === 'number' ? threshold : targets[threshold.target] * (1 + threshold.margin_pct / 100);
      const detection = forecastMetric(hours, metric, value, this.forecastSettings, historyEndMs);
      const previous = states?.get(metric);
      const step = stepRule(previous?.state ?? INACTIVE, detection, { forMs: 0, keepFiringForMs: settings.keep_firing_for, maxGapMs: 2 * HOUR_MS }, nowMs);
      if (step.next.phase === 'inactive') states?.delete(metric);
      else if (detection !== null) (states ??= this.forecastStates(route)).set(metric, { state: step.next, last: detection, variant, from });
      if (step.transition === null) continue;
      const evidence = detection ?? previous?.last;
      if (evidence === undefined) continue;
      out.push(forecastTrigger(route, variant, evidence, from, step.transition, settings.severity, this.forecastSettings, nowMs));
    }
    if (states?.size === 0) this.forecasts.delete(route);
  }

  private forecastStates(route: string): Map<MetricName, ForecastRule> {
    const states = new Map<MetricName, ForecastRule>();
    this.forecasts.set(route, states);
    return states;
  }

  /**
   * The route's live state is gone at `nowMs` (its last boundary, epoch ms):
   * all traffic stopped (`keep`: its open hours are sealed now) or it was
   * evicted on probation (its open hours are dropped, so junk names never
   * push real routes out of the history). Its firing anomaly and forecast
   * triggers resolve into `out` with `reason: "no_traffic"`: nobody calls
   * the route any more, so nothing would ever resolve them.
   */
  onRouteRetired(route: string, keep: boolean, nowMs: number, out: DecisionRecord[]): void {
    this.routes.delete(route);
    if (keep) this.recorder.sealAll(route);
    else this.recorder.discard(route);
    this.anomalies.retire(route, nowMs, out);
    this.stages.retire(route, nowMs, out);
    const states = this.forecasts.get(route);
    this.forecasts.delete(route);
    if (states === undefined) return;
    const settings = this.config.monitoring.predictive_degradation;
    for (const [metric, rule] of states) {
      if (rule.state.phase !== 'firing') continue;
      const transition = { state: 'resolved' as const, heldMs: Math.max(0, nowMs - rule.state.firedMs), episodeStartMs: rule.state.episodeStartMs };
      const record = forecastTrigger(route, rule.variant, rule.last, rule.from, transition, settings.severity, this.forecastSettings, nowMs);
      out.push({ ...record, metric, evidence: { ...record.evidence, reason: 'no_traffic' } });
    }
  }

  /**
   * What the route's continuous-monitoring rules hold beyond the stored
   * history (a checkpoint): open episodes of `predictive_degradation`,
   * `anomaly` and `response_time_budget` with what they judge, the weekly
   * trend in progress and the hours not yet sealed.
   */
  exportRoute(route: string): ForesightRouteState {
    return {
      forecasts: [...(this.forecasts.get(route) ?? [])].map(([metric, rule]) => [metric, { state: rule.state, last: rule.last, variant: rule.variant, from: rule.from }] as const),
      anomaly: this.anomalies.exportRoute(route),
      stages: this.stages.exportRoute(route),
      trend: this.trends?.exportRoute(route) ?? null,
      openHours: this.recorder.exportRoute(route),
    };
  }

  /**
   * Replaces the route's state with an {@link exportRoute} value (a restart,
   * a takeover): an episode open before goes on — it does not fire again, and
   * it resolves when its condition clears. Give it a state read by
   * `decodeForesightState` (checked): then it cannot fail.
   */
  importRoute(route: string, state: ForesightRouteState): void {
    // Buckets and sketches first: they are what can be malformed.
    this.recorder.importRoute(route, state.openHours);
    this.stages.importRoute(route, state.stages);
    this.trends?.importRoute(route, state.trend);
    const handle = this.routes.get(route);
    if (handle !== undefined) handle.trendDueMs = -Infinity;
    this.anomalies.importRoute(route, state.anomaly);
    if (state.forecasts.length === 0) this.forecasts.delete(route);
    else this.forecasts.set(route, new Map(state.forecasts.map(([metric, rule]) => [metric, { ...rule }] as const)));
  }

  /**
   * The route's hours from `fromMs` to `toMs` (epoch ms), oldest first: the
   * stored ones and the open ones (partial, not yet sealed) that start in the
   * range — after an hour ends it stays open for `time.allowed_lateness` beside
   * the next one. An open hour is shown as sealing it now would store it:
   * `served` is the route's production variant now (null: unknown), and an
   * hour both stored and open (a late call reopened it) is merged.
   */
  hours(route: string, fromMs: number, toMs: number, served: string | null = null): HourlyRollup[] {
    const out = [...this.history.hours(route, fromMs, toMs)];
    for (const open of this.recorder.peek(route, fromMs, toMs, served)) {
      const stored = out.findIndex((hour) => hour.hourStartMs === open.hourStartMs);
      if (stored < 0) out.push(open);
      else out[stored] = mergeHours(out[stored]!, open);
    }
    return out.sort((a, b) => a.hourStartMs - b.hourStartMs);
  }

  /** The route's latest weekly trend record, or null (none yet, or trends off). */
  lastTrend(route: string): TrendRecord | null {
    return this.trends?.lastOf(route) ?? null;
  }

  /** Open (unsealed) hours over every route. */
  get openHours(): number {
    return this.recorder.openHours;
  }
}
