import type { Config } from '../config/schema.js';
import type { DecisionRecord } from '../core/decision.js';
import { withCostUsd, type TelemetryEvent } from '../core/event.js';
import type { HistogramObservation } from '../ports/ports.js';
import type { Pattern } from '../core/patterns.js';
import { RouteDetector, type DetectorMemory, type RuleStatus } from '../detectors/index.js';
import { SeriesLimiter, seriesKey } from './seriesLimiter.js';
import { fullSeriesBytes, seriesCapacity } from './seriesMemory.js';
import { ExperimentManager } from '../abtest/experimentManager.js';
import { legacyActionCooldown } from '../actions/routeCooldown.js';
import { BucketPool } from '../windows/bucketPool.js';
import { RollingWindow } from '../windows/rollingWindow.js';
import { StatsBucket } from '../windows/statsBucket.js';
import { refreshWindowStats, toWindowStats } from '../windows/toWindowStats.js';
import type { WindowStats } from '../windows/windowStats.js';
import { costOf } from './costing.js';
import { PoisonMessageError } from '../core/errors.js';
import { countedThroughMs, decodeRouteCheckpoint, encodeRouteCheckpoint, ROUTE_CHECKPOINT_VERSION, type RouteCheckpoint } from './routeCheckpoint.js';
import { Foresight, type ForesightRoute } from '../foresight/foresight.js';
import { NO_HOUR, type HourSlot } from '../foresight/historyRecorder.js';
import { HeldInputs, isObservation, type HeldInput } from './heldInputs.js';
import type { HistoryStore } from '../foresight/historyStore.js';

/** Retired routes whose watermark is remembered (~100 bytes each). */
/** A new series evicts at most this many probationary ones to find room (a route's slot may take several). */
const MAX_EVICTIONS_PER_SERIES = 8;
const TOMBSTONE_LIMIT = 100_000;
/** The slab of window buckets shared by every series (280 bytes each, more past 4 latency bins): see {@link BucketPool}. */
const BUCKET_POOL_LIMIT = 4096;
/**
 * Inputs held for routes another instance owns, over all routes (a decoded
 * event takes 0.2–0.3 KB of heap, bench/heldInputs.mjs, so 20–30 MB at the
 * bound): a 15 s lease's worth of a takeover gap at over 6,000 calls per second.
 */
export const HELD_INPUTS_LIMIT = 100_000;

/** Per (route, variant) state: its rolling window and last known pattern; where its calls went in the route's hourly history. */
interface VariantState extends HourSlot {
  readonly variant: string;
  readonly window: RollingWindow;
  pattern: Pattern | null;
  /** Events taken, counted up to the probation threshold only. */
  events: number;
  /** The window's {@link RollingWindow.version} when last judged (−1: not yet, or rules reconfigured since). */
  judgedVersion: number;
  /** The statistics of the last judgement, rewritten in place at the next one (see {@link refreshWindowStats}). */
  judged: WindowStats | null;
  /** The detector's memory of this series as of its last judgement (handed back at the next: no lookup by name). */
  detectorMemory: DetectorMemory | null;
}

/** Per route: its own event-time watermark and evaluation boundary. */
interface RouteState {
  readonly route: string;
  readonly variants: Map<string, VariantState>;
  /** The same variants sorted by name: evaluation order, kept sorted on insert. */
  readonly sorted: VariantState[];
  /** Newest event time seen on this route (or advanced while idle), epoch ms. */
  watermarkMs: number;
  /** Every bucket ending at or before this boundary is closed and evaluated. */
  boundaryMs: number;
  /** Newest event time actually added to a window. */
  lastDataMs: number;
  /** Set when an event arrived since the last idle tick. */
  touched: boolean;
  /** Events counted after their bucket had closed. */
  lateEvents: number;
  /** Events rejected as older than the window or than the maximum lateness. */
  tooLateEvents: number;
  /** Restored from a checkpoint that counted events up to here (epoch ms): older ones are refused as counted. −Infinity otherwise. */
  countedThroughMs: number;
  /** The route's foresight state (open hours, trend week), held for the route's life: no lookup by name per call. */
  readonly foresight: ForesightRoute;
  /** {@link ExperimentManager.version} when the three answers below were taken (−1: not yet). */
  controlVersion: number;
  /** The registry's production variant then. */
  production: string | null;
  /** {@link ExperimentManager.isQuiet} then. */
  quiet: boolean;
  /** Not blocked at a boundary since then: a block only ends with time (a cooldown), so it stays unblocked until the version moves. */
  unblocked: boolean;
}

/** Options of {@link PipelineEngine.ingest}. */
export interface IngestOptions {
  /** Wall clock (live mode): no route's watermark moves past it. Absent in replay. */
  readonly nowMs?: number;
  /**
   * Called with the batch index of every event rejected as too late, the
   * oldest event time (epoch ms) its route still accepted, and — when the
   * event was refused because the route's restored checkpoint counted events
   * up to that time (epoch ms) — that time; null otherwise.
   */
  readonly onTooLate?: (index: number, oldestAcceptedMs: number, countedThroughMs: number | null) => void;
  /**
   * Live ingest: the cardinality limits (`limits.*`) apply to each new series
   * in this same step; a refused event or data point is reported and skipped.
   * Absent in replay, which takes every series.
   */
  readonly limits?: CardinalityGuard;
}

/** How {@link IngestOptions.limits} refuses what would break the cardinality limits. */
export interface CardinalityGuard {
  /** Over the memory budget: a new series only takes an evicted one's place. */
  readonly memoryTight: boolean;
  /** Called with the batch index of each refused event (or data point) and why. */
  readonly onRefused: (index: number, problem: CardinalityProblem) => void;
}

