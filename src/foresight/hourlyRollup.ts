import type { MetricName } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import { bareRecord, ownEntry } from '../core/records.js';
import { addEventSums, StatsBucket } from '../windows/statsBucket.js';
import type { OpenHourState } from './foresightCheckpoint.js';

/** One hour in ms. */
export const HOUR_MS = 3_600_000;
/** One UTC day in ms. */
export const DAY_MS = 86_400_000;
/** One week in ms. */
export const WEEK_MS = 7 * DAY_MS;

/** Which share of the daily cost budget a call spends from (DESIGN §3 budgets). */
export const SPEND_SHARES = ['production', 'testing', 'research'] as const;
export type SpendShare = (typeof SPEND_SHARES)[number];

/** Spend by budget share, USD. */
export type SpendUsd = Readonly<Record<SpendShare, number>>;

/**
 * The share a call spends from: experiment candidates from `testing`, the
 * `research` tier from `research`, everything else from `production`.
 */
export function spendShareOf(event: TelemetryEvent): SpendShare {
  if (event.arm === 'candidate') return 'testing';
  if (event.tier === 'research') return 'research';
  return 'production';
}

/**
 * The counts, sums and latency percentiles of one sealed hour of calls —
 * of a whole route, or of one of its variants ({@link HourlyRollup.variants}).
 */
export interface HourAggregates {
  readonly count: number;
  readonly errorCount: number;
  /** Latency percentiles of the hour's calls, ms (≤ 1 % relative error); null when the hour had no call. */
  readonly latencyP50Ms: number | null;
  readonly latencyP95Ms: number | null;
  readonly latencyP99Ms: number | null;
  readonly latencySumMs: number;
  /** Σ cost of calls carrying a cost, USD, and how many of them succeeded. */
  readonly costSumUsd: number;
  readonly costSuccessEvents: number;
  readonly tokenEvents: number;
  readonly tokensSum: number;
  readonly qualitySum: number;
  readonly qualityCount: number;
  readonly correctTrue: number;
  readonly correctTotal: number;
}

/**
 * One sealed hour of one route (all its variants): counts and sums, and the
 * latency percentiles read from the hour's mergeable sketch when it was
 * sealed. A plain, JSON-serializable value (~30 numbers), so weeks of hours
 * stay small and any state store can hold them.
 */
export interface HourlyRollup extends HourAggregates {
  /** Start of the hour, epoch ms (UTC, a multiple of {@link HOUR_MS}). */
  readonly hourStartMs: number;
  /** The same spend split by budget share. */
  readonly spendUsd: SpendUsd;
  /**
   * The variant in production when the hour was sealed (the only one, for an
   * hour of one variant whose production variant was unknown); absent when unknown.
   */
  readonly served?: string;
  /**
   * Per variant, where it matters: only for an hour with more than one variant
   * (a candidate beside the served one, a canary), the served variant and the
   * busiest others, at most `monitoring.history.max_variants`.
   */
  readonly variants?: Readonly<Record<string, HourAggregates>>;
}

/** An hour still open: its mergeable aggregates, per variant too, and its spend by share. */
export class OpenHour {
  /**
   * The route's bucket as kept: every sum; its latency sketch is whole too,
   * unless {@link partsHoldSketch}.
   */
  private readonly own = new StatsBucket();
  /**
   * The variants' parts hold the route's latencies (a second variant appeared
   * here): a call's latency goes to its part only, and {@link own}'s sketch
   * keeps just what no part has (calls known only by latency); {@link bucket}
   * merges them when read. One sketch add per call instead of two.
   */
  private partsHoldSketch = false;
  /** {@link bucket} as last merged, until the next call. */
  private whole: StatsBucket | null = null;
  /** The same per variant (bounded by the engine's variants per route). */
  readonly byVariant = new Map<string, StatsBucket>();
  /** Spend by share, USD (fields rather than a record: one object less per call). */
  private productionUsd = 0;
  private testingUsd = 0;
  private researchUsd = 0;
  /**
   * Moves when a variant's part changes ({@link partFor}): the sole variant's
   * part stops being {@link bucket} when a second one appears.
   */
  epoch = 0;
  /** Sealed or dropped: no call goes to it any more. */
  closed = false;

