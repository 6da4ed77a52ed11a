import type { TelemetryEvent } from '../core/event.js';
import { InvariantError } from '../core/errors.js';
import { QuantileSketch } from './quantileSketch.js';

/** The additive fields of a {@link StatsBucket}, in the order its checkpoint state lists them (append only: the order is the format). */
const SUM_FIELDS = [
  'count', 'errorCount', 'latencySumMs', 'inputTokens', 'outputTokens', 'tokenEvents', 'tokensSquaredSum',
  'costSumUsd', 'costEvents', 'costSuccessEvents', 'costSquaredSumUsd2', 'costSuccessSumUsd',
  'qualitySum', 'qualityCount', 'qualitySquaredSum', 'tokensQualitySum', 'tokensQualityCount',
  'correctTrue', 'correctTotal', 'consistentTrue', 'consistentTotal',
  'satisfactionSum', 'satisfactionCount', 'satisfactionSquaredSum',
] as const satisfies readonly (keyof StatsBucket)[];

/** Numbers in a bucket's sums array ({@link StatsBucket.sums}). */
export const SUM_COUNT = SUM_FIELDS.length;

// Offsets in a sums array: the SUM_FIELDS order.
const COUNT = 0;
const ERROR_COUNT = 1;
const LATENCY_SUM = 2;
const INPUT_TOKENS = 3;
const OUTPUT_TOKENS = 4;
const TOKEN_EVENTS = 5;
const TOKENS_SQUARED = 6;
const COST_SUM = 7;
const COST_EVENTS = 8;
const COST_SUCCESS_EVENTS = 9;
const COST_SQUARED = 10;
const COST_SUCCESS_SUM = 11;
const QUALITY_SUM = 12;
const QUALITY_COUNT = 13;
const QUALITY_SQUARED = 14;
const TOKENS_QUALITY_SUM = 15;
const TOKENS_QUALITY_COUNT = 16;
const CORRECT_TRUE = 17;
const CORRECT_TOTAL = 18;
const CONSISTENT_TRUE = 19;
const CONSISTENT_TOTAL = 20;
const SATISFACTION_SUM = 21;
const SATISFACTION_COUNT = 22;
const SATISFACTION_SQUARED = 23;

/**
 * Adds one event to the sums at `s[at]` (the {@link SUM_FIELDS} layout):
 * everything {@link StatsBucket.add} does but the latency sketch. The one
 * implementation for a bucket's own array and for a slot of a {@link BucketPool}.
 */
export function addEventSums(s: Float64Array, at: number, event: TelemetryEvent, costUsd: number | undefined): void {
  s[at + COUNT]!++;
  const failed = event.isError;
  if (failed) s[at + ERROR_COUNT]!++;
  s[at + LATENCY_SUM]! += event.latencyMs;
  const input = event.inputTokens;
  const output = event.outputTokens;
  let tokens = -1;
  if (input !== undefined || output !== undefined) {
    s[at + TOKEN_EVENTS]!++;
    tokens = (input ?? 0) + (output ?? 0);
    s[at + TOKENS_SQUARED]! += tokens * tokens;
    if (input !== undefined) s[at + INPUT_TOKENS]! += input;
    if (output !== undefined) s[at + OUTPUT_TOKENS]! += output;
  }
  const cost = costUsd;
  if (cost !== undefined) {
    s[at + COST_SUM]! += cost;
    s[at + COST_SQUARED]! += cost * cost;
    s[at + COST_EVENTS]!++;
    if (!failed) {
      s[at + COST_SUCCESS_EVENTS]!++;
      s[at + COST_SUCCESS_SUM]! += cost;
    }
  }
  const quality = event.quality;
  if (quality !== undefined) {
    s[at + QUALITY_SUM]! += quality;
    s[at + QUALITY_SQUARED]! += quality * quality;
    s[at + QUALITY_COUNT]!++;
    if (tokens >= 0) {
      s[at + TOKENS_QUALITY_SUM]! += tokens * quality;
      s[at + TOKENS_QUALITY_COUNT]!++;
    }
  }
  if (event.correct !== undefined) {
    s[at + CORRECT_TOTAL]!++;
    if (event.correct) s[at + CORRECT_TRUE]!++;
  }
  if (event.consistent !== undefined) {
    s[at + CONSISTENT_TOTAL]!++;
    if (event.consistent) s[at + CONSISTENT_TRUE]!++;
  }
  const satisfaction = event.satisfaction;
  if (satisfaction !== undefined) {
    s[at + SATISFACTION_SUM]! += satisfaction;
    s[at + SATISFACTION_SQUARED]! += satisfaction * satisfaction;
    s[at + SATISFACTION_COUNT]!++;
  }
}

