/**
 * An exponentially weighted baseline of one metric of one (route, variant),
 * in event time. Immutable: every operation returns a new value.
 *
 * @remarks Rolling windows overlap (a 5 min window evaluated every 10 s sees
 * each event 30 times), so an evaluation contributes only the share of its
 * window that is new since the previous update: `samples × Δt / window`
 * (the whole window on the first update). `samples` therefore estimates the
 * number of distinct events the baseline has seen, which is what
 * `baseline.min_samples` is compared with. Older contributions decay with the
 * configured half-life of event time.
 */
export interface BaselineState {
  /** Weighted mean of the metric, in the metric's unit. */
  readonly mean: number;
  /** Decayed weight behind `mean` (events). */
  readonly weight: number;
  /** Estimated distinct events seen, never decayed. */
  readonly samples: number;
  /** Window end (epoch ms event time) of the last update or freeze. */
  readonly lastWindowEndMs: number;
}

/** Inputs of one baseline observation: a window's value and its extent. */
export interface BaselineObservation {
  readonly value: number;
  /** Samples behind `value` in the window (see `metricSamples`). */
  readonly samples: number;
  readonly windowStartMs: number;
  readonly windowEndMs: number;
}

/**
 * Folds one window's value into the baseline. Returns `previous` unchanged for
 * a non-finite value, no samples, or a window that does not end after the
 * last update (so re-evaluating a boundary is idempotent).
 */
export function updateBaseline(previous: BaselineState | null, observation: BaselineObservation, halfLifeMs: number): BaselineState | null {
  const { value, samples, windowStartMs, windowEndMs } = observation;
  if (!Number.isFinite(value) || !(samples > 0)) return previous;
  if (previous === null) return { mean: value, weight: samples, samples, lastWindowEndMs: windowEndMs };
  const elapsedMs = windowEndMs - previous.lastWindowEndMs;
  if (!(elapsedMs > 0)) return previous;
  const windowMs = windowEndMs - windowStartMs;
  const newShare = windowMs > 0 ? Math.min(1, elapsedMs / windowMs) : 1;
  const added = samples * newShare;
  const decay = halfLifeMs > 0 ? Math.pow(2, -elapsedMs / halfLifeMs) : 0;
  const keptWeight = previous.weight * decay;
  const weight = keptWeight + added;
  const mean = weight > 0 ? (previous.mean * keptWeight + value * added) / weight : value;
  return { mean, weight, samples: previous.samples + added, lastWindowEndMs: windowEndMs };
}

/**
 * Holds the baseline still across a frozen evaluation: its mean and weight do
 * not change and the frozen span does not count as elapsed time, so neither
 * anomalous values nor the mere passing of time during an episode shift it.
 */
export function freezeBaseline(previous: BaselineState | null, windowEndMs: number): BaselineState | null {
  if (previous === null || windowEndMs <= previous.lastWindowEndMs) return previous;
  return { ...previous, lastWindowEndMs: windowEndMs };
}

/** True once the baseline has seen at least `minSamples` events and may set thresholds. */
export function baselineReady(baseline: BaselineState | null, minSamples: number): baseline is BaselineState {
  return baseline !== null && baseline.samples >= minSamples;
}
