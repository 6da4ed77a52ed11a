import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { MemoryEventForwarder } from '../../src/adapters/memory/memoryEventForwarder.js';
import { IngestService } from '../../src/app/ingestService.js';
import { parseConfig } from '../../src/config/load.js';
import { validateEvent, type TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { HistogramObservation } from '../../src/ports/ports.js';
import { PipelineRunner } from '../../src/runtime/pipelineRunner.js';

const NOW = 1_700_000_000_000;

function event(route: string, variant = 'v', ts = NOW - 1_000): TelemetryEvent {
  const result = validateEvent({ ts, route, variant, latency_ms: 100 });
  if (!result.ok) throw new Error(result.error.message);
  return result.event;
}

function histogram(route: string, variant = 'v', ts = NOW - 1_000): HistogramObservation {
  return { ts, route, variant, metric: 'latency_ms', bounds: [100, 1000], bucketCounts: [1, 2, 0], count: 3, sum: null };
}

function service(limits: Record<string, unknown>, memoryTight = false): { ingest: IngestService; engine: PipelineEngine } {
  const config = parseConfig({ limits: { probation_events: 0, ...limits } });
  const engine = new PipelineEngine(config);
  const runner = new PipelineRunner(engine, new MemoryDecisionLog());
  return { ingest: new IngestService({ config, clock: { now: () => NOW }, pipeline: runner, memoryTight: () => memoryTight }), engine };
}

describe('IngestService', () => {
  it('applies limits.max_routes to OTLP histograms exactly as to events (they used to bypass it)', async () => {
    const { ingest, engine } = service({ max_routes: 1 });
    expect(await ingest.submit([event('a')])).toEqual({ accepted: 1, errors: [] });
    const outcome = await ingest.submitHistograms([histogram('a'), histogram('b'), histogram('a', 'w')]);
    expect(outcome.accepted).toBe(2);
    expect(outcome.errors).toEqual([{ index: 1, field: 'route', message: 'too many routes: the limit is 1 (limits.max_routes)' }]);
    expect(engine.routeNames()).toEqual(['a']);
  });

  it('applies limits.max_variants_per_route to histograms', async () => {
    const { ingest } = service({ max_variants_per_route: 1 });
    const outcome = await ingest.submitHistograms([histogram('a', 'v1'), histogram('a', 'v2')]);
    expect(outcome).toMatchObject({ accepted: 1, errors: [{ index: 1, field: 'variant' }] });
  });

  it('checks the limits inside the serialized step: two batches racing for the last route slot cannot both win', async () => {
    const { ingest, engine } = service({ max_routes: 1 });
    const [first, second] = await Promise.all([ingest.submit([event('a')]), ingest.submit([event('b')])]);
    expect(first).toEqual({ accepted: 1, errors: [] });
    expect(second.accepted).toBe(0);
    expect(second.errors[0]?.message).toContain('limits.max_routes');
    expect(engine.routeNames()).toEqual(['a']);
  });

  it('indexes every refusal into the submitted batch, in order: future-dated, over a limit, too late', async () => {
    const { ingest } = service({ max_routes: 1 });
    await ingest.submit([event('a', 'v', NOW - 1_000)]);
    const outcome = await ingest.submit([
      event('a', 'v', NOW + 3_600_000), // ahead of the wall clock
      event('b'), // a second route
      event('a', 'v', NOW - 3_600_000), // older than the window
      event('a'),
    ]);
    expect(outcome.accepted).toBe(1);
    expect(outcome.errors.map((e) => [e.index, e.field])).toEqual([[0, 'ts'], [1, 'route'], [2, 'ts']]);
    expect(outcome.errors[2]?.message).toMatch(/^too_late: /);
  });

  it('over the memory budget a new series needs an evicted one; without one to evict it is refused', async () => {
    const { ingest } = service({}, true);
    const outcome = await ingest.submit([event('a')]);
    expect(outcome).toMatchObject({ accepted: 0, errors: [{ index: 0, field: 'route' }] });
    expect(outcome.errors[0]?.message).toContain('limits.memory_budget_bytes');
  });

  it('the gateway role forwards events (no limits: its consumers apply them) and refuses metrics it cannot forward', async () => {
    const config = parseConfig({ limits: { max_routes: 1 } });
    const forwarder = new MemoryEventForwarder();
    const runner = new PipelineRunner(new PipelineEngine(config), new MemoryDecisionLog());
    const ingest = new IngestService({ config, clock: { now: () => NOW }, pipeline: runner, forwarder });
    expect(await ingest.submit([event('a'), event('b')])).toEqual({ accepted: 2, errors: [] });
    expect(forwarder.events.map((e) => e.route)).toEqual(['a', 'b']);
    const metrics = await ingest.submitHistograms([histogram('a')]);
    expect(metrics).toMatchObject({ accepted: 0, errors: [{ index: 0, field: '(metric)' }] });
  });
});