/** Why a new series is refused: which field names too many of what, and the limit's message. */
export interface CardinalityProblem {
  readonly field: 'route' | 'variant';
  readonly message: string;
}

/** Routes and variants a batch would add, while it is checked against the limits. */
export interface PendingCardinality {
  newRoutes: number;
  readonly variants: Map<string, Set<string>>;
  /** New series the batch adds (counted when absent). */
  newSeries?: number;
  /** Over the memory budget: a new series needs an evicted one's room. */
  readonly memoryTight?: boolean;
  /**
   * Events the batch brings for a series (the one being admitted): with `limits.probation_events` or more it
   * would leave probation at once, so at the memory capacity it may evict a probationary series that is not idle.
   */
  readonly eventsInBatch?: (route: string, variant: string) => number;
}

/** Optional observers of a {@link PipelineEngine}. */
export interface EngineOptions {
  /**
   * Called with every (route, variant) window the detectors judge, at each
   * closed bucket boundary (event time): what time-series views (dashboard,
   * report) record. Must not throw. The object is the series' own and is
   * rewritten at its next boundary: copy what you keep.
   */
  readonly onEvaluated?: (stats: WindowStats) => void;
  /** Where hourly rollups are kept (default: in memory, bounded by `monitoring.history`). */
  readonly history?: HistoryStore;
}

/** Counters the daemon exports on /metrics. */
export interface EngineCounters {
  /** Events added to route statistics (late ones included). */
  accepted: number;
  /** Accepted events whose bucket had already closed: counted from the route's next evaluation. */
  late: number;
  /** Events rejected as too late: older than the route's window or than `time.max_lateness` behind its watermark. */
  tooLate: number;
  evaluations: number;
  decisions: number;
  /** Probationary series evicted to make room for new ones (limits.max_series, max_routes, memory budget). */
  evicted: number;
  /** Events (OTLP data points) refused because a new series would not fit the memory budget. */
  memoryRefused: number;
}

/** Where the series stand against `limits.memory_budget_bytes` (see {@link seriesCapacity}). */
export interface MemoryAdmission {
  /** Series the budget holds with full windows (at most `limits.max_series`). */
  readonly capacity: number;
  /** Live series now. */
  readonly series: number;
  /** Estimated resident bytes of one series with a full window. */
  readonly seriesBytes: number;
  /** Events refused for memory since start. */
  readonly refused: number;
}

/**
 * The streaming core: per-route event-time windows, bucket closing on the
 * route's watermark, detector evaluation at every closed bucket boundary.
 *
 * @remarks Pure and synchronous: events in, decision records out, time only
 * from the events (and from `advanceIdle`, which the live daemon drives from a
 * scheduler). Replaying the same events yields the same records. Batches are
 * processed in plain loops: per-event Observable emissions cost ~3x here.
 */
export class PipelineEngine {
  private readonly routes = new Map<string, RouteState>();
  /** Watermarks of retired routes, oldest first, bounded by {@link TOMBSTONE_LIMIT}. */
  private readonly tombstones = new Map<string, number>();
  private readonly detector: RouteDetector;
  private readonly bucketMs: number;
  private readonly windowMs: number;
  private readonly latenessMs: number;
  private readonly maxLatenessMs: number;
  readonly counters: EngineCounters = { accepted: 0, late: 0, tooLate: 0, evaluations: 0, decisions: 0, evicted: 0, memoryRefused: 0 };
  /** Series the memory budget holds with full windows (limits stay as started). */
  private readonly memoryCapacity: number;
  private readonly series: SeriesLimiter;
  private readonly buckets = new BucketPool(BUCKET_POOL_LIMIT);
  /** Inputs of routes another instance owns, kept until this one owns them ({@link holdRoute}). */
  private readonly held = new HeldInputs(HELD_INPUTS_LIMIT);
  /** Held inputs refused when they were counted at last (see {@link heldRefused}). */
  private heldRefusedInputs = 0;
  /** Records produced outside a step (an eviction resolving alerts), emitted with the next step's output. */
  private deferred: DecisionRecord[] = [];
  /** Scratch of {@link closeAndEvaluate}: a route boundary's detector records, emptied before it returns. */
  private readonly produced: DecisionRecord[] = [];
  /** Experiments validating the actions, and the route/variant registry behind `/v1/assign`. */
  readonly experiments: ExperimentManager;
  /** Long-horizon history per route and the rules that read it (forecasts, anomalies, budgets, trends). */
  readonly foresight: Foresight;

  private currentConfig: Config;

  constructor(
    config: Config,
    private readonly options: EngineOptions = {},
  ) {
    this.currentConfig = config;
    this.experiments = new ExperimentManager(config);
    this.foresight = new Foresight(config, options.history);
    // The planner sees the registry: templates and tiers registered through the API or made by earlier actions.
    // One cooldown per route: the planner and the experiment lifecycle consult (and start) the same one.
    this.detector = new RouteDetector(config, this.experiments.registry, this.experiments.cooldowns);
    this.bucketMs = config.time.bucket;
    this.windowMs = config.time.window;
    this.latenessMs = config.time.allowed_lateness;
    // An event the evaluation still waits for is never refused.
    this.maxLatenessMs = Math.max(config.time.max_lateness, config.time.allowed_lateness);
    this.series = new SeriesLimiter({ maxSeries: config.limits.max_series, probationEvents: config.limits.probation_events });
    this.memoryCapacity = seriesCapacity(config);
  }

  /** The configuration in force (a reload swaps it between steps). */
  get config(): Config {
    return this.currentConfig;
  }