  /**
   * `storedCount`: the calls of the stored hour this one continues when it was
   * opened (a call for an hour already sealed), null when none was stored. A
   * restore compares it with the store to tell a continuation still to merge
   * from an hour sealed since the checkpoint (`HistoryRecorder.importRoute`).
   */
  constructor(
    readonly hourStartMs: number,
    readonly storedCount: number | null = null,
  ) {}

  /** The hour's only variant so far (its calls are all of {@link bucket}); null once there are several, or none yet. */
  private sole: string | null = null;

  /** Every aggregate of the hour's calls (all its variants). Read it, do not change it. */
  get bucket(): StatsBucket {
    if (!this.partsHoldSketch) return this.own;
    if (this.whole === null) {
      // Counts per latency bin are whole numbers: the merged sketch is the one adding every call would give.
      const whole = new StatsBucket();
      whole.merge(this.own);
      for (const part of this.byVariant.values()) whole.latencyMs.merge(part.latencyMs);
      this.whole = whole;
    }
    return this.whole;
  }

  /** The spend by share so far, USD. */
  get spendUsd(): SpendUsd {
    return { production: this.productionUsd, testing: this.testingUsd, research: this.researchUsd };
  }

  /**
   * The bucket a call of `variant` is added to besides {@link bucket}
   * ({@link add}), or null when there is none. Per-variant buckets only where
   * they matter: while the hour has one variant, the route's bucket is that
   * variant's (no second sketch per call); when a second variant appears, the
   * first one's bucket is a copy of the route's so far (and {@link epoch}
   * moves). A caller may keep the answer while the epoch stays.
   */
  partFor(variant: string): StatsBucket | null {
    if (this.byVariant.size === 0) {
      this.sole = variant;
      this.byVariant.set(variant, this.own);
      return null;
    }
    if (this.sole === variant) return null;
    if (this.sole !== null) {
      const copy = new StatsBucket();
      copy.merge(this.own);
      this.byVariant.set(this.sole, copy);
      this.sole = null;
      this.epoch++;
      // From here the parts hold the latencies: the copy has every one so far.
      this.own.latencyMs.clear();
      this.partsHoldSketch = true;
      this.whole = null;
    }
    let part = this.byVariant.get(variant);
    if (part === undefined) {
      part = new StatsBucket();
      this.byVariant.set(variant, part);
    }
    return part;
  }

  /** Adds one accepted call, to `part` too ({@link partFor} its variant); `costUsd` is its cost after the price table (undefined: unknown). */
  add(part: StatsBucket | null, event: TelemetryEvent, costUsd: number | undefined): void {
    this.whole = null;
    if (part === null) this.own.add(event, costUsd);
    else {
      part.add(event, costUsd);
      if (this.partsHoldSketch) addEventSums(this.own.sums, 0, event, costUsd);
      else this.own.add(event, costUsd);
    }
    if (costUsd === undefined) return;
    const share = spendShareOf(event);
    if (share === 'production') this.productionUsd += costUsd;
    else if (share === 'testing') this.testingUsd += costUsd;
    else this.researchUsd += costUsd;
  }

  /** Adds `weight` calls known only by their latency (an OTLP histogram bucket). */
  addLatencyCalls(latencyMs: number, weight: number): void {
    this.whole = null;
    this.own.addLatencyCalls(latencyMs, weight);
  }

  /** The hour as plain numbers (a checkpoint); {@link OpenHour.fromState} rebuilds it. */
  exportState(): OpenHourState {
    return {
      hourStartMs: this.hourStartMs,
      bucket: this.bucket.exportState(),
      sole: this.sole,
      variants: this.sole !== null ? [] : [...this.byVariant].map(([name, b]) => [name, b.exportState()] as const),
      spendUsd: this.spendUsd,
      ...(this.storedCount !== null ? { storedCount: this.storedCount } : {}),
    };
  }

