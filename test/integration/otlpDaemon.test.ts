import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ConfigSchema } from '../../src/config/schema.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { mulberry32 as prng } from '../../src/sim/random.js';

function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

function hrTime(epochNs: number): HrTime {
  return [Math.floor(epochNs / 1e9), epochNs % 1e9];
}

const config = ConfigSchema.parse({ server: { port: 0, host: '127.0.0.1', max_event_loop_delay: 0 }, log: { level: 'silent' } });
let daemon: Daemon;

beforeAll(async () => {
  // The daemon serves OTLP on its own port, as a user runs it.
  daemon = await startDaemon(config);
});
afterAll(async () => {
  await daemon.stop();
});

/** Sends `n` GenAI spans for `route`, ending in time order over the last minute of wall time; returns the sent latencies. */
async function send(exporter: SpanExporter, route: string, n: number, seed: number): Promise<number[]> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'llm-app' }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: n * 2, maxExportBatchSize: 200, scheduledDelayMillis: 20 })],
  });
  const tracer = provider.getTracer('genai-e2e');
  const random = prng(seed);
  const firstEndNs = (Date.now() - 60_000) * 1e6;
  const latencies: number[] = [];
  for (let i = 0; i < n; i++) {
    const latencyUs = Math.round(Math.exp(6 + 0.8 * (random() + random() + random() - 1.5)) * 1000);
    const endNs = firstEndNs + i * 40_000_000;
    const span = tracer.startSpan('chat', {
      startTime: hrTime(endNs - latencyUs * 1000),
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'gen_ai.prompt.name': route, 'gen_ai.prompt.version': '3' },
    });
    span.end(hrTime(endNs));
    latencies.push(latencyUs / 1000);
  }
  await provider.forceFlush();
  await provider.shutdown();
  return latencies;
}

interface RouteView {
  variants: { variant: string; count: number; latency_ms: { p95: number } | null }[];
}

describe('OTLP through the full daemon → GET /v1/routes/{route}', () => {
  const cases = [
    { route: 'otlp-proto-route', exporter: () => new ProtoTraceExporter({ url: `${daemon.url}/v1/traces` }) },
    { route: 'otlp-json-route', exporter: () => new JsonTraceExporter({ url: `${daemon.url}/v1/traces` }) },
  ];
  for (const [k, c] of cases.entries()) {
    it(`${c.route}: counts exactly what was sent, p95 within 1 % of exact`, async () => {
      const sent = await send(c.exporter(), c.route, 1200, 11 + k);
      const res = await fetch(`${daemon.url}/v1/routes/${c.route}`);
      expect(res.status).toBe(200);
      const view = (await res.json()) as RouteView;
      expect(view.variants).toHaveLength(1);
      const v = view.variants[0]!;
      expect(v.variant).toBe('3');
      expect(v.count).toBe(sent.length);
      const exact = percentile(sent, 0.95);
      expect(Math.abs((v.latency_ms?.p95 ?? NaN) - exact) / exact).toBeLessThanOrEqual(0.01);
    });
  }
});