  /**
   * Swaps the policy sections — rules, targets, routes, actions, prices,
   * abtest, baseline — between two steps (the runner serializes it with the
   * events, so no event sees half of each). Windows, rule states, experiments
   * and the registry carry on. The event-time grid and limits stay as started:
   * a reload changing them is refused before it gets here.
   */
  reconfigure(config: Config): void {
    this.currentConfig = config;
    this.detector.reconfigure(config);
    this.experiments.reconfigure(config);
    // Rules and thresholds may have changed: every window is judged afresh at its next boundary.
    for (const state of this.routes.values()) for (const variant of state.sorted) variant.judgedVersion = -1;
  }

  /**
   * Feeds a batch of validated events in order. Returns the decision records
   * produced by buckets the batch closed. An event whose bucket has already
   * closed still counts (its bucket and window total are updated; detectors
   * and experiments see it from their next evaluation, earlier decisions stay
   * as they were). Only an event older than its route's window, or more than
   * `time.max_lateness` behind its watermark, is rejected (`onTooLate`).
   */
  ingest(events: readonly TelemetryEvent[], options: IngestOptions = {}): DecisionRecord[] {
    const out: DecisionRecord[] = this.takeDeferred();
    const nowMs = options.nowMs ?? Infinity;
    const limits = options.limits;
    let batchCounts: Map<string, number> | undefined;
    const counts = (): Map<string, number> => (batchCounts ??= seriesCounts(events));
    for (let i = 0; i < events.length; i++) {
      const raw = events[i]!;
      if (limits !== undefined && !this.admits(raw.route, raw.variant, limits, i, counts)) continue;
      if (!this.held.isEmpty) {
        const kept = this.held.keep(raw);
        if (kept === 'held') continue;
        if (kept === 'full') for (const record of this.replayHeld(raw.route, this.held.overflow(raw.route), options.nowMs)) out.push(record);
      }
      // Live mode: an event dated ahead of the wall clock is kept, but it does not move the
      // route's watermark past now (else correctly timed events after it would be late).
      const markMs = raw.ts < nowMs ? raw.ts : nowMs;
      let state = this.routes.get(raw.route);
      if (state === undefined) state = this.createRoute(raw.route, markMs);
      state.touched = true;
      if (markMs > state.watermarkMs) {
        state.watermarkMs = markMs;
        this.advance(state, out);
      }
      if (raw.ts < state.watermarkMs - this.maxLatenessMs || raw.ts < state.boundaryMs - this.windowMs || raw.ts <= state.countedThroughMs) {
        this.rejectTooLate(state, 1);
        options.onTooLate?.(i, this.oldestAcceptedMs(state), raw.ts <= state.countedThroughMs ? state.countedThroughMs : null);
        continue;
      }
      let variant = state.variants.get(raw.variant);
      if (variant === undefined) variant = this.createVariant(state, raw.variant);
      const costUsd = costOf(raw, this.currentConfig.prices);
      const added = variant.window.add(raw, costUsd);
      if (added !== 'ok') {
        if (added === 'too_late') {
          this.rejectTooLate(state, 1);
          options.onTooLate?.(i, this.oldestAcceptedMs(state), raw.ts <= state.countedThroughMs ? state.countedThroughMs : null);
          continue;
        }
        state.lateEvents++;
        this.counters.late++;
      }
      if (raw.pattern !== undefined && raw.pattern !== variant.pattern) {
        variant.pattern = raw.pattern;
        this.experiments.registry.observe(raw.route, raw.variant, raw.pattern, raw.tier);
      }
      if (raw.ts > state.lastDataMs) state.lastDataMs = raw.ts;
      if (variant.events < this.series.limits.probationEvents && ++variant.events === this.series.limits.probationEvents) this.series.graduate(raw.route, raw.variant);
      this.counters.accepted++;
      this.foresight.onEvent(state.foresight, variant, raw, costUsd);
      // Only experiment traffic, and a watched route's (after a promotion), needs the event itself with its cost filled in.
      if (raw.experiment !== undefined || this.experiments.watches.active(raw.route)) this.experiments.onEvent(costUsd === raw.costUsd || costUsd === undefined ? raw : withCostUsd(raw, costUsd));
    }
    this.counters.decisions += out.length;
    return out;
  }

  /**
   * Feeds OTLP latency histograms (`gen_ai.client.operation.duration`) into
   * route statistics: each bucket's count becomes that many calls at the
   * bucket's midpoint (first bucket: half its upper bound; overflow bucket: its
   * lower bound), so percentiles carry the histogram's own resolution. Token
   * histograms carry no per-call pairing and are counted, not aggregated.
   */
  ingestHistograms(observations: readonly HistogramObservation[], options: IngestOptions = {}): DecisionRecord[] {
    const out: DecisionRecord[] = this.takeDeferred();
    const nowMs = options.nowMs ?? Infinity;
    const limits = options.limits;
    for (let index = 0; index < observations.length; index++) {
      const o = observations[index]!;
      if (o.metric !== 'latency_ms') continue;
      if (limits !== undefined && !this.admits(o.route, o.variant, limits, index)) continue;
      if (!this.held.isEmpty) {
        const kept = this.held.keep(o);
        if (kept === 'held') continue;
        if (kept === 'full') for (const record of this.replayHeld(o.route, this.held.overflow(o.route), options.nowMs)) out.push(record);
      }
      const markMs = o.ts < nowMs ? o.ts : nowMs;
      let state = this.routes.get(o.route);
      if (state === undefined) state = this.createRoute(o.route, markMs);
      state.touched = true;
      if (markMs > state.watermarkMs) {
        state.watermarkMs = markMs;
        this.advance(state, out);
      }
      const tooLate = o.ts < state.watermarkMs - this.maxLatenessMs || o.ts < state.boundaryMs - this.windowMs || o.ts <= state.countedThroughMs;
      const variant = tooLate ? undefined : (state.variants.get(o.variant) ?? this.createVariant(state, o.variant));
      // Weighted adds: a bucket count of millions costs the same as a count of one.
      for (let i = 0; i < o.bucketCounts.length; i++) {
        const count = o.bucketCounts[i]!;
        if (!(count > 0) || !Number.isFinite(count)) continue;
        const upper = o.bounds[i];
        const lower = i === 0 ? 0 : o.bounds[i - 1]!;
        const latencyMs = upper === undefined ? lower : (lower + upper) / 2;
        const added = variant === undefined ? 'too_late' : variant.window.addLatencyCalls(o.ts, latencyMs, count);
        if (added === 'too_late') {
          this.rejectTooLate(state, count);
          continue;
        }
        if (added === 'late') {
          state.lateEvents += count;
          this.counters.late += count;
        }
        this.counters.accepted += count;
        this.foresight.onLatencyCalls(state.foresight, o.ts, latencyMs, count);
        if (o.ts > state.lastDataMs) state.lastDataMs = o.ts;
        if (variant !== undefined && variant.events < this.series.limits.probationEvents) {
          variant.events = Math.min(this.series.limits.probationEvents, variant.events + count);
          if (variant.events === this.series.limits.probationEvents) this.series.graduate(o.route, o.variant);
        }
      }
    }
    this.counters.decisions += out.length;
    return out;
  }


