import type { Config } from '../config/schema.js';
import type { DecisionRecord } from '../core/decision.js';
import { describeError, TransientIoError } from '../core/errors.js';
import type { EventRejection, TelemetryEvent } from '../core/event.js';
import type { CardinalityGuard } from '../engine/engine.js';
import { countedAlreadyMessage, isoOrMs, tooLateMessage } from '../engine/tooLate.js';
import type { Clock, EventForwarder, HistogramObservation, IngestOutcome, Ingestor } from '../ports/ports.js';
import type { PipelineInput } from '../streams/pipelineInput.js';

/** The serialized pipeline the services hand their work to (the runtime's `PipelineRunner`). */
export interface Pipeline {
  submit(input: PipelineInput): Promise<DecisionRecord[]>;
}

/** What {@link IngestService} needs. */
export interface IngestServiceDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly pipeline: Pipeline;
  /** Gateway role: validated events go to Kafka instead of the pipeline (whose consumers apply the limits). */
  readonly forwarder?: EventForwarder | null;
  /** True while resident memory is over `limits.memory_budget_bytes`. */
  readonly memoryTight?: () => boolean;
}

/** Splits events into those dated at most `maxSkewMs` ahead of `nowMs` and rejections (indexed into `events`) for the rest. */
export function futureSkewFilter(events: readonly TelemetryEvent[], nowMs: number, maxSkewMs: number): { ok: TelemetryEvent[]; errors: EventRejection[] } {
  const limit = nowMs + maxSkewMs;
  const ok: TelemetryEvent[] = [];
  const errors: EventRejection[] = [];
  events.forEach((event, index) => {
    if (event.ts > limit) {
      errors.push({ index, field: 'ts', message: `${isoOrMs(event.ts)} is more than ${maxSkewMs / 1000}s ahead of the wall clock` });
    } else ok.push(event);
  });
  return { ok, errors };
}

/**
 * The ingest use case, the same for every source (HTTP events, OTLP traces and
 * metrics, Kafka, the simulator): validated input → future-skew check →
 * one serialized pipeline step that applies the cardinality limits
 * (`limits.*`) and feeds the engine → the outcome, every refusal indexed into
 * the submitted array with its reason. `accepted` means counted.
 *
 * @remarks The limits are checked inside the engine step, not before it, so
 * two batches arriving at once cannot both take the last free slot.
 */
export class IngestService implements Ingestor {
  constructor(private readonly deps: IngestServiceDeps) {}

  async submit(events: readonly TelemetryEvent[]): Promise<IngestOutcome> {
    const { config, clock, forwarder } = this.deps;
    const nowMs = clock.now();
    const { ok, errors } = futureSkewFilter(events, nowMs, config.time.max_future_skew);
    if (ok.length === 0) return { accepted: 0, errors };
    if (forwarder != null) {
      try {
        await forwarder.forward(ok);
      } catch (cause) {
        throw new TransientIoError(`cannot forward to Kafka: ${describeError(cause)}`, { cause });
      }
      return { accepted: ok.length, errors };
    }
    const positions = errors.length === 0 ? null : positionsOf(events, ok);
    const at = (i: number): number => positions?.[i] ?? i;
    let refused = 0;
    await this.deps.pipeline.submit({
      kind: 'events',
      events: ok,
      options: {
        nowMs,
        // Late events still count; only those older than the window or max lateness are refused.
        onTooLate: (i, oldestMs, countedThroughMs) => {
          refused++;
          const ts = ok[i]!.ts;
          errors.push({ index: at(i), field: 'ts', message: countedThroughMs === null ? tooLateMessage(ts, oldestMs, config.time) : countedAlreadyMessage(ts, countedThroughMs) });
        },
        limits: this.guard(errors, at, () => refused++),
      },
    });
    if (refused > 0) errors.sort((a, b) => a.index - b.index);
    return { accepted: ok.length - refused, errors };
  }

  async submitHistograms(observations: readonly HistogramObservation[]): Promise<IngestOutcome> {
    const { config, clock, forwarder } = this.deps;
    const nowMs = clock.now();
    const limit = nowMs + config.time.max_future_skew;
    const errors: EventRejection[] = [];
    const ok: HistogramObservation[] = [];
    const positions: number[] = [];
    observations.forEach((o, index) => {
      if (o.ts > limit) errors.push({ index, field: 'ts', message: 'data point is ahead of the wall clock' });
      else if (forwarder != null) errors.push({ index, field: '(metric)', message: 'OTLP metrics are not forwarded in the Kafka gateway role: send them to a consumer instance' });
      else {
        ok.push(o);
        positions.push(index);
      }
    });
    if (ok.length === 0) return { accepted: 0, errors };
    let refused = 0;
    await this.deps.pipeline.submit({ kind: 'histograms', observations: ok, options: { nowMs, limits: this.guard(errors, (i) => positions[i] ?? i, () => refused++) } });
    if (refused > 0) errors.sort((a, b) => a.index - b.index);
    return { accepted: ok.length - refused, errors };
  }

  private guard(errors: EventRejection[], at: (i: number) => number, count: () => void): CardinalityGuard {
    return {
      memoryTight: this.deps.memoryTight?.() ?? false,
      onRefused: (i, problem) => {
        count();
        errors.push({ index: at(i), ...problem });
      },
    };
  }
}

/** For each item of `kept` (a subsequence of `all`), its index in `all`. */
function positionsOf<T>(all: readonly T[], kept: readonly T[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < all.length && out.length < kept.length; i++) if (all[i] === kept[out.length]) out.push(i);
  return out;
}
