// Regression: the stage-timing ring of `response_time_budget` was a sparse array filled at the slot of the first
// call's 5-minute slice; when that slot was not the first, judging the route iterated the empty slots before it
// and read `startMs` of undefined — an internal error that stopped the pipeline (HTTP 500, the daemon exited 1)
// for any route whose first call with `stage_ms` fell in such a slice. Found by test/integration/redisForesightRestart.test.ts.
import { expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { validateBatch } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';

it('a route whose first call with stage timings falls in any slot of the ring is judged without failing', () => {
  const T0 = Date.parse('2026-01-05T08:00:00Z');
  for (let slot = 0; slot < 4; slot++) {
    const engine = new PipelineEngine(parseConfig({}));
    const start = T0 + slot * 300_000;
    const wire = Array.from({ length: 200 }, (_, i) => ({
      ts: start + i * 1000, route: 'staged', variant: 'v1', latency_ms: 2000,
      stage_ms: { prompt_processing: 400, model_inference: 1500, post_processing: 100 },
    }));
    const { events, errors } = validateBatch(wire);
    expect(errors).toEqual([]);
    expect(() => engine.ingest(events)).not.toThrow();
    expect(() => engine.flush()).not.toThrow();
  }
});