  /**
   * Moves the watermark of every route that received no event since the last
   * call forward by `elapsedMs` (wall-clock time that passed), closing and
   * evaluating the buckets it passes.
   */
  advanceIdle(elapsedMs: number): DecisionRecord[] {
    const out: DecisionRecord[] = this.takeDeferred();
    if (elapsedMs <= 0) {
      this.counters.decisions += out.length;
      return out;
    }
    for (const state of this.sortedRoutes()) {
      if (state.touched) {
        state.touched = false;
        continue;
      }
      state.watermarkMs += elapsedMs;
      this.advance(state, out);
      if (state.sorted.length === 0) this.retireRoute(state, out);
    }
    this.counters.decisions += out.length;
    return out;
  }

  /** End of input (replay): closes every open bucket of every route and evaluates. */
  flush(): DecisionRecord[] {
    const out: DecisionRecord[] = [];
    for (const state of this.sortedRoutes()) {
      state.watermarkMs = Math.max(state.watermarkMs, state.lastDataMs + this.latenessMs + this.bucketMs);
      this.advance(state, out);
    }
    this.counters.decisions += out.length;
    return out;
  }

  /** Routes seen so far, sorted. */
  routeNames(): string[] {
    return [...this.routes.keys()].sort();
  }

  /**
   * Why an event cannot be taken without exceeding the cardinality limits
   * (`limits.max_routes`, `limits.max_variants_per_route`, `limits.max_series`,
   * the memory budget), or null. A client sending random names must not grow
   * the daemon's memory without bound, nor lock real routes out: at a cap the
   * oldest series still on probation (fewer than `limits.probation_events`
   * events) is evicted to make room. Routes declared in the config are always
   * admitted. `pending` collects what a batch adds before it is ingested.
   *
   * The memory budget refuses a new series twice over: when the live series,
   * each counted with a full window ({@link seriesCapacity}), would not fit
   * it, and while resident memory is close to it (`pending.memoryTight`).
   */
  cardinalityProblem(route: string, variant: string, pending: PendingCardinality): CardinalityProblem | null {
    const state = this.routes.get(route);
    let added = pending.variants.get(route);
    if (state?.variants.has(variant) === true || added?.has(variant) === true) return null;
    const limits = this.currentConfig.limits;
    const declared = this.currentConfig.routes[route] !== undefined;
    if (!declared) {
      const newRoute = state === undefined && added === undefined;
      const routeFull = (): boolean => newRoute && this.routes.size + pending.newRoutes >= limits.max_routes;
      const seriesFull = (): boolean => this.series.size + (pending.newSeries ?? 0) >= limits.max_series;
      const memoryFull = (): boolean => this.series.size + (pending.newSeries ?? 0) >= this.memoryCapacity;
      // Over the memory budget a new series only takes an evicted one's place.
      let mustEvict = pending.memoryTight === true;
      for (let attempt = 0; (routeFull() || seriesFull() || memoryFull() || mustEvict) && attempt < MAX_EVICTIONS_PER_SERIES; attempt++) {
        // The memory capacity alone gives way only to a series whose route has been idle a bucket: more busy series
        // than it holds would otherwise evict each other on every call and none would ever count (they are refused).
        // A series arriving with enough events to leave probation at once is real traffic and need not wait.
        const onlyMemory = !routeFull() && !seriesFull() && !mustEvict && (pending.eventsInBatch?.(route, variant) ?? 0) < limits.probation_events;
        const victim = this.series.oldestProbationary(route, onlyMemory ? this.idleForABucket : undefined);
        if (victim === undefined || !this.evict(victim.route, victim.variant)) break;
        mustEvict = false;
      }
      if (routeFull()) return { field: 'route', message: `too many routes: the limit is ${limits.max_routes} (limits.max_routes)` };
      if (seriesFull()) return { field: 'route', message: `too many (route, variant) series: the limit is ${limits.max_series} (limits.max_series)` };
      if (memoryFull()) {
        this.counters.memoryRefused++;
        const kb = Math.round(fullSeriesBytes(this.currentConfig.time) / 1024);
        // A budget under the process's reserve and the history cap admits nothing: no series will ever retire to make room.
        if (this.memoryCapacity === 0) return { field: 'route', message: `memory budget admits no series: limits.memory_budget_bytes ${limits.memory_budget_bytes} is under what the process reserves and the history cap take (see the start-up log); only routes declared in the config are admitted` };
        return { field: 'route', message: `memory budget full: ${this.memoryCapacity} series with full windows (about ${kb} KB each) fill limits.memory_budget_bytes ${limits.memory_budget_bytes}; no new series until one retires` };
      }
      if (mustEvict) {
        this.counters.memoryRefused++;
        return { field: 'route', message: `memory budget exceeded (limits.memory_budget_bytes ${limits.memory_budget_bytes}): no new series until memory is freed` };
      }
      if (newRoute) pending.newRoutes++;
    }
    const variants = (state?.variants.size ?? 0) + (added?.size ?? 0);
    const declaredVariant = declared && this.currentConfig.routes[route]!.variants.some((v) => v.name === variant);
    if (!declaredVariant && variants >= limits.max_variants_per_route) {
      return { field: 'variant', message: `too many variants on route ${route}: the limit is ${limits.max_variants_per_route} (limits.max_variants_per_route)` };
    }
    if (added === undefined) {
      added = new Set();
      pending.variants.set(route, added);
    }
    added.add(variant);
    pending.newSeries = (pending.newSeries ?? 0) + 1;
    return null;
  }

