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
 * @remarks Fields are public for cheap reads; change them only through
 * `add`/`merge`/`subtract`/`clear`.
 */
export class StatsBucket {
  /** Calls. */
  count = 0;
  /** Failed calls (`isError`). */
  errorCount = 0;
  /** Latency distribution of all calls, ms. */
  readonly latencyMs: QuantileSketch;
  /** Sum of all calls' latency, ms. */
  latencySumMs = 0;
  /** Sums of input and output tokens over events carrying them. */
  inputTokens = 0;
  outputTokens = 0;
  /** Events carrying `inputTokens` or `outputTokens`. */
  tokenEvents = 0;
  /** Σ (input + output tokens)² over those events (spread for confidence intervals). */
  tokensSquaredSum = 0;
  /** Sum of `costUsd` over every event carrying it (failed calls included), USD. */
  costSumUsd = 0;
  /** Events carrying `costUsd`. */
  costEvents = 0;
  /** Successful (non-error) events carrying `costUsd`: the divisor of cost per task. */
  costSuccessEvents = 0;
  /** Σ cost² over events carrying `costUsd`, USD². */
  costSquaredSumUsd2 = 0;
  /** Σ cost over the successful events carrying `costUsd`, USD. */
  costSuccessSumUsd = 0;
  /** Sum and count of `quality` scores ([0, 1]). */
  qualitySum = 0;
  qualityCount = 0;
  qualitySquaredSum = 0;
  /** Σ tokens × quality and the count of events carrying both (their covariance). */
  tokensQualitySum = 0;
  tokensQualityCount = 0;
  /** Events with `correct: true`, and events carrying `correct`. */
  correctTrue = 0;
  correctTotal = 0;
  /** Events with `consistent: true`, and events carrying `consistent`. */
  consistentTrue = 0;
  consistentTotal = 0;
  /** Sum and count of `satisfaction` scores ([0, 1]). */
  satisfactionSum = 0;
  satisfactionCount = 0;
  satisfactionSquaredSum = 0;

  /** @param relativeAccuracy and @param maxBins configure the latency sketch (see {@link QuantileSketch}). */
  constructor(relativeAccuracy = 0.01, maxBins = 2048) {
    this.latencyMs = new QuantileSketch(relativeAccuracy, maxBins);
  }

  /** True when no event was added (or all were subtracted again). */
  get isEmpty(): boolean {
    return this.count <= 0;
  }

  /**
   * Adds one event. Hot path: no allocation in steady state. `costUsd`
   * overrides the event's own (the engine passes the price-table cost here
   * rather than copying the event).
   */
  add(event: TelemetryEvent, costUsd: number | undefined = event.costUsd): void {
    this.count++;
    const failed = event.isError;
    if (failed) this.errorCount++;
    this.latencyMs.add(event.latencyMs);
    this.latencySumMs += event.latencyMs;
    const input = event.inputTokens;
    const output = event.outputTokens;
    let tokens = -1;
    if (input !== undefined || output !== undefined) {
      this.tokenEvents++;
      tokens = (input ?? 0) + (output ?? 0);
      this.tokensSquaredSum += tokens * tokens;
      if (input !== undefined) this.inputTokens += input;
      if (output !== undefined) this.outputTokens += output;
    }
    const cost = costUsd;
    if (cost !== undefined) {
      this.costSumUsd += cost;
      this.costSquaredSumUsd2 += cost * cost;
      this.costEvents++;
      if (!failed) {
        this.costSuccessEvents++;
        this.costSuccessSumUsd += cost;
      }
    }
    const quality = event.quality;
    if (quality !== undefined) {
      this.qualitySum += quality;
      this.qualitySquaredSum += quality * quality;
      this.qualityCount++;
      if (tokens >= 0) {
        this.tokensQualitySum += tokens * quality;
        this.tokensQualityCount++;
      }
    }
    if (event.correct !== undefined) {
      this.correctTotal++;
      if (event.correct) this.correctTrue++;
    }
    if (event.consistent !== undefined) {
      this.consistentTotal++;
      if (event.consistent) this.consistentTrue++;
    }
    if (event.satisfaction !== undefined) {
      this.satisfactionSum += event.satisfaction;
      this.satisfactionSquaredSum += event.satisfaction * event.satisfaction;
      this.satisfactionCount++;
    }
  }

