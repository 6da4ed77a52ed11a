import type { MetricName } from '../core/decision.js';
import { DAY_MS, HOUR_MS, hourMetric, type HourlyRollup } from './hourlyRollup.js';
import { robustBand } from './seasonalForecast.js';

/** Settings of the anomaly baseline (from `monitoring.anomaly`). */
export interface BandSettings {
  /** Days of history the seasonal baseline reads. */
  readonly baselineDays: number;
  /** Hours of the same hour of day (± 1 h) needed for a seasonal baseline. */
  readonly minSeasonalHours: number;
  /** Band half-width in robust standard deviations. */
  readonly k: number;
  /** Hours with fewer calls behind the metric are left out. */
  readonly minCallsPerHour: number;
}

/** The expected band of a metric at one time: its centre, robust spread and upper edge. */
export interface ExpectedBand {
  readonly center: number;
  readonly spread: number;
  readonly lower: number;
  readonly upper: number;
  /** `seasonal`: the same hour of day (± 1 h) on earlier days; `recent`: the last 24 hours (not enough days yet). */
  readonly baseline: 'seasonal' | 'recent';
  /** Hours behind the band. */
  readonly hours: number;
}

/** Smallest half-width of a band: error rate in absolute points, other metrics relative to the centre. */
export const MIN_HALF_WIDTH = { error_rate: 0.005, relative: 0.1 } as const;

const samplesOf = (hour: HourlyRollup, metric: MetricName): number => (metric === 'cost_per_task_usd' ? hour.costSuccessEvents : hour.count);

/**
 * The band a metric is expected in at `nowMs`: median ± k × 1.4826 × MAD of
 * its hourly values at the same UTC hour of day (and the hours either side)
 * over the last `baselineDays` — the daily cycle is respected without a model
 * — or, with fewer than `minSeasonalHours` such hours, of the last 24 hours
 * (needs 12). The half-width is at least {@link MIN_HALF_WIDTH}: a metric
 * that never moved does not make every small wobble an anomaly. Null when
 * neither baseline has enough hours. `hours` are the route's stored hours,
 * oldest first, all before `nowMs`.
 */
export function expectedBand(hours: readonly HourlyRollup[], metric: MetricName, nowMs: number, settings: BandSettings): ExpectedBand | null {
  const hourOfDay = Math.floor((((nowMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
  const seasonal: number[] = [];
  const recent: number[] = [];
  for (const hour of hours) {
    if (samplesOf(hour, metric) < settings.minCallsPerHour) continue;
    const value = hourMetric(hour, metric);
    if (value === null) continue;
    if (hour.hourStartMs >= nowMs - DAY_MS) recent.push(value);
    if (hour.hourStartMs >= nowMs - DAY_MS + HOUR_MS) continue; // same hour of day on *earlier* days only
    const h = Math.floor((((hour.hourStartMs % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
    const distance = Math.min((h - hourOfDay + 24) % 24, (hourOfDay - h + 24) % 24);
    if (distance <= 1) seasonal.push(value);
  }
  const useSeasonal = seasonal.length >= settings.minSeasonalHours;
  const values = useSeasonal ? seasonal : recent;
  if (!useSeasonal && recent.length < 12) return null;
  const robust = robustBand(values);
  if (robust === null) return null;
  const floor = metric === 'error_rate' ? MIN_HALF_WIDTH.error_rate : MIN_HALF_WIDTH.relative * Math.abs(robust.center);
  const half = Math.max(settings.k * robust.spread, floor);
  return {
    center: robust.center,
    spread: robust.spread,
    lower: robust.center - half,
    upper: robust.center + half,
    baseline: useSeasonal ? 'seasonal' : 'recent',
    hours: values.length,
  };
}