  /** An hour from an {@link exportState} value; throws an InvariantError when a bucket is not one. */
  static fromState(state: OpenHourState): OpenHour {
    const hour = new OpenHour(state.hourStartMs, state.storedCount ?? null);
    // The restored route bucket is whole: calls go to it and to their part, as before the parts held the latencies.
    hour.own.restoreState(state.bucket);
    if (state.sole !== null) {
      hour.sole = state.sole;
      hour.byVariant.set(state.sole, hour.own);
    } else {
      for (const [name, s] of state.variants) {
        const b = new StatsBucket();
        b.restoreState(s);
        hour.byVariant.set(name, b);
      }
    }
    hour.productionUsd = state.spendUsd.production;
    hour.testingUsd = state.spendUsd.testing;
    hour.researchUsd = state.spendUsd.research;
    return hour;
  }

  /**
   * The sealed, serializable form. `served`: the route's production variant
   * now (null: unknown); `maxVariants`: variants kept when there are several —
   * the served one first, then the busiest (ties by name).
   */
  seal(served: string | null = null, maxVariants = 3): HourlyRollup {
    const only = this.byVariant.size === 1 ? this.byVariant.keys().next().value! : null;
    const servedName = served ?? only;
    const hour: HourlyRollup = { hourStartMs: this.hourStartMs, ...aggregatesOf(this.bucket), spendUsd: this.spendUsd, ...(servedName !== null ? { served: servedName } : {}) };
    if (this.byVariant.size < 2 || maxVariants < 1) return hour;
    const names = [...this.byVariant.keys()].sort((a, b) => {
      if (a === served) return -1;
      if (b === served) return 1;
      return this.byVariant.get(b)!.count - this.byVariant.get(a)!.count || (a < b ? -1 : a > b ? 1 : 0);
    });
    const variants = bareRecord<HourAggregates>();
    for (const name of names.slice(0, maxVariants)) variants[name] = aggregatesOf(this.byVariant.get(name)!);
    return { ...hour, variants };
  }
}

function aggregatesOf(b: StatsBucket): HourAggregates {
  const [p50, p95, p99] = b.latencyMs.quantiles([0.5, 0.95, 0.99]);
  return {
    count: b.count,
    errorCount: b.errorCount,
    latencyP50Ms: p50 ?? null,
    latencyP95Ms: p95 ?? null,
    latencyP99Ms: p99 ?? null,
    latencySumMs: b.latencySumMs,
    costSumUsd: b.costSumUsd,
    costSuccessEvents: b.costSuccessEvents,
    tokenEvents: b.tokenEvents,
    tokensSum: b.inputTokens + b.outputTokens,
    qualitySum: b.qualitySum,
    qualityCount: b.qualityCount,
    correctTrue: b.correctTrue,
    correctTotal: b.correctTotal,
  };
}

/**
 * A metric of one sealed hour, with the definitions of the rolling window
 * (DESIGN §3); null when the hour has no data for it. Only the metrics an
 * hourly rollup carries: percentiles other than p50/p95/p99 of latency,
 * consistency and satisfaction are null.
 */
export function hourMetric(hour: HourAggregates, metric: MetricName): number | null {
  switch (metric) {
    case 'latency_p50_ms':
      return hour.latencyP50Ms;
    case 'latency_p95_ms':
      return hour.latencyP95Ms;
    case 'latency_p99_ms':
      return hour.latencyP99Ms;
    case 'error_rate':
      return hour.count > 0 ? hour.errorCount / hour.count : null;
    case 'cost_per_task_usd':
      return hour.costSuccessEvents > 0 ? hour.costSumUsd / hour.costSuccessEvents : null;
    case 'tokens_per_request':
      return hour.tokenEvents > 0 ? hour.tokensSum / hour.tokenEvents : null;
    case 'tokens_per_quality_point': {
      if (hour.tokenEvents === 0 || hour.qualityCount === 0 || hour.qualitySum <= 0) return null;
      return hour.tokensSum / hour.tokenEvents / ((hour.qualitySum / hour.qualityCount) * 100);
    }
    case 'accuracy':
      return hour.correctTotal > 0 ? hour.correctTrue / hour.correctTotal : null;
    case 'consistency':
    case 'satisfaction':
      return null;
  }
}