  /** Whether the series' route has had no event for a bucket or more of its event time. */
  private readonly idleForABucket = (ref: { readonly route: string }): boolean => {
    const state = this.routes.get(ref.route);
    return state !== undefined && state.watermarkMs - state.lastDataMs >= this.bucketMs;
  };

  /** Live series against the memory budget's capacity, for /metrics, /readyz and tests. */
  memoryAdmission(): MemoryAdmission {
    return { capacity: this.memoryCapacity, series: this.series.size, seriesBytes: fullSeriesBytes(this.currentConfig.time), refused: this.counters.memoryRefused };
  }

  /** Live series and those on probation, for /metrics and tests. */
  seriesSizes(): { series: number; probationary: number } {
    return { series: this.series.size, probationary: this.series.probationary };
  }

  /** Entries of every per-route structure, to show (and test) that state stays bounded. */
  stateSizes(): { routes: number; tombstones: number; detectorRoutes: number; cooldowns: number; registryRoutes: number } {
    const detector = this.detector.sizes();
    return {
      routes: this.routes.size,
      tombstones: this.tombstones.size,
      detectorRoutes: detector.routes,
      cooldowns: this.experiments.cooldowns.size,
      registryRoutes: this.experiments.registry.routeNames().length,
    };
  }

  /**
   * Visits every live route with its calls in the live window (closed window
   * plus the buckets still open, as {@link liveStats} counts them), its
   * variant count and its watermark (epoch ms): a cheap scan, no sketch
   * merging, so self-telemetry can pick the busiest routes among many.
   */
  forEachRouteTraffic(visit: (route: string, calls: number, variants: number, watermarkMs: number) => void): void {
    for (const state of this.routes.values()) {
      let calls = 0;
      for (const variant of state.sorted) calls += variant.window.liveCount;
      visit(state.route, calls, state.sorted.length, state.watermarkMs);
    }
  }

  /** Whether the route has been seen. */
  hasRoute(route: string): boolean {
    return this.routes.has(route);
  }

  /** Watermark of a route (epoch ms), or null for an unknown route. */
  watermarkOf(route: string): number | null {
    return this.routes.get(route)?.watermarkMs ?? null;
  }

  /** Events of a route counted after their bucket had closed. */
  lateEventsOf(route: string): number {
    return this.routes.get(route)?.lateEvents ?? 0;
  }

  /** Events of a route rejected as too late. */
  tooLateEventsOf(route: string): number {
    return this.routes.get(route)?.tooLateEvents ?? 0;
  }

  /**
   * Live statistics of every variant of a route over the current rolling
   * window: the closed window plus the buckets still open for late data.
   * Null for a route never seen.
   */
  liveStats(route: string): WindowStats[] | null {
    const state = this.routes.get(route);
    if (state === undefined) return null;
    const stats: WindowStats[] = [];
    for (const variant of state.sorted) {
      const name = variant.variant;
      const total = new StatsBucket();
      total.merge(variant.window.windowTotal);
      for (const open of variant.window.openBuckets()) total.merge(open);
      const endMs = Math.max(state.boundaryMs, state.watermarkMs);
      stats.push(toWindowStats(route, name, variant.pattern ?? this.configuredPattern(route, name), total, state.boundaryMs - this.windowMs, endMs));
    }
    return stats;
  }

  /**
   * Every enabled rule's standing (effective threshold, phase, value while
   * firing) for each live variant of a route; null for a route never seen.
   */
  ruleStatuses(route: string): { variant: string; rules: RuleStatus[] }[] | null {
    const state = this.routes.get(route);
    if (state === undefined) return null;
    return state.sorted.map((v) => ({ variant: v.variant, rules: this.detector.ruleStatuses(route, v.variant) }));
  }

  /** Current pattern of a variant as last seen in traffic or configured. */
  patternOf(route: string, variant: string): Pattern | null {
    return this.routes.get(route)?.variants.get(variant)?.pattern ?? this.configuredPattern(route, variant);
  }

  /**
   * A cheap signature of a route's state (null for an unknown route): it
   * changes whenever an event is counted or a bucket boundary closes — all
   * that changes windows, detectors and watches — so a checkpointer writes
   * only routes whose signature moved since their last checkpoint.
   */
  routeVersion(route: string): string | null {
    const state = this.routes.get(route);
    if (state === undefined) return null;
    let calls = 0;
    for (const variant of state.sorted) calls += variant.window.liveCount;
    return `${state.boundaryMs}:${calls}:${state.lastDataMs}:${state.sorted.length}`;
  }

