import type { TelemetryEvent } from '../../../src/core/event.js';
import type { HistogramObservation, IngestOutcome, Ingestor } from '../../../src/ports/ports.js';

/** An Ingestor that records what it is given, with knobs: refuse events past a `ts`, fail the next call. */
export class RecordingIngestor implements Ingestor {
  readonly events: TelemetryEvent[] = [];
  readonly histograms: HistogramObservation[] = [];
  rejectTsAbove = Infinity;
  failNext = false;

  async submit(events: readonly TelemetryEvent[]): Promise<IngestOutcome> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('pipeline down');
    }
    const errors = [];
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      if (event.ts > this.rejectTsAbove) errors.push({ index: i, field: 'ts', message: 'too far in the future' });
      else this.events.push(event);
    }
    return { accepted: events.length - errors.length, errors };
  }

  async submitHistograms(observations: readonly HistogramObservation[]): Promise<IngestOutcome> {
    this.histograms.push(...observations);
    return { accepted: observations.length, errors: [] };
  }
}
