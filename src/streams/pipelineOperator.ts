import { asyncScheduler, interval, map, type Observable, type OperatorFunction, type SchedulerLike } from 'rxjs';
import type { DecisionRecord } from '../core/decision.js';
import type { TelemetryEvent } from '../core/event.js';
import type { HistogramObservation } from '../ports/ports.js';
import type { IngestOptions, PipelineEngine } from '../engine/engine.js';

/** What drives the engine: a batch of validated events, or wall-clock time passing. */
export type PipelineInput =
  | { readonly kind: 'events'; readonly events: readonly TelemetryEvent[]; readonly options?: IngestOptions }
  | { readonly kind: 'tick'; readonly elapsedMs: number }
  | { readonly kind: 'histograms'; readonly observations: readonly HistogramObservation[]; readonly options?: IngestOptions }
  /** A state change from the control API (manual promote/rollback, variant registration), serialized with the data. */
  | { readonly kind: 'command'; readonly run: (engine: PipelineEngine) => DecisionRecord[] };

/** Applies one input to the engine and returns the decision records it produced. */
export function stepEngine(engine: PipelineEngine, input: PipelineInput): DecisionRecord[] {
  switch (input.kind) {
    case 'events':
      return engine.ingest(input.events, input.options);
    case 'tick':
      return engine.advanceIdle(input.elapsedMs);
    case 'histograms':
      return engine.ingestHistograms(input.observations, input.options);
    case 'command':
      return input.run(engine);
  }
}

/**
 * The streaming core as an operator: inputs in, one array of decision records
 * per input out (often empty). The engine is synchronous, so order in equals
 * order out.
 */
export function runEngine(engine: PipelineEngine): OperatorFunction<PipelineInput, DecisionRecord[]> {
  return map((input) => stepEngine(engine, input));
}

/**
 * Idle clock: every `periodMs` of scheduler time, a tick carrying the time
 * elapsed since the previous one. Idle routes' watermarks follow it.
 */
export function idleTicks(periodMs: number, scheduler: SchedulerLike = asyncScheduler): Observable<PipelineInput> {
  let last = scheduler.now();
  return interval(periodMs, scheduler).pipe(
    map(() => {
      const now = scheduler.now();
      const elapsedMs = now - last;
      last = now;
      return { kind: 'tick', elapsedMs } as const;
    }),
  );
}