  /**
   * A route's checkpoint: its windows (sketches, not events), watermark and
   * detector memory (rule states, baselines), as JSON text ({@link encodeRouteCheckpoint}); null for a route
   * not live here. The control state (registry, experiments and their arm
   * statistics, the watch after promotion) is stored apart and not repeated.
   */
  checkpointRoute(route: string): string | null {
    const state = this.routes.get(route);
    if (state === undefined) return null;
    const checkpoint: RouteCheckpoint = {
      v: ROUTE_CHECKPOINT_VERSION,
      route,
      grid: { bucketMs: this.bucketMs, windowMs: this.windowMs, latenessMs: this.latenessMs },
      watermarkMs: state.watermarkMs,
      boundaryMs: state.boundaryMs,
      lastDataMs: state.lastDataMs,
      lateEvents: state.lateEvents,
      tooLateEvents: state.tooLateEvents,
      variants: state.sorted.map((v) => ({ variant: v.variant, pattern: v.pattern, events: v.events, window: v.window.exportState() })),
      detector: this.detector.exportRoute(route),
      foresight: this.foresight.exportRoute(route),
    };
    return encodeRouteCheckpoint(checkpoint);
  }

  /**
   * Replaces a route's live state with a checkpoint of it (a restart, a
   * takeover): windows, watermark and detector memory (the watch after
   * promotion comes with the route's control state, imported before). Events at
   * or before the checkpoint's {@link countedThroughMs} are refused from then
   * on as already counted (`onTooLate`), so a redelivered batch is not
   * counted twice. Throws a PoisonMessageError naming the problem, changing
   * nothing, when `data` is not a checkpoint of this route on this event-time grid.
   */
  restoreRoute(route: string, data: string): void {
    const checkpoint = decodeRouteCheckpoint(data, route, { bucketMs: this.bucketMs, windowMs: this.windowMs, latenessMs: this.latenessMs });
    const variants = checkpoint.variants.map((v): VariantState => {
      const window = new RollingWindow({ bucketMs: this.bucketMs, windowMs: this.windowMs, allowedLatenessMs: this.latenessMs, pool: this.buckets });
      try {
        window.restoreState(v.window);
      } catch (err) {
        throw new PoisonMessageError(`checkpoint of route ${route}: variant ${v.variant}: ${(err as Error).message}`);
      }
      return { variant: v.variant, window, pattern: v.pattern, events: v.events, judgedVersion: -1, judged: null, detectorMemory: null, ...NO_HOUR };
    });
    variants.sort((a, b) => (a.variant < b.variant ? -1 : a.variant > b.variant ? 1 : 0));
    const previous = this.routes.get(route);
    if (previous !== undefined) for (const variant of [...previous.sorted]) this.removeVariant(previous, variant);
    this.tombstones.delete(route);
    const state: RouteState = {
      route,
      variants: new Map(variants.map((v) => [v.variant, v])),
      sorted: variants,
      watermarkMs: checkpoint.watermarkMs,
      boundaryMs: checkpoint.boundaryMs,
      lastDataMs: checkpoint.lastDataMs,
      touched: false,
      lateEvents: checkpoint.lateEvents,
      tooLateEvents: checkpoint.tooLateEvents,
      countedThroughMs: countedThroughMs(checkpoint),
      // The same handle as before the restore, if the route was live: the import below updates it in place.
      foresight: this.foresight.routeOf(route),
      ...NO_CONTROL_ANSWERS,
    };
    this.routes.set(route, state);
    const declared = this.currentConfig.routes[route] !== undefined;
    for (const v of variants) {
      this.series.created(route, v.variant, declared);
      if (v.events >= this.series.limits.probationEvents) this.series.graduate(route, v.variant);
      this.experiments.registry.observe(route, v.variant, v.pattern ?? undefined, undefined);
    }
    this.detector.importRoute(route, checkpoint.detector);
    // A checkpoint written before the route's one cooldown carries the last action's: it goes on (never shortening one).
    const legacy = legacyActionCooldown(checkpoint.detector?.planner, this.currentConfig.actions.cooldown);
    if (legacy !== null) this.experiments.cooldowns.start(route, legacy);
    // An older checkpoint has no foresight state: the route's stays as it is here.
    if (checkpoint.foresight !== undefined) this.foresight.importRoute(route, checkpoint.foresight);
    // The watch after promotion is not taken from the checkpoint: the route's control state, imported before and
    // written after every step that changed it, carries it as it stood last (or its end), never an older copy.
  }

  /**
   * Holds the route's inputs from now on instead of counting them: another
   * instance owns the route, and this one may take it over. They are counted
   * when this instance owns it ({@link releaseRoute}, after restoring the
   * owner's last checkpoint), so none of them is lost and, on top of the
   * checkpoint, none is counted twice. Idempotent.
   *
   * @remarks Bounded by {@link HELD_INPUTS_LIMIT} over all routes: the input
   * that would pass it releases its route, whose held and later inputs are
   * then counted as they come (as an owner counts them) until the next release.
   */
  holdRoute(route: string): void {
    this.held.hold(route);
  }

  /**
   * Stops holding a route and counts what was held, in arrival order, on top
   * of the route's state as it stands — after {@link restoreRoute} of the
   * previous owner's checkpoint that is every held event newer than what the
   * checkpoint counted (older ones are refused as counted already). Their
   * decision records are emitted with the next step's output. `nowMs` is the
   * wall clock (live mode). Returns how many inputs were counted or refused.
   */
  releaseRoute(route: string, nowMs?: number): number {
    const inputs = this.held.release(route);
    for (const record of this.replayHeld(route, inputs, nowMs)) this.deferred.push(record);
    return inputs.length;
  }

