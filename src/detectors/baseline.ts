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
  writeBaseline(SCRATCH, 0, previous);
  const { value, samples, windowStartMs, windowEndMs } = observation;
  return updateBaselineAt(SCRATCH, 0, value, samples, windowStartMs, windowEndMs, halfLifeMs) ? readBaseline(SCRATCH, 0) : previous;
}

/**
 * Holds the baseline still across a frozen evaluation: its mean and weight do
 * not change and the frozen span does not count as elapsed time, so neither
 * anomalous values nor the mere passing of time during an episode shift it.
 */
export function freezeBaseline(previous: BaselineState | null, windowEndMs: number): BaselineState | null {
  writeBaseline(SCRATCH, 0, previous);
  return freezeBaselineAt(SCRATCH, 0, windowEndMs) ? readBaseline(SCRATCH, 0) : previous;
}

/**
 * Numbers per baseline where baselines are kept in a `Float64Array` (a detector keeps each variant's there:
 * updated in place at every evaluation, no object per update): mean, weight, samples, lastWindowEndMs, in
 * {@link BaselineState}'s order; a NaN `lastWindowEndMs` means no baseline yet.
 */
export const BASELINE_FIELDS = 4;

/** The baseline stored at `at` of `slab`, or null. */
export function readBaseline(slab: Float64Array, at: number): BaselineState | null {
  if (Number.isNaN(slab[at + 3]!)) return null;
  return { mean: slab[at]!, weight: slab[at + 1]!, samples: slab[at + 2]!, lastWindowEndMs: slab[at + 3]! };
}

/** Stores a baseline (null: none) at `at` of `slab`. */
export function writeBaseline(slab: Float64Array, at: number, baseline: BaselineState | null): void {
  slab[at] = baseline?.mean ?? Number.NaN;
  slab[at + 1] = baseline?.weight ?? Number.NaN;
  slab[at + 2] = baseline?.samples ?? Number.NaN;
  slab[at + 3] = baseline?.lastWindowEndMs ?? Number.NaN;
}

/** {@link updateBaseline} on the baseline stored at `at` of `slab`, in place; false when it stays as it was. */
export function updateBaselineAt(slab: Float64Array, at: number, value: number, samples: number, windowStartMs: number, windowEndMs: number, halfLifeMs: number): boolean {
  if (!Number.isFinite(value) || !(samples > 0)) return false;
  const lastWindowEndMs = slab[at + 3]!;
  if (Number.isNaN(lastWindowEndMs)) {
    slab[at] = value;
    slab[at + 1] = samples;
    slab[at + 2] = samples;
    slab[at + 3] = windowEndMs;
    return true;
  }
  const elapsedMs = windowEndMs - lastWindowEndMs;
  if (!(elapsedMs > 0)) return false;
  const windowMs = windowEndMs - windowStartMs;
  const newShare = windowMs > 0 ? Math.min(1, elapsedMs / windowMs) : 1;
  const added = samples * newShare;
  const decay = halfLifeMs > 0 ? Math.pow(2, -elapsedMs / halfLifeMs) : 0;
  const keptWeight = slab[at + 1]! * decay;
  const weight = keptWeight + added;
  slab[at] = weight > 0 ? (slab[at]! * keptWeight + value * added) / weight : value;
  slab[at + 1] = weight;
  slab[at + 2] = slab[at + 2]! + added;
  slab[at + 3] = windowEndMs;
  return true;
}

/** {@link freezeBaseline} on the baseline stored at `at` of `slab`, in place; false when it stays as it was. */
export function freezeBaselineAt(slab: Float64Array, at: number, windowEndMs: number): boolean {
  const lastWindowEndMs = slab[at + 3]!;
  if (Number.isNaN(lastWindowEndMs) || windowEndMs <= lastWindowEndMs) return false;
  slab[at + 3] = windowEndMs;
  return true;
}

/** Scratch of the object-valued functions above: one baseline. */
const SCRATCH = new Float64Array(BASELINE_FIELDS);

/** True once the baseline has seen at least `minSamples` events and may set thresholds. */
export function baselineReady(baseline: BaselineState | null, minSamples: number): baseline is BaselineState {
  return baseline !== null && baseline.samples >= minSamples;
}
