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
