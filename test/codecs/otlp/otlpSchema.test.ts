import { describe, expect, it } from 'vitest';
import { SpanStatusCode } from '@opentelemetry/api';
import { JsonMetricsSerializer, JsonTraceSerializer, ProtobufMetricsSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AggregationTemporality, AggregationType, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeMetricsRequestProto, decodeRequestJson, decodeTraceRequestProto, encodeResponseProto, otlpTypes } from '../../../src/codecs/otlp/otlpProtobuf.js';
import { HistogramMapper } from '../../../src/codecs/otlp/histogramMapper.js';
import { SpanMapper } from '../../../src/codecs/otlp/spanMapper.js';
import { ConfigSchema } from '../../../src/config/schema.js';

// The project's own OTLP schema against the bytes the real OpenTelemetry JS exporters send
// (otlp-transformer's serializers are what exporter-*-otlp-proto and -http put on the wire).
const attributes = ConfigSchema.parse({}).otlp.attributes;
const BASE_SECONDS = 1_760_000_000;

function spans() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'llm-app', 'promptpilot.variant': 'from-resource' }), spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('genai');
  const ok = tracer.startSpan('chat', {
    startTime: [BASE_SECONDS, 0],
    attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30, 'promptpilot.route': 'summarize', 'promptpilot.quality': 0.8, 'promptpilot.correct': true },
  });
  ok.end([BASE_SECONDS, 250_500_000]);
  const failed = tracer.startSpan('chat', { startTime: [BASE_SECONDS + 1, 0], attributes: { 'gen_ai.operation.name': 'chat', 'promptpilot.route': 'summarize', 'promptpilot.variant': 'v2' } });
  failed.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
  failed.end([BASE_SECONDS + 3, 0]);
  tracer.startSpan('GET /health', { startTime: [BASE_SECONDS, 0] }).end([BASE_SECONDS, 1_000_000]);
  return exporter.getFinishedSpans();
}

describe('own OTLP trace schema', () => {
  const encodings = [
    { name: 'protobuf', decode: () => decodeTraceRequestProto(ProtobufTraceSerializer.serializeRequest(spans())!) },
    { name: 'JSON', decode: () => decodeRequestJson(JsonTraceSerializer.serializeRequest(spans())!, 'resourceSpans') },
  ];
  for (const e of encodings) {
    it(`${e.name}: reads route, model, tokens, latency, status and resource attributes`, () => {
      const decoded = e.decode();
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const mapping = new SpanMapper({ attributes }).map(decoded.request);
      expect(mapping.spans).toBe(3);
      expect(mapping.skipped).toBe(1);
      expect(mapping.rejected).toEqual([]);
      expect(mapping.events).toHaveLength(2);
      expect(mapping.events[0]).toMatchObject({ route: 'summarize', variant: 'from-resource', model: 'gpt-4o', inputTokens: 120, outputTokens: 30, latencyMs: 250.5, quality: 0.8, correct: true, ts: BASE_SECONDS * 1000 + 250.5 });
      expect(mapping.events[0]?.isError).toBe(false);
      expect(mapping.events[1]).toMatchObject({ route: 'summarize', variant: 'v2', latencyMs: 2000, isError: true });
    });
  }

  it('encodes partial-success responses that decode with the same field numbers', () => {
    const bytes = encodeResponseProto('traces', { rejected: 3, errorMessage: 'no route' });
    // field 1 (partial_success, length-delimited) → field 1 varint 3, field 2 string
    expect([...bytes]).toEqual([0x0a, 0x0c, 0x08, 0x03, 0x12, 0x08, ...Buffer.from('no route')]);
    const decoded = otlpTypes().traceResponse.toObject(otlpTypes().traceResponse.decode(bytes), { longs: Number });
    expect(decoded).toEqual({ partialSuccess: { rejectedSpans: 3, errorMessage: 'no route' } });
  });
});

