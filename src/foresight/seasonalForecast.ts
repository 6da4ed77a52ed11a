import { linearRegression, median, medianAbsoluteDeviation } from 'simple-statistics';
import { DAY_MS, HOUR_MS } from './hourlyRollup.js';

/** One observation of an hourly series: the hour's start (epoch ms) and its value (> 0). */
export interface SeriesPoint {
  readonly tMs: number;
  readonly value: number;
}

/**
 * A fitted seasonal trend model of a positive hourly series, in the log
 * domain: log y(t) = level + slope × days(t) + daily[hour of day] (+ weekly[day of week]) + ε.
 * Multiplicative in y: a daily cycle of ±30 % stays ±30 % as the level drifts.
 */
export interface SeasonalFit {
  /** Intercept at `originMs` (log units). */
  readonly level: number;
  /** Trend, log units per day (×100 ≈ percent per day). */
  readonly slopePerDay: number;
  /** Standard error of the slope, log units per day. */
  readonly slopeStdError: number;
  /** Additive log offsets by UTC hour of day (24, centred). */
  readonly daily: readonly number[];
  /** Additive log offsets by UTC day of week (7, centred), or null when the history is too short. */
  readonly weekly: readonly number[] | null;
  /** Robust residual spread (1.4826 × MAD), log units. */
  readonly sigma: number;
  readonly n: number;
  /** Time origin (the newest point's time), epoch ms; days are counted from it. */
  readonly originMs: number;
  /** Mean and Σ(x − x̄)² of the points' days (for the interval's leverage term). */
  readonly meanDays: number;
  readonly sxxDays: number;
  /** Observations per hour-of-day slot. */
  readonly perHour: readonly number[];
}

/** A forecast at one time: the point forecast and its two-sided prediction interval, in the series' unit. */
export interface ForecastPoint {
  readonly tMs: number;
  readonly value: number;
  readonly lower: number;
  readonly upper: number;
}

/** Options of {@link fitSeasonal}. */
export interface FitOptions {
  /** Fit a day-of-week component too when the points span at least this many days (default 14). */
  readonly weeklyFromDays?: number;
}

const BACKFIT_ROUNDS = 4;
/** Floor of the residual spread, log units (0.5 %): a perfectly regular series still gets an interval. */
const MIN_SIGMA = 0.005;