  /**
   * Adds `weight` calls that all took `latencyMs` and carry nothing else (an
   * OTLP duration histogram bucket): O(1) whatever the weight.
   */
  addLatencyCalls(latencyMs: number, weight: number): void {
    if (!(weight > 0) || !Number.isFinite(weight)) return;
    this.count += weight;
    this.latencyMs.add(latencyMs, weight);
    this.latencySumMs += latencyMs * weight;
  }

  /** Adds all aggregates of `other` (union of the two buckets). */
  merge(other: StatsBucket): void {
    this.combine(other, 1);
    this.latencyMs.merge(other.latencyMs);
  }

  /** Removes the aggregates of `other`, previously merged into this bucket and unchanged since. */
  subtract(other: StatsBucket): void {
    this.combine(other, -1);
    this.latencyMs.subtract(other.latencyMs);
    // Float sums may keep a rounding residue once every event is gone.
    if (this.count <= 0) this.clear();
  }

  /**
   * Recomputes every sum and count (not the sketch, whose integer counts are
   * exact) as the union of `parts`: removes float rounding that repeated
   * merge/subtract leaves in a running total.
   */
  recomputeSums(parts: Iterable<StatsBucket>): void {
    this.clearSums();
    for (const part of parts) this.combine(part, 1);
  }

  /** Empties the bucket; keeps allocated sketch bins for reuse. */
  clear(): void {
    this.latencyMs.clear();
    this.clearSums();
  }

  private clearSums(): void {
    this.count = 0;
    this.errorCount = 0;
    this.latencySumMs = 0;
    this.inputTokens = 0;
    this.outputTokens = 0;
    this.tokenEvents = 0;
    this.tokensSquaredSum = 0;
    this.costSquaredSumUsd2 = 0;
    this.costSuccessSumUsd = 0;
    this.qualitySquaredSum = 0;
    this.tokensQualitySum = 0;
    this.tokensQualityCount = 0;
    this.satisfactionSquaredSum = 0;
    this.costSumUsd = 0;
    this.costEvents = 0;
    this.costSuccessEvents = 0;
    this.qualitySum = 0;
    this.qualityCount = 0;
    this.correctTrue = 0;
    this.correctTotal = 0;
    this.consistentTrue = 0;
    this.consistentTotal = 0;
    this.satisfactionSum = 0;
    this.satisfactionCount = 0;
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
    return [SUM_FIELDS.map((f) => this[f]), this.latencyMs.exportState()];
  }

  /** Replaces every aggregate with an {@link exportState} value; throws an InvariantError (changing nothing) when it is not one. */
  restoreState(state: StatsBucketState): void {
    const [sums, latency] = Array.isArray(state) ? state : [];
    if (!Array.isArray(sums) || sums.length !== SUM_FIELDS.length || !sums.every((n) => typeof n === 'number' && Number.isFinite(n)) || !Array.isArray(latency)) {
      throw new InvariantError(`bucket state: expected [${SUM_FIELDS.length} finite sums, sketch]`);
    }
    this.latencyMs.restoreState(latency);
    SUM_FIELDS.forEach((f, i) => {
      this[f] = sums[i]!;
    });
  }

  private combine(o: StatsBucket, sign: 1 | -1): void {
    this.count += sign * o.count;
    this.errorCount += sign * o.errorCount;
    this.latencySumMs += sign * o.latencySumMs;
    this.inputTokens += sign * o.inputTokens;
    this.outputTokens += sign * o.outputTokens;
    this.tokenEvents += sign * o.tokenEvents;
    this.costSumUsd += sign * o.costSumUsd;
    this.costEvents += sign * o.costEvents;
    this.costSuccessEvents += sign * o.costSuccessEvents;
    this.qualitySum += sign * o.qualitySum;
    this.qualityCount += sign * o.qualityCount;
    this.correctTrue += sign * o.correctTrue;
    this.correctTotal += sign * o.correctTotal;
    this.consistentTrue += sign * o.consistentTrue;
    this.consistentTotal += sign * o.consistentTotal;
    this.satisfactionSum += sign * o.satisfactionSum;
    this.satisfactionCount += sign * o.satisfactionCount;
    this.tokensSquaredSum += sign * o.tokensSquaredSum;
    this.costSquaredSumUsd2 += sign * o.costSquaredSumUsd2;
    this.costSuccessSumUsd += sign * o.costSuccessSumUsd;
    this.qualitySquaredSum += sign * o.qualitySquaredSum;
    this.tokensQualitySum += sign * o.tokensQualitySum;
    this.tokensQualityCount += sign * o.tokensQualityCount;
    this.satisfactionSquaredSum += sign * o.satisfactionSquaredSum;
  }
}