async function metrics() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const provider = new MeterProvider({
    readers: [reader],
    resource: resourceFromAttributes({ 'service.name': 'llm-app', 'promptpilot.route': 'classify' }),
    views: [{ instrumentName: 'exp.histogram', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('genai');
  const attrs = { 'gen_ai.operation.name': 'chat', 'promptpilot.variant': 'v1' };
  const duration = meter.createHistogram('gen_ai.client.operation.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
  for (const s of [0.05, 0.3, 0.7, 2]) duration.record(s, attrs);
  meter.createHistogram('gen_ai.client.token.usage', { unit: '{token}', advice: { explicitBucketBoundaries: [64, 256] } }).record(100, { ...attrs, 'gen_ai.token.type': 'input' });
  meter.createCounter('requests').add(2, attrs);
  meter.createUpDownCounter('inflight').add(1);
  meter.createGauge('temperature').record(3.5);
  meter.createHistogram('exp.histogram').record(1.5);
  await reader.forceFlush();
  await provider.shutdown();
  return exporter.getMetrics()[0]!;
}

describe('own OTLP metrics schema', () => {
  for (const name of ['protobuf', 'JSON'] as const) {
    it(`${name}: reads GenAI histograms; counts the points of other metric kinds as skipped`, async () => {
      const rm = await metrics();
      const decoded = name === 'protobuf' ? decodeMetricsRequestProto(ProtobufMetricsSerializer.serializeRequest(rm)!) : decodeRequestJson(JsonMetricsSerializer.serializeRequest(rm)!, 'resourceMetrics');
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) return;
      const mapping = new HistogramMapper({ attributes, startedAtNs: 0 }).map(decoded.request);
      expect(mapping.rejected).toEqual([]);
      expect(mapping.dataPoints).toBe(6);
      expect(mapping.skipped).toBe(4);
      const latency = mapping.observations.find((o) => o.metric === 'latency_ms');
      expect(latency).toMatchObject({ route: 'classify', variant: 'v1', bounds: [100, 500, 1000], bucketCounts: [1, 1, 1, 1], count: 4 });
      expect(latency?.sum).toBeCloseTo(3050, 6);
      expect(mapping.observations.find((o) => o.metric === 'input_tokens')).toMatchObject({ bounds: [64, 256], bucketCounts: [0, 1, 0], count: 1 });
    });
  }

  it('a truncated protobuf body is a clear decode error, not a throw', () => {
    const decoded = decodeMetricsRequestProto(Uint8Array.from([0x0a, 0x10, 0x0a]));
    expect(decoded).toMatchObject({ ok: false });
    if (!decoded.ok) expect(decoded.reason).toMatch(/invalid protobuf ExportMetricsServiceRequest/);
  });

  // protobufjs skips a field numbered 0 as unknown, so 2 MB of NUL bytes decoded as an empty request (200, nothing
  // counted); protobuf has no field 0 and the exporters' own parsers refuse it.
  it('a body of NUL bytes, or one whose later top-level tag is field 0, is refused naming the byte', () => {
    expect(decodeTraceRequestProto(new Uint8Array(2 << 20))).toEqual({ ok: false, reason: 'invalid protobuf ExportTraceServiceRequest: field number 0 at byte 0 (no protobuf message has one: not an OTLP protobuf body)' });
    const valid = ProtobufTraceSerializer.serializeRequest(spans())!;
    const tail = Uint8Array.from([...valid, 0x00, 0x00]);
    expect(decodeTraceRequestProto(valid)).toMatchObject({ ok: true });
    expect(decodeTraceRequestProto(tail)).toMatchObject({ ok: false, reason: expect.stringContaining(`field number 0 at byte ${valid.length}`) });
    expect(decodeMetricsRequestProto(new Uint8Array(64))).toMatchObject({ ok: false, reason: expect.stringContaining('invalid protobuf ExportMetricsServiceRequest: field number 0 at byte 0') });
  });
});