const hourOfDay = (tMs: number): number => Math.floor((((tMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
// 1970-01-01 was a Thursday: shift so that 0 is Monday.
const dayOfWeek = (tMs: number): number => (((Math.floor(tMs / DAY_MS) + 3) % 7) + 7) % 7;

/**
 * Fits trend + daily (+ weekly) seasonality to a positive hourly series by
 * backfitting: the trend by least squares (simple-statistics'
 * `linearRegression`) on the deseasonalized series, each seasonal component
 * as the mean residual of its slot, alternately until stable. Non-positive
 * and non-finite values are ignored. Null with fewer than 24 usable points or
 * when they span less than one day.
 *
 * @remarks Classical seasonal decomposition with a linear trend (the
 * Holt-Winters model's additive form without exponential forgetting): a
 * straight line through seasonal data, as Prometheus' `predict_linear` draws,
 * mistakes every daily peak for a trend; removing the cycle first does not.
 */
export function fitSeasonal(points: readonly SeriesPoint[], options: FitOptions = {}): SeasonalFit | null {
  const usable = points.filter((p) => Number.isFinite(p.value) && p.value > 0 && Number.isFinite(p.tMs));
  if (usable.length < 24) return null;
  const originMs = usable[usable.length - 1]!.tMs;
  const spanDays = (originMs - usable[0]!.tMs) / DAY_MS;
  if (spanDays < 1) return null;
  const xs = usable.map((p) => (p.tMs - originMs) / DAY_MS);
  const ys = usable.map((p) => Math.log(p.value));
  const hours = usable.map((p) => hourOfDay(p.tMs));
  const days = usable.map((p) => dayOfWeek(p.tMs));
  const useWeekly = spanDays >= (options.weeklyFromDays ?? 14);
  const daily = new Array<number>(24).fill(0);
  const weekly = new Array<number>(7).fill(0);
  let trend = { m: 0, b: 0 };
  for (let round = 0; round < BACKFIT_ROUNDS; round++) {
    trend = linearRegression(xs.map((x, i) => [x, ys[i]! - daily[hours[i]!]! - weekly[days[i]!]!]));
    slotMeans(daily, hours, (i) => ys[i]! - trend.m * xs[i]! - trend.b - weekly[days[i]!]!);
    if (useWeekly) slotMeans(weekly, days, (i) => ys[i]! - trend.m * xs[i]! - trend.b - daily[hours[i]!]!);
  }
  const residuals = ys.map((y, i) => y - trend.m * xs[i]! - trend.b - daily[hours[i]!]! - weekly[days[i]!]!);
  const sigma = Math.max(MIN_SIGMA, 1.4826 * medianAbsoluteDeviation(residuals));
  const meanDays = xs.reduce((a, x) => a + x, 0) / xs.length;
  const sxxDays = xs.reduce((a, x) => a + (x - meanDays) ** 2, 0);
  const perHour = new Array<number>(24).fill(0);
  for (const h of hours) perHour[h]!++;
  return {
    level: trend.b,
    slopePerDay: trend.m,
    slopeStdError: sxxDays > 0 ? sigma / Math.sqrt(sxxDays) : Infinity,
    daily,
    weekly: useWeekly ? weekly : null,
    sigma,
    n: usable.length,
    originMs,
    meanDays,
    sxxDays,
    perHour,
  };
}

/**
 * The forecast at `tMs` with a two-sided prediction interval for one future
 * hour's value: z × σ × √(1 + 1/n + 1/n_slot + (x − x̄)²/Sxx) around the point
 * forecast in the log domain, mapped back (so the interval is asymmetric).
 * `z` is the normal quantile of the interval (1.96 for 95 %).
 */
export function forecastAt(fit: SeasonalFit, tMs: number, z: number): ForecastPoint {
  const x = (tMs - fit.originMs) / DAY_MS;
  const mean = fit.level + fit.slopePerDay * x + fit.daily[hourOfDay(tMs)]! + (fit.weekly?.[dayOfWeek(tMs)] ?? 0);
  const slot = Math.max(1, fit.perHour[hourOfDay(tMs)]!);
  const leverage = fit.sxxDays > 0 ? (x - fit.meanDays) ** 2 / fit.sxxDays : 0;
  const spread = z * fit.sigma * Math.sqrt(1 + 1 / fit.n + 1 / slot + leverage);
  return { tMs, value: Math.exp(mean), lower: Math.exp(mean - spread), upper: Math.exp(mean + spread) };
}

/** Robust centre and spread of values: median and 1.4826 × MAD (≈ σ for normal data); null when empty. */
export function robustBand(values: readonly number[]): { readonly center: number; readonly spread: number } | null {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return null;
  return { center: median(finite), spread: 1.4826 * medianAbsoluteDeviation(finite) };
}

/** Sets `slots[k]` to the mean of `value(i)` over the points in slot k (0 for an empty slot), then centres the slots with data. */
function slotMeans(slots: number[], slotOf: readonly number[], value: (i: number) => number): void {
  const sums = new Array<number>(slots.length).fill(0);
  const counts = new Array<number>(slots.length).fill(0);
  for (let i = 0; i < slotOf.length; i++) {
    sums[slotOf[i]!]! += value(i);
    counts[slotOf[i]!]!++;
  }
  let total = 0;
  let filled = 0;
  for (let k = 0; k < slots.length; k++) {
    slots[k] = counts[k]! > 0 ? sums[k]! / counts[k]! : 0;
    if (counts[k]! > 0) {
      total += slots[k]!;
      filled++;
    }
  }
  const centre = filled > 0 ? total / filled : 0;
  for (let k = 0; k < slots.length; k++) if (counts[k]! > 0) slots[k]! -= centre;
}