/** Adds `weight` latency-only calls to the sums at `s[at]` (see {@link StatsBucket.addLatencyCalls}; the caller checked the weight). */
export function addLatencyCallSums(s: Float64Array, at: number, latencyMs: number, weight: number): void {
  s[at + COUNT]! += weight;
  s[at + LATENCY_SUM]! += latencyMs * weight;
}

/** `s[at…] += sign × o[from…]` for every sum: a union (1) or the removal of a part merged earlier (−1). */
export function combineSums(s: Float64Array, at: number, o: Float64Array, from: number, sign: 1 | -1): void {
  for (let k = 0; k < SUM_COUNT; k++) s[at + k]! += sign * o[from + k]!;
}

/** A {@link StatsBucketState}'s two parts, its sums checked (the sketch part is checked where it is restored); throws an InvariantError when it is not one. */
export function checkSumsState(state: StatsBucketState): readonly [sums: readonly number[], latency: readonly number[]] {
  const [sums, latency] = Array.isArray(state) ? state : [];
  if (!Array.isArray(sums) || sums.length !== SUM_COUNT || !sums.every((n) => typeof n === 'number' && Number.isFinite(n)) || !Array.isArray(latency)) {
    throw new InvariantError(`bucket state: expected [${SUM_COUNT} finite sums, sketch]`);
  }
  return [sums, latency];
}



/** A {@link StatsBucket} as plain numbers (see {@link StatsBucket.exportState}). */
export type StatsBucketState = readonly [sums: readonly number[], latency: readonly number[]];

/**
 * Every additive aggregate of one time bucket of one (route, variant): sums
 * and counts that can be merged (union of buckets) and subtracted (a bucket
 * expiring from a window total). {@link toWindowStats} turns them into metrics.
 *
 * How fields that an event may lack are counted (each metric averages over the
 * events that carry its input; a metric with no such event is null):
 * - latency: every event, failed ones included (`latencyMs` is required).
 * - tokens: events carrying `inputTokens` or `outputTokens` (a missing side
 *   counts 0) → tokens per request = (input + output) / tokenEvents.
 * - cost: events carrying `costUsd` → cost per task = total cost of those
 *   calls / those of them that succeeded (failed calls' spend is charged to
 *   the successful tasks, DESIGN §3).
 * - quality, satisfaction: events carrying the score; correct, consistent:
 *   events carrying the boolean.
 *
 * @remarks The sums live in one `Float64Array` ({@link sums}, the
 * {@link SUM_FIELDS} order) read through getters: unboxed and contiguous,
 * where number fields would each be a separate heap box once they hold a
 * fraction. Window buckets keep the same layout in a {@link BucketPool} slab.
 */
export class StatsBucket {
  /** Every sum and count, {@link SUM_FIELDS} order. Change it only through `add`/`merge`/`subtract`/`clear`. */
  readonly sums = new Float64Array(SUM_COUNT);
  /** Latency distribution of all calls, ms. */
  readonly latencyMs: QuantileSketch;

  /** @param relativeAccuracy and @param maxBins configure the latency sketch (see {@link QuantileSketch}). */
  constructor(relativeAccuracy = 0.01, maxBins = 2048) {
    this.latencyMs = new QuantileSketch(relativeAccuracy, maxBins);
  }