/** Total spend of an hour over every share, USD. */
export function hourSpendUsd(hour: HourlyRollup): number {
  return hour.spendUsd.production + hour.spendUsd.testing + hour.spendUsd.research;
}

/**
 * Two parts of the same hour as one (a route that went idle, was sealed and
 * came back within the hour): counts, sums and spend add exactly; the
 * percentiles are the parts' count-weighted means (an approximation, the
 * parts' sketches are gone). Per-variant parts merge the same way; the later
 * part's served variant wins.
 */
export function mergeHours(a: HourlyRollup, b: HourlyRollup): HourlyRollup {
  const merged: HourlyRollup = {
    hourStartMs: a.hourStartMs,
    ...mergeAggregates(a, b),
    spendUsd: {
      production: a.spendUsd.production + b.spendUsd.production,
      testing: a.spendUsd.testing + b.spendUsd.testing,
      research: a.spendUsd.research + b.spendUsd.research,
    },
  };
  const served = b.served ?? a.served;
  const withServed: HourlyRollup = served === undefined ? merged : { ...merged, served };
  if (a.variants === undefined && b.variants === undefined) return withServed;
  // A part of one variant has no `variants`: its whole is that variant's.
  const partsOf = (h: HourlyRollup): Readonly<Record<string, HourAggregates>> => h.variants ?? (h.served !== undefined ? { [h.served]: h } : {});
  const va = partsOf(a);
  const vb = partsOf(b);
  const variants = bareRecord<HourAggregates>();
  for (const name of [...new Set([...Object.keys(va), ...Object.keys(vb)])].sort()) {
    const x = ownEntry(va, name);
    const y = ownEntry(vb, name);
    variants[name] = x !== undefined && y !== undefined ? mergeAggregates(x, y) : aggregatesCopy((x ?? y)!);
  }
  return { ...withServed, variants };
}

function aggregatesCopy(h: HourAggregates): HourAggregates {
  return mergeAggregates(h, EMPTY_AGGREGATES);
}

const EMPTY_AGGREGATES: HourAggregates = {
  count: 0, errorCount: 0, latencyP50Ms: null, latencyP95Ms: null, latencyP99Ms: null, latencySumMs: 0, costSumUsd: 0, costSuccessEvents: 0,
  tokenEvents: 0, tokensSum: 0, qualitySum: 0, qualityCount: 0, correctTrue: 0, correctTotal: 0,
};

function mergeAggregates(a: HourAggregates, b: HourAggregates): HourAggregates {
  const count = a.count + b.count;
  const weighted = (x: number | null, y: number | null): number | null => {
    if (x === null) return y;
    if (y === null) return x;
    return count > 0 ? (x * a.count + y * b.count) / count : x;
  };
  return {
    count,
    errorCount: a.errorCount + b.errorCount,
    latencyP50Ms: weighted(a.latencyP50Ms, b.latencyP50Ms),
    latencyP95Ms: weighted(a.latencyP95Ms, b.latencyP95Ms),
    latencyP99Ms: weighted(a.latencyP99Ms, b.latencyP99Ms),
    latencySumMs: a.latencySumMs + b.latencySumMs,
    costSumUsd: a.costSumUsd + b.costSumUsd,
    costSuccessEvents: a.costSuccessEvents + b.costSuccessEvents,
    tokenEvents: a.tokenEvents + b.tokenEvents,
    tokensSum: a.tokensSum + b.tokensSum,
    qualitySum: a.qualitySum + b.qualitySum,
    qualityCount: a.qualityCount + b.qualityCount,
    correctTrue: a.correctTrue + b.correctTrue,
    correctTotal: a.correctTotal + b.correctTotal,
  };
}
