import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HrTime } from '@opentelemetry/api';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { registerOtlpRoutes } from '../../src/adapters/http/otlpRoutes.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { RecordingIngestor } from '../adapters/http/recordingIngestor.js';

/** Deterministic PRNG (mulberry32) for latencies. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Nearest-rank percentile. */
function percentile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)] ?? NaN;
}

interface SentSpan {
  readonly route: string;
  readonly latencyMs: number;
}

const BASE_SECONDS = 1_760_000_000;

/** Sends `n` GenAI spans (plus a non-LLM span every 10th) through a real tracer provider; returns what was sent. */
async function sendSpans(exporter: SpanExporter, n: number, seed: number, batch: boolean): Promise<SentSpan[]> {
  const processor = batch ? new BatchSpanProcessor(exporter, { maxQueueSize: n * 2, maxExportBatchSize: 256, scheduledDelayMillis: 50 }) : new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'llm-app' }),
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('genai-test');
  const random = prng(seed);
  const sent: SentSpan[] = [];
  for (let i = 0; i < n; i++) {
    const route = i % 3 === 0 ? 'summarize' : 'classify';
    // log-normal-ish latency with microsecond resolution, times given as exact HrTime
    const latencyUs = Math.round(Math.exp(5 + 1.2 * (random() + random() + random() - 1.5)) * 1000);
    const endNs = i * 7_000_000 + 123_456;
    const end: HrTime = [BASE_SECONDS + Math.floor(endNs / 1e9), endNs % 1e9];
    const startNs = endNs - latencyUs * 1000 + 1e9;
    const start: HrTime = [BASE_SECONDS - 1 + Math.floor(startNs / 1e9), startNs % 1e9];
    const span = tracer.startSpan('chat gpt-4o-mini', {
      startTime: start,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.usage.input_tokens': 100 + (i % 50),
        'gen_ai.usage.output_tokens': 20 + (i % 7),
        'promptpilot.route': route,
        'promptpilot.variant': 'v1',
      },
    });
    span.end(end);
    sent.push({ route, latencyMs: latencyUs / 1000 });
    if (i % 10 === 0) tracer.startSpan('GET /health', { startTime: start }).end(end);
    // SimpleSpanProcessor exports every span at once; stay under the exporter's concurrent-export limit
    if (!batch && i % 10 === 9) await provider.forceFlush();
  }
  await provider.forceFlush();
  await provider.shutdown();
  return sent;
}

let app: FastifyInstance;
let url: string;
const ingestor = new RecordingIngestor();

beforeAll(async () => {
  app = Fastify({ logger: false });
  await registerOtlpRoutes(app, { ingestor, config: ConfigSchema.parse({}) });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  url = address.replace('localhost', '127.0.0.1');
});
afterAll(async () => {
  await app.close();
});

const cases: { name: string; batch: boolean; exporter: () => SpanExporter }[] = [
  { name: 'exporter-trace-otlp-proto, batch, gzip', batch: true, exporter: () => new ProtoTraceExporter({ url: `${url}/v1/traces`, compression: CompressionAlgorithm.GZIP }) },
  { name: 'exporter-trace-otlp-proto, simple', batch: false, exporter: () => new ProtoTraceExporter({ url: `${url}/v1/traces` }) },
  { name: 'exporter-trace-otlp-http (JSON), batch', batch: true, exporter: () => new JsonTraceExporter({ url: `${url}/v1/traces` }) },
];

describe('real OpenTelemetry trace exporters → /v1/traces', () => {
  for (const [k, c] of cases.entries()) {
    it(`${c.name}: counts every GenAI span exactly and keeps latencies exact`, async () => {
      ingestor.events.length = 0;
      const n = c.batch ? 1500 : 200;
      const sent = await sendSpans(c.exporter(), n, 7 + k, c.batch);
      expect(ingestor.events).toHaveLength(n);
      for (const route of ['summarize', 'classify']) {
        const sentLatencies = sent.filter((s) => s.route === route).map((s) => s.latencyMs);
        const got = ingestor.events.filter((e) => e.route === route).map((e) => e.latencyMs);
        expect(got).toHaveLength(sentLatencies.length);
        expect(percentile(got, 0.95)).toBe(percentile(sentLatencies, 0.95));
        expect([...got].sort((a, b) => a - b)).toEqual([...sentLatencies].sort((a, b) => a - b));
      }
      expect(ingestor.events.every((e) => e.variant === 'v1' && e.model === 'gpt-4o-mini' && e.inputTokens !== undefined)).toBe(true);
    });
  }
});

describe('real OpenTelemetry metric exporters → /v1/metrics', () => {
  const exporters: { name: string; make: () => PushMetricExporter }[] = [
    { name: 'exporter-metrics-otlp-proto', make: () => new ProtoMetricExporter({ url: `${url}/v1/metrics` }) },
    { name: 'exporter-metrics-otlp-http (JSON)', make: () => new JsonMetricExporter({ url: `${url}/v1/metrics` }) },
  ];
  for (const e of exporters) {
    it(`${e.name}: GenAI histograms accepted, cumulative totals counted once`, async () => {
      ingestor.histograms.length = 0;
      const reader = new PeriodicExportingMetricReader({ exporter: e.make(), exportIntervalMillis: 3_600_000 });
      const provider = new MeterProvider({ readers: [reader], resource: resourceFromAttributes({ 'service.name': 'llm-app' }) });
      const meter = provider.getMeter('genai-test');
      const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1, 2, 5] } });
      const tokens = meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [64, 256, 1024] } });
      const attrs = { 'gen_ai.operation.name': 'chat', 'promptpilot.route': 'summarize', 'promptpilot.variant': 'v1' };
      const seconds = [0.05, 0.3, 0.7, 1.5, 3, 0.2];
      for (const s of seconds) duration.record(s, attrs);
      tokens.record(300, { ...attrs, 'gen_ai.token.type': 'input' });
      tokens.record(40, { ...attrs, 'gen_ai.token.type': 'output' });
      await reader.forceFlush();
      duration.record(0.4, attrs);
      await reader.forceFlush();
      await reader.forceFlush();
      await provider.shutdown();

      const latency = ingestor.histograms.filter((h) => h.metric === 'latency_ms');
      expect(latency.reduce((a, h) => a + h.count, 0)).toBe(seconds.length + 1);
      expect(latency[0]).toMatchObject({ route: 'summarize', variant: 'v1', bounds: [100, 500, 1000, 2000, 5000], bucketCounts: [1, 2, 1, 1, 1, 0] });
      expect(latency[1]).toMatchObject({ bucketCounts: [0, 1, 0, 0, 0, 0], count: 1 });
      expect(latency[1]?.sum).toBeCloseTo(400, 6);
      expect(ingestor.histograms.filter((h) => h.metric === 'input_tokens').map((h) => h.bucketCounts)).toEqual([[0, 0, 1, 0]]);
      expect(ingestor.histograms.filter((h) => h.metric === 'output_tokens').map((h) => h.count)).toEqual([1]);
    });
  }
});