  /** Calls. */
  get count(): number {
    return this.sums[COUNT]!;
  }
  /** Failed calls (`isError`). */
  get errorCount(): number {
    return this.sums[ERROR_COUNT]!;
  }
  /** Sum of all calls' latency, ms. */
  get latencySumMs(): number {
    return this.sums[LATENCY_SUM]!;
  }
  /** Sum of input tokens over events carrying tokens. */
  get inputTokens(): number {
    return this.sums[INPUT_TOKENS]!;
  }
  /** Sum of output tokens over events carrying tokens. */
  get outputTokens(): number {
    return this.sums[OUTPUT_TOKENS]!;
  }
  /** Events carrying `inputTokens` or `outputTokens`. */
  get tokenEvents(): number {
    return this.sums[TOKEN_EVENTS]!;
  }
  /** Σ (input + output tokens)² over those events (spread for confidence intervals). */
  get tokensSquaredSum(): number {
    return this.sums[TOKENS_SQUARED]!;
  }
  /** Sum of `costUsd` over every event carrying it (failed calls included), USD. */
  get costSumUsd(): number {
    return this.sums[COST_SUM]!;
  }
  /** Events carrying `costUsd`. */
  get costEvents(): number {
    return this.sums[COST_EVENTS]!;
  }
  /** Successful (non-error) events carrying `costUsd`: the divisor of cost per task. */
  get costSuccessEvents(): number {
    return this.sums[COST_SUCCESS_EVENTS]!;
  }
  /** Σ cost² over events carrying `costUsd`, USD². */
  get costSquaredSumUsd2(): number {
    return this.sums[COST_SQUARED]!;
  }
  /** Σ cost over the successful events carrying `costUsd`, USD. */
  get costSuccessSumUsd(): number {
    return this.sums[COST_SUCCESS_SUM]!;
  }
  /** Sum of `quality` scores ([0, 1]). */
  get qualitySum(): number {
    return this.sums[QUALITY_SUM]!;
  }
  /** Events carrying `quality`. */
  get qualityCount(): number {
    return this.sums[QUALITY_COUNT]!;
  }
  /** Σ quality². */
  get qualitySquaredSum(): number {
    return this.sums[QUALITY_SQUARED]!;
  }
  /** Σ tokens × quality over the events carrying both (their covariance). */
  get tokensQualitySum(): number {
    return this.sums[TOKENS_QUALITY_SUM]!;
  }
  /** Events carrying both tokens and `quality`. */
  get tokensQualityCount(): number {
    return this.sums[TOKENS_QUALITY_COUNT]!;
  }
  /** Events with `correct: true`. */
  get correctTrue(): number {
    return this.sums[CORRECT_TRUE]!;
  }
  /** Events carrying `correct`. */
  get correctTotal(): number {
    return this.sums[CORRECT_TOTAL]!;
  }
  /** Events with `consistent: true`. */
  get consistentTrue(): number {
    return this.sums[CONSISTENT_TRUE]!;
  }
  /** Events carrying `consistent`. */
  get consistentTotal(): number {
    return this.sums[CONSISTENT_TOTAL]!;
  }
  /** Sum of `satisfaction` scores ([0, 1]). */
  get satisfactionSum(): number {
    return this.sums[SATISFACTION_SUM]!;
  }
  /** Events carrying `satisfaction`. */
  get satisfactionCount(): number {
    return this.sums[SATISFACTION_COUNT]!;
  }
  /** Σ satisfaction². */
  get satisfactionSquaredSum(): number {
    return this.sums[SATISFACTION_SQUARED]!;
  }

  /** True when no event was added (or all were subtracted again). */
  get isEmpty(): boolean {
    return this.sums[COUNT]! <= 0;
  }

  /**
   * Adds one event. Hot path: no allocation in steady state. `costUsd`
   * overrides the event's own (the engine passes the price-table cost here
   * rather than copying the event).
   */
  add(event: TelemetryEvent, costUsd: number | undefined = event.costUsd): void {
    addEventSums(this.sums, 0, event, costUsd);
    this.latencyMs.add(event.latencyMs);
  }

  /**
   * Adds `weight` calls that all took `latencyMs` and carry nothing else (an
   * OTLP duration histogram bucket): O(1) whatever the weight.
   */
  addLatencyCalls(latencyMs: number, weight: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) return;
    addLatencyCallSums(this.sums, 0, latencyMs, weight);
    this.latencyMs.add(latencyMs, weight);
  }

  /** Adds all aggregates of `other` (union of the two buckets). */
  merge(other: StatsBucket): void {
    combineSums(this.sums, 0, other.sums, 0, 1);
    this.latencyMs.merge(other.latencyMs);
  }

  /** Removes the aggregates of `other`, previously merged into this bucket and unchanged since. */
  subtract(other: StatsBucket): void {
    combineSums(this.sums, 0, other.sums, 0, -1);
    this.latencyMs.subtract(other.latencyMs);
    this.clearIfEmpty();
  }

  /** Float sums may keep a rounding residue once every event is gone: clears the bucket when it holds no call. */
  clearIfEmpty(): void {
    if (this.sums[COUNT]! <= 0) this.clear();
  }

  /** Empties the bucket; keeps allocated sketch bins for reuse. */
  clear(): void {
    this.latencyMs.clear();
    this.sums.fill(0);
  }

  /** Approximate heap bytes held by this bucket. */
  approxBytes(): number {
    return 256 + this.latencyMs.approxBytes();
  }

  /**
   * Every aggregate as plain numbers, for a checkpoint: the sums and counts in
   * {@link SUM_FIELDS} order, then the latency sketch's {@link QuantileSketch.exportState}.
   * Floats are kept exactly (JSON numbers round-trip), so a restored bucket
   * gives byte-identical metrics.
   */
  exportState(): StatsBucketState {
    return [Array.from(this.sums), this.latencyMs.exportState()];
  }

  /** Replaces every aggregate with an {@link exportState} value; throws an InvariantError (changing nothing) when it is not one. */
  restoreState(state: StatsBucketState): void {
    const [sums, latency] = checkSumsState(state);
    this.latencyMs.restoreState(latency);
    this.sums.set(sums);
  }
}