  /**
   * Held inputs refused when they were counted at last, since start: by a release ({@link releaseRoute}, a takeover)
   * or by their route's hold overflowing — the restored checkpoint had counted them already, or they had fallen
   * behind the window meanwhile. Their source took them as accepted when they arrived.
   */
  heldRefused(): number {
    return this.heldRefusedInputs;
  }

  /** Inputs held for a route (see {@link holdRoute}); 0 when it is not held. */
  heldOf(route: string): number {
    return this.held.heldOf(route);
  }

  /** Routes held and inputs kept for them, and routes whose hold overflowed (see {@link holdRoute}). */
  heldSizes(): { routes: number; inputs: number; overflowed: number } {
    return this.held.sizes();
  }

  /** Counts a route's held inputs; their records are returned (and counted in `counters.decisions` by the caller, not here). */
  private replayHeld(route: string, inputs: readonly HeldInput[], nowMs: number | undefined): DecisionRecord[] {
    const options: IngestOptions = nowMs === undefined ? {} : { nowMs };
    const out: DecisionRecord[] = [];
    const refusedBefore = this.tooLateEventsOf(route);
    // In arrival order, a run of one kind at a time.
    for (let at = 0; at < inputs.length; ) {
      const observations = isObservation(inputs[at]!);
      let end = at + 1;
      while (end < inputs.length && isObservation(inputs[end]!) === observations) end++;
      const run = inputs.slice(at, end);
      const records = observations ? this.ingestHistograms(run as HistogramObservation[], options) : this.ingest(run as TelemetryEvent[], options);
      this.counters.decisions -= records.length;
      for (const record of records) out.push(record);
      at = end;
    }
    this.heldRefusedInputs += this.tooLateEventsOf(route) - refusedBefore;
    return out;
  }

  /** Whether an existing series, or a new one within the limits, may take this input; reports a refusal. */
  private admits(route: string, variant: string, limits: CardinalityGuard, index: number, batchCounts?: () => Map<string, number>): boolean {
    if (this.routes.get(route)?.variants.has(variant) === true) return true;
    const pending: PendingCardinality = { newRoutes: 0, variants: new Map(), memoryTight: limits.memoryTight, ...(batchCounts !== undefined ? { eventsInBatch: (r: string, v: string) => batchCounts().get(seriesKey(r, v)) ?? 0 } : {}) };
    const problem = this.cardinalityProblem(route, variant, pending);
    if (problem === null) return true;
    limits.onRefused(index, problem);
    return false;
  }

  /** Removes a probationary series (false when it cannot go: an experiment uses it). */
  private evict(route: string, variant: string): boolean {
    const state = this.routes.get(route);
    const victim = state?.variants.get(variant);
    if (state === undefined || victim === undefined) {
      this.series.exempt(route, variant);
      return true;
    }
    if (this.experiments.involves(route, variant)) {
      this.series.exempt(route, variant);
      return false;
    }
    for (const record of this.detector.retire(route, variant, state.boundaryMs)) this.deferred.push(record);
    this.removeVariant(state, victim);
    this.counters.evicted++;
    if (state.sorted.length === 0) this.retireRoute(state, this.deferred, true);
    return true;
  }

  private removeVariant(state: RouteState, variant: VariantState): void {
    variant.window.release(); // its buckets are slots of the shared pool
    state.variants.delete(variant.variant);
    state.sorted.splice(state.sorted.indexOf(variant), 1);
    this.series.removed(state.route, variant.variant);
  }

  private takeDeferred(): DecisionRecord[] {
    if (this.deferred.length === 0) return [];
    const out = this.deferred;
    this.deferred = [];
    // Counted by the caller with the rest of its output.
    return out;
  }

  private configuredPattern(route: string, variant: string): Pattern | null {
    return this.currentConfig.routes[route]?.variants.find((v) => v.name === variant)?.pattern ?? null;
  }

  /**
   * Every variant retired: the route's live state goes (its slot under
   * limits.max_routes is free again), leaving a small tombstone with its
   * watermark so a late backlog for it cannot reopen closed time. Its open
   * history hours are sealed, unless it was `evicted` on probation.
   */
  private retireRoute(state: RouteState, out: DecisionRecord[], evicted = false): void {
    this.routes.delete(state.route);
    this.tombstones.delete(state.route);
    this.tombstones.set(state.route, state.watermarkMs);
    if (this.tombstones.size > TOMBSTONE_LIMIT) this.tombstones.delete(this.tombstones.keys().next().value!);
    this.detector.forgetRoute(state.route);
    // An evicted route was on probation (likely junk): its hours must not push real routes out of the history.
    this.foresight.onRouteRetired(state.route, !evicted, state.boundaryMs, out);
    this.experiments.forgetRoute(state.route, state.watermarkMs);
  }

  private createRoute(route: string, firstTs: number): RouteState {
    const tombstone = this.tombstones.get(route);
    if (tombstone !== undefined) this.tombstones.delete(route);
    const watermarkMs = tombstone !== undefined && tombstone > firstTs ? tombstone : firstTs;
    const state: RouteState = {
      route,
      variants: new Map(),
      sorted: [],
      watermarkMs,
      boundaryMs: this.boundaryFor(watermarkMs),
      lastDataMs: watermarkMs,
      touched: true,
      lateEvents: 0,
      tooLateEvents: 0,
      countedThroughMs: -Infinity,
      foresight: this.foresight.routeOf(route),
      ...NO_CONTROL_ANSWERS,
    };
    this.routes.set(route, state);
    return state;
  }

