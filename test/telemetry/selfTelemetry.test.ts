import { afterEach, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import { startSelfTelemetry, type SelfTelemetry } from '../../src/telemetry/index.js';

const T0 = Date.UTC(2026, 0, 1);

function call(route: string, variant: string, ts: number, latencyMs: number): TelemetryEvent {
  return { ts, route, variant, latencyMs, isError: false } as TelemetryEvent;
}

function start(engine: PipelineEngine, topRoutes: number): SelfTelemetry {
  const config = ConfigSchema.parse({ telemetry: { top_routes: topRoutes, runtime_metrics: false } });
  return startSelfTelemetry(
    config.telemetry,
    {
      gauges: { routes: () => engine.stateSizes().routes, inFlight: () => 0, experimentStatuses: () => [], stateSizes: () => engine.stateSizes(), lateEvents: () => engine.counters.late, kafkaLag: () => [] },
      routes: engine,
    },
    { nowMs: () => T0 + 600_000 },
  );
}

let telemetry: SelfTelemetry | null = null;
afterEach(async () => {
  await telemetry?.shutdown();
  telemetry = null;
});

describe('/metrics with many routes in memory', () => {
  it('exports per-route series only for the busiest routes: small whatever the route count', async () => {
    const engine = new PipelineEngine(ConfigSchema.parse({ limits: { max_routes: 1_000_000 } }));
    const routes = 10_000;
    const events: TelemetryEvent[] = [];
    // Every route gets one call per variant; routes hot0..hot9 get more calls, hot0 the most.
    for (let r = 0; r < routes; r++) for (const v of ['a', 'b']) events.push(call(`route-${r}`, v, T0 + (r % 1000), 100));
    for (let h = 0; h < 10; h++) for (let i = 0; i < 5 + 10 * (10 - h); i++) events.push(call(`hot${h}`, 'a', T0 + 1000 + i, 200 + h));
    engine.ingest(events);
    telemetry = start(engine, 10);
    const text = await telemetry.metricsText();
    const requests = [...text.matchAll(/^promptpilot_route_requests\{route="([^"]+)",variant="[^"]+"\} (\d+)$/gm)].map((m) => m[1]);
    expect(new Set(requests)).toEqual(new Set(Array.from({ length: 10 }, (_, h) => `hot${h}`)));
    expect(text).toMatch(/^promptpilot_route_series 20010$/m);
    expect(text).toMatch(/^promptpilot_route_series_exported_routes 10$/m);
    expect(Buffer.byteLength(text)).toBeLessThan(16 * 1024);
  });

  it('exports only the busiest variants of a route with many (100 variants → 5 series per gauge)', async () => {
    const engine = new PipelineEngine(ConfigSchema.parse({ limits: { max_variants_per_route: 1_000 } }));
    const events: TelemetryEvent[] = [];
    // Variant v<i> gets i + 1 calls: v99..v95 are the busiest.
    for (let v = 0; v < 100; v++) for (let i = 0; i <= v; i++) events.push(call('wide', `v${v}`, T0 + i, 100));
    engine.ingest(events);
    telemetry = start(engine, 10);
    const text = await telemetry.metricsText();
    const variants = [...text.matchAll(/^promptpilot_route_requests\{route="wide",variant="([^"]+)"\} \d+$/gm)].map((m) => m[1]);
    expect(variants.sort()).toEqual(['v95', 'v96', 'v97', 'v98', 'v99']);
    expect(text).toMatch(/^promptpilot_route_series 100$/m);
  });

  it('a route that leaves the top is no longer exported (no stale series)', async () => {
    const engine = new PipelineEngine(ConfigSchema.parse({}));
    engine.ingest([call('early', 'a', T0, 100), call('early', 'a', T0 + 1, 100), call('late', 'a', T0, 100)]);
    engine.advanceIdle(60_000);
    telemetry = start(engine, 1);
    expect(await telemetry.metricsText()).toMatch(/route="early"/);
    engine.ingest(Array.from({ length: 50 }, (_, i) => call('late', 'a', T0 + 70_000 + i, 100)));
    engine.advanceIdle(60_000);
    const text = await telemetry.metricsText();
    expect(text).toMatch(/^promptpilot_route_requests\{route="late",variant="a"\} \d+$/m);
    expect(text).not.toMatch(/route="early"/);
  });
});
