import type { Rule } from '../config/schema.js';
import type { MetricName, ThresholdSource } from '../core/decision.js';
import type { WindowStats } from '../windows/windowStats.js';
import { metricInterval, type IntervalMethod, type MetricInterval } from './metricInterval.js';
import { metricSamples, metricValue } from './metricValue.js';
import type { ResolvedThreshold } from './threshold.js';

/**
 * One rule checked against one window, with its evidence. `breached` means the
 * window shows the breach with confidence: the whole `confidence` interval of
 * the metric lies on the bad side of the threshold (for `gt`: its lower bound
 * is above it). `clear` means the point estimate is on the good side of the
 * threshold by at least the rule's `hysteresis_pct` (the only state in which a
 * firing rule counts toward resolving). Windows between the two are neither:
 * that dead band — the interval's half-width plus the hysteresis band — is
 * what keeps a noisy or hovering metric from opening episode after episode.
 */
export interface Detection {
  readonly route: string;
  readonly variant: string;
  readonly rule: string;
  readonly metric: MetricName;
  readonly op: 'gt' | 'lt';
  /** Metric value in the window, in the metric's unit. */
  readonly value: number;
  readonly threshold: number;
  readonly thresholdFrom: ThresholdSource;
  readonly breached: boolean;
  readonly clear: boolean;
  /** Two-sided interval of the metric at `confidence` (an unbounded side is ±Infinity). */
  readonly lower: number;
  readonly upper: number;
  readonly confidence: number;
  readonly method: IntervalMethod;
  /** Samples behind `value` (see `metricSamples`). */
  readonly samples: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
}

/**
 * Checks a rule against a window. Total and deterministic: returns null (not
 * enough evidence) when the threshold is unknown, the value is null or not
 * finite, or fewer than `rule.min_samples` samples stand behind it; never
 * throws.
 */
export function detect(stats: WindowStats, rule: Rule, threshold: ResolvedThreshold | null, intervals?: WindowIntervals): Detection | null {
  if (threshold === null) return null;
  const interval = judgedInterval(stats, rule, threshold.value, intervals);
  if (interval === null) return null;
  const value = metricValue(stats, rule.metric)!;
  const samples = metricSamples(stats, rule.metric);
  const band = (Math.abs(threshold.value) * rule.hysteresis_pct) / 100;
  const breached = rule.op === 'gt' ? interval.lower > threshold.value : interval.upper < threshold.value;
  const clear = rule.op === 'gt' ? value <= threshold.value - band : value >= threshold.value + band;
  return {
    route: stats.route,
    variant: stats.variant,
    rule: rule.name,
    metric: rule.metric,
    op: rule.op,
    value,
    threshold: threshold.value,
    thresholdFrom: threshold.from,
    breached,
    clear,
    lower: interval.lower,
    upper: interval.upper,
    confidence: rule.confidence,
    method: interval.method,
    samples,
    windowStartMs: stats.windowStartMs,
    windowEndMs: stats.windowEndMs,
  };
}

/**
 * Whether {@link detect} would find the breach shown — `detect(stats, rule, t)?.breached === true` for a threshold
 * of value `thresholdValue` — without building the evidence: the detector's check of an inactive rule, which
 * stays inactive unless it is.
 */
export function breachShown(stats: WindowStats, rule: Rule, thresholdValue: number, intervals?: WindowIntervals): boolean {
  // The interval contains the value: a value on the good side rules the breach out before any interval is computed.
  const value = metricValue(stats, rule.metric);
  if (value === null || !(rule.op === 'gt' ? value > thresholdValue : value < thresholdValue)) return false;
  const interval = judgedInterval(stats, rule, thresholdValue, intervals);
  if (interval === null) return false;
  return rule.op === 'gt' ? interval.lower > thresholdValue : interval.upper < thresholdValue;
}

/** The metric's interval when the rule can be judged on this window (finite threshold and value, enough samples), else null. */
function judgedInterval(stats: WindowStats, rule: Rule, thresholdValue: number, intervals: WindowIntervals | undefined): MetricInterval | null {
  if (!Number.isFinite(thresholdValue)) return null;
  const value = metricValue(stats, rule.metric);
  if (value === null || !Number.isFinite(value)) return null;
  const samples = metricSamples(stats, rule.metric);
  if (samples < rule.min_samples || samples <= 0) return null;
  return intervals !== undefined ? intervals.of(stats, rule.metric, value, rule.confidence) : metricInterval(stats, rule.metric, value, rule.confidence);
}

/**
 * The intervals of one window already computed, by metric and confidence: rules on the same metric at the same
 * level (the default rules put three on the p95 latency) share one interval instead of each reading the sketch
 * again. {@link reset} before each window: the statistics object is rewritten in place from one to the next.
 */
export class WindowIntervals {
  private readonly metrics: MetricName[] = [];
  private readonly confidences: number[] = [];
  private readonly intervals: MetricInterval[] = [];
  /** Entries of this window (the arrays keep older ones past it: no truncation per window). */
  private size = 0;

  /** Forgets every interval: the next ones are of another window. */
  reset(): void {
    this.size = 0;
  }

  /** {@link metricInterval} of this window, computed once per (metric, confidence). */
  of(stats: WindowStats, metric: MetricName, value: number, confidence: number): MetricInterval {
    for (let i = 0; i < this.size; i++) {
      if (this.metrics[i] === metric && this.confidences[i] === confidence) return this.intervals[i]!;
    }
    const interval = metricInterval(stats, metric, value, confidence);
    const at = this.size++;
    this.metrics[at] = metric;
    this.confidences[at] = confidence;
    this.intervals[at] = interval;
    return interval;
  }
}