  private createVariant(state: RouteState, variant: string): VariantState {
    const window = new RollingWindow({ bucketMs: this.bucketMs, windowMs: this.windowMs, allowedLatenessMs: this.latenessMs, pool: this.buckets });
    window.closeUntil(state.boundaryMs);
    const created: VariantState = { variant, window, pattern: this.configuredPattern(state.route, variant), events: 0, judgedVersion: -1, judged: null, detectorMemory: null, ...NO_HOUR };
    this.series.created(state.route, variant, this.currentConfig.routes[state.route] !== undefined);
    this.experiments.registry.observe(state.route, variant, undefined, undefined);
    state.variants.set(variant, created);
    let at = state.sorted.length;
    while (at > 0 && state.sorted[at - 1]!.variant > variant) at--;
    state.sorted.splice(at, 0, created);
    return created;
  }

  private rejectTooLate(state: RouteState, count: number): void {
    state.tooLateEvents += count;
    this.counters.tooLate += count;
  }

  /** Oldest event time a route accepts now: the start of its window, `max_lateness` behind its watermark, or just after its restored checkpoint. */
  private oldestAcceptedMs(state: RouteState): number {
    return Math.max(state.boundaryMs - this.windowMs, state.watermarkMs - this.maxLatenessMs, state.countedThroughMs + 1);
  }

  /** The evaluation boundary a watermark allows: buckets ending ≤ watermark − lateness are closed. */
  private boundaryFor(watermarkMs: number): number {
    return Math.floor((watermarkMs - this.latenessMs) / this.bucketMs) * this.bucketMs;
  }

  /** Closes and evaluates every boundary between the route's last one and its watermark's. */
  private advance(state: RouteState, out: DecisionRecord[]): void {
    const target = this.boundaryFor(state.watermarkMs);
    let boundary = state.boundaryMs;
    while (boundary < target) {
      boundary += this.bucketMs;
      // Past one window after the newest data every window is empty and no
      // rule can change state: jump straight to the target.
      if (boundary - this.bucketMs > state.lastDataMs + this.windowMs + this.bucketMs) boundary = target;
      this.closeAndEvaluate(state, boundary, out);
    }
  }

  private closeAndEvaluate(state: RouteState, boundaryMs: number, out: DecisionRecord[]): void {
    state.boundaryMs = boundaryMs;
    const version = this.experiments.version;
    if (state.controlVersion !== version) {
      state.controlVersion = version;
      state.production = this.experiments.registry.current(state.route)?.variant ?? null;
      state.quiet = this.experiments.isQuiet(state.route);
      state.unblocked = false;
    }
    // One experiment per route at a time: while one runs (or the route cools down) no new action is planned.
    const blocked = state.unblocked ? null : this.experiments.blockFor(state.route, boundaryMs);
    state.unblocked = blocked === null;
    const produced = this.produced;
    let retired: VariantState[] | null = null;
    const production = state.production;
    let productionStats: WindowStats | null = null;
    const options = { production, blocked, unchanged: false, memory: null as DetectorMemory | null };
    for (const variant of state.sorted) {
      variant.window.closeUntil(boundaryMs);
      // A variant whose window emptied (its traffic stopped: a retired prompt, the baseline
      // after a promotion) resolves its open alerts and is dropped, so state stays bounded.
      if (variant.window.isIdle && (state.quiet || !this.experiments.involves(state.route, variant.variant))) {
        for (const record of this.detector.retire(state.route, variant.variant, boundaryMs)) produced.push(record);
        (retired ??= []).push(variant);
        continue;
      }
      // A window that did not change since its last judgement (no call closed into it, none expired) has the same
      // statistics but for its bounds: its quantiles are not computed again, and the detector skips what cannot move.
      const version = variant.window.version;
      const unchanged = variant.judgedVersion === version;
      const startMs = boundaryMs - this.windowMs;
      const total = variant.window.windowTotal;
      const stats =
        variant.judged === null
          ? toWindowStats(state.route, variant.variant, variant.pattern, total, startMs, boundaryMs)
          : refreshWindowStats(variant.judged, variant.pattern, total, startMs, boundaryMs, unchanged);
      variant.judged = stats;
      variant.judgedVersion = version;
      this.counters.evaluations++;
      this.options.onEvaluated?.(stats);
      if (variant.variant === production || (production === null && state.sorted.length === 1)) productionStats = stats;
      // Only the route's production variant is optimized; a canary or an experiment arm still alerts
      // (and a rule asking it for an action gets a skipped record saying why).
      options.unchanged = unchanged;
      options.memory = variant.detectorMemory;
      variant.detectorMemory = this.detector.evaluateInto(produced, stats, boundaryMs, options);
    }
    if (retired !== null) {
      for (const variant of retired) this.removeVariant(state, variant);
    }
    const extra = this.experiments.onBoundary(state.route, boundaryMs, produced, state.quiet);
    for (const record of produced) out.push(record);
    produced.length = 0;
    for (const record of extra) out.push(record);
    this.foresight.onBoundary(state.foresight, boundaryMs, productionStats, out);
    // Candidates spend from the testing share: while today's is spent, ramps hold until the next UTC day.
    if (this.foresight.budget.testingExhausted) this.experiments.holdRamps((Math.floor(boundaryMs / 86_400_000) + 1) * 86_400_000);
  }

  private sortedRoutes(): RouteState[] {
    return this.routeNames().map((name) => this.routes.get(name)!);
  }
}

/** A new route state's cached control answers: none yet (see {@link RouteState.controlVersion}). */
const NO_CONTROL_ANSWERS = { controlVersion: -1, production: null, quiet: false, unblocked: false } as const;

/** Events per (route, variant) of a batch: counted once per batch, and only when the memory capacity needs it. */
function seriesCounts(events: readonly TelemetryEvent[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of events) {
    const k = seriesKey(e.route, e.variant);
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return counts;
}
