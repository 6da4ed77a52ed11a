import type { MetricName, ThresholdSource, TriggerRecord } from '../core/decision.js';
import type { RuleTransition } from '../detectors/ruleState.js';
import type { ForecastDetection } from './predictiveDegradation.js';
import type { ForecastPoint } from './seasonalForecast.js';

/** The `predictive_degradation` trigger record of one transition, with the forecast as evidence. */
export function forecastTrigger(
  route: string,
  variant: string,
  detection: ForecastDetection,
  thresholdFrom: ThresholdSource,
  transition: RuleTransition,
  severity: TriggerRecord['severity'],
  settings: { readonly horizonMs: number; readonly confidence: number },
  nowMs: number,
): TriggerRecord {
  const shown = detection.crossing ?? detection.peak;
  return {
    type: 'trigger',
    ts: nowMs,
    route,
    variant,
    rule: 'predictive_degradation',
    metric: detection.metric as MetricName,
    value: shown.value,
    threshold: detection.threshold,
    severity,
    state: transition.state,
    evidence: {
      window_ms: detection.historyEndMs - detection.historyStartMs,
      window_start: detection.historyStartMs,
      window_end: detection.historyEndMs,
      samples: detection.samples,
      threshold_from: thresholdFrom,
      held_ms: transition.heldMs,
      method: 'seasonal_trend',
      seasonality: detection.seasonality,
      history_hours: detection.hours,
      horizon_ms: settings.horizonMs,
      confidence: settings.confidence,
      forecast: point(shown),
      forecast_at_horizon: point(detection.atHorizon),
      crossing: { expected: detection.crossing?.tMs ?? null, earliest: detection.earliestMs, latest: detection.latestMs },
      trend_pct_per_day: detection.trendPctPerDay,
      trend_z: detection.trendZ,
      residual_sigma: detection.sigma,
    },
  };
}

function point(p: ForecastPoint): { at: number; value: number; interval: [number, number] } {
  return { at: p.tMs, value: p.value, interval: [p.lower, p.upper] };
}
