import type { MetricName } from '../core/decision.js';
import { normalQuantile } from '../detectors/distributions.js';
import { HOUR_MS, hourMetric, type HourlyRollup } from './hourlyRollup.js';
import { fitSeasonal, forecastAt, type ForecastPoint, type SeasonalFit } from './seasonalForecast.js';

/** Settings of one forecast evaluation (from `monitoring.predictive_degradation`). */
export interface ForecastSettings {
  /** How far ahead the forecast looks, ms. */
  readonly horizonMs: number;
  /** History the route needs (oldest to newest usable hour) before it is forecast, ms. */
  readonly minHistoryMs: number;
  /** History read per fit, ms (at most the retention). */
  readonly lookbackMs: number;
  /** Two-sided level of the prediction interval, and the one-sided level at which the trend must be shown. */
  readonly confidence: number;
  /** Hours with fewer calls behind the metric than this are left out of the fit. */
  readonly minCallsPerHour: number;
  /** Fit a day-of-week component from this much history on, ms. */
  readonly weeklyFromMs: number;
}

/**
 * One forecast of a route metric against a threshold it must stay under,
 * with its evidence. `breached`: the point forecast crosses the threshold
 * within the horizon and the upward trend is shown at `confidence`
 * (one-sided z-test on the slope); `clear`: the forecast stays under it over
 * the whole horizon.
 */
export interface ForecastDetection {
  readonly metric: MetricName;
  readonly threshold: number;
  readonly breached: boolean;
  readonly clear: boolean;
  /** Forecast at the first hour whose point forecast crosses the threshold (null: none in the horizon). */
  readonly crossing: ForecastPoint | null;
  /** First hours where the interval's upper / lower bound crosses (the crossing's earliest / latest plausible time). */
  readonly earliestMs: number | null;
  readonly latestMs: number | null;
  /** Highest point forecast in the horizon, and the forecast at the horizon's end. */
  readonly peak: ForecastPoint;
  readonly atHorizon: ForecastPoint;
  /** Trend in percent per day, and its z statistic. */
  readonly trendPctPerDay: number;
  readonly trendZ: number;
  readonly seasonality: 'daily' | 'daily+weekly';
  /** Hours fitted, the calls behind them, and the span they cover (epoch ms, [start, end)). */
  readonly hours: number;
  readonly samples: number;
  readonly historyStartMs: number;
  readonly historyEndMs: number;
  /** Residual spread of the fit (log units ≈ relative). */
  readonly sigma: number;
}

/** Calls that stand behind an hour's value of the metric. */
function hourSamples(hour: HourlyRollup, metric: MetricName): number {
  return metric === 'cost_per_task_usd' ? hour.costSuccessEvents : hour.count;
}

/**
 * Forecasts `metric` from sealed hourly rollups (oldest first) for the
 * horizon after `nowMs` (the end of the newest sealed hour) and checks it
 * against `threshold` (the metric must stay at or below it). Null when the
 * history is too short or too sparse to fit. Total and deterministic.
 */
export function forecastMetric(
  hours: readonly HourlyRollup[],
  metric: MetricName,
  threshold: number,
  settings: ForecastSettings,
  nowMs: number,
): ForecastDetection | null {
  const points: { tMs: number; value: number }[] = [];
  let samples = 0;
  for (const hour of hours) {
    const n = hourSamples(hour, metric);
    const value = hourMetric(hour, metric);
    if (n < settings.minCallsPerHour || value === null || !(value > 0)) continue;
    points.push({ tMs: hour.hourStartMs, value });
    samples += n;
  }
  if (points.length < 24 || points[points.length - 1]!.tMs - points[0]!.tMs + HOUR_MS < settings.minHistoryMs) return null;
  const fit = fitSeasonal(points, { weeklyFromDays: settings.weeklyFromMs / 86_400_000 });
  if (fit === null || !Number.isFinite(threshold) || !(threshold > 0)) return null;
  return judge(fit, metric, threshold, settings, nowMs, {
    hours: points.length,
    samples,
    historyStartMs: points[0]!.tMs,
    historyEndMs: points[points.length - 1]!.tMs + HOUR_MS,
  });
}

function judge(
  fit: SeasonalFit,
  metric: MetricName,
  threshold: number,
  settings: ForecastSettings,
  nowMs: number,
  history: Pick<ForecastDetection, 'hours' | 'samples' | 'historyStartMs' | 'historyEndMs'>,
): ForecastDetection {
  const z = normalQuantile(1 - (1 - settings.confidence) / 2);
  let crossing: ForecastPoint | null = null;
  let earliestMs: number | null = null;
  let latestMs: number | null = null;
  let peak: ForecastPoint | null = null;
  let last: ForecastPoint | null = null;
  // Each future hour's forecast at its middle, the value a sealed hour will be compared with.
  const first = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  for (let t = first; t < nowMs + settings.horizonMs; t += HOUR_MS) {
    const point = forecastAt(fit, t, z);
    if (crossing === null && point.value > threshold) crossing = point;
    if (earliestMs === null && point.upper > threshold) earliestMs = t;
    if (latestMs === null && point.lower > threshold) latestMs = t;
    if (peak === null || point.value > peak.value) peak = point;
    last = point;
  }
  const trendZ = Number.isFinite(fit.slopeStdError) && fit.slopeStdError > 0 ? fit.slopePerDay / fit.slopeStdError : 0;
  const trendShown = trendZ > normalQuantile(settings.confidence);
  return {
    metric,
    threshold,
    breached: crossing !== null && trendShown,
    clear: crossing === null,
    crossing,
    earliestMs,
    latestMs,
    peak: peak!,
    atHorizon: last!,
    trendPctPerDay: (Math.exp(fit.slopePerDay) - 1) * 100,
    trendZ,
    seasonality: fit.weekly === null ? 'daily' : 'daily+weekly',
    ...history,
    sigma: fit.sigma,
  };
}
