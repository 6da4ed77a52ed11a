import { ProtobufTraceSerializer, JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { SpanStatusCode, type Attributes } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadLetterHeaders, KafkaEventSource } from '../../src/adapters/kafka/index.js';
import { kcatConsume, kcatProduce, startKafkaMock, type KafkaMock } from './harness/index.js';
import { committedTotal, RecordingConsumer, uniqueSettings, waitUntil } from './harness/kafkaTestSupport.js';

const BASE_MS = 1_700_000_000_000;

/** Finished SDK spans, as an instrumented app would hand them to an exporter. */
function finishedSpans(specs: readonly { attributes: Attributes; endMs: number; latencyMs: number; error?: boolean }[]): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('kafka-otlp-test');
  for (const spec of specs) {
    const end = BASE_MS + spec.endMs;
    const span = tracer.startSpan('chat gpt-4o', { attributes: spec.attributes, startTime: end - spec.latencyMs });
    if (spec.error === true) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(end);
  }
  return exporter.getFinishedSpans();
}

let mock: KafkaMock;
beforeAll(async () => {
  mock = await startKafkaMock();
});
afterAll(async () => {
  await mock.stop();
});

describe('KafkaEventSource on the OTLP spans topic', () => {
  it('consumes OTLP protobuf (otlp_proto, as the Collector Kafka exporter writes it) and OTLP JSON; skips route-less spans; dead-letters garbage', async () => {
    const settings = uniqueSettings(mock.brokers);
    const llm = { 'promptpilot.route': 'support', 'promptpilot.variant': 'v2', 'gen_ai.request.model': 'gpt-4o', 'gen_ai.usage.input_tokens': 120, 'gen_ai.usage.output_tokens': 30 };
    const protoBytes = ProtobufTraceSerializer.serializeRequest(
      finishedSpans([
        { attributes: llm, endMs: 1_000, latencyMs: 850 },
        { attributes: { ...llm, 'error.type': 'timeout' }, endMs: 2_000, latencyMs: 3_000, error: true },
        { attributes: { 'http.route': '/health' }, endMs: 2_500, latencyMs: 3 },
      ]),
    );
    const jsonBytes = JsonTraceSerializer.serializeRequest(finishedSpans([{ attributes: { ...llm, 'promptpilot.route': 'billing' }, endMs: 3_000, latencyMs: 400 }]));
    const badSpan = ProtobufTraceSerializer.serializeRequest(finishedSpans([{ attributes: { ...llm, 'promptpilot.quality': 4 }, endMs: 4_000, latencyMs: 10 }]));
    expect(protoBytes).toBeDefined();
    await kcatProduce(mock.brokers, settings.topics.otlp_spans, [
      { value: Buffer.from(protoBytes ?? []) },
      { value: Buffer.from(jsonBytes ?? []) },
      { value: Buffer.from([0xff, 0xff, 0xff, 0x01, 0x02]) },
      { value: Buffer.from(badSpan ?? []) },
    ], 0);

    const source = new KafkaEventSource(settings);
    const consumer = new RecordingConsumer(source);
    await source.start();
    // Every message, not only those with the events: the broker may hand the four out in more than one fetch.
    await waitUntil(() => consumer.events.length >= 3 && consumer.rejected.length >= 2, 30_000, () => `3 events and 2 rejections (${consumer.events.length} and ${consumer.rejected.length})`);
    await source.stop();
    consumer.close();

    expect(consumer.events.map((e) => [e.route, e.variant, e.ts - BASE_MS, e.latencyMs, e.model, e.inputTokens, e.isError])).toEqual([
      ['support', 'v2', 1_000, 850, 'gpt-4o', 120, false],
      ['support', 'v2', 2_000, 3_000, 'gpt-4o', 120, true],
      ['billing', 'v2', 3_000, 400, 'gpt-4o', 120, false],
    ]);
    expect(consumer.events[1]?.errorType).toBe('timeout');
    expect(source.counters.skippedSpans).toBe(1);
    const dlq = await kcatConsume(mock.brokers, settings.topics.dead_letter);
    expect(dlq.map((m) => [m.headers[DeadLetterHeaders.offset], m.headers[DeadLetterHeaders.field]])).toEqual([
      ['2', '(message)'],
      ['3', 'quality'],
    ]);
    expect(dlq[0]?.headers[DeadLetterHeaders.error]).toMatch(/invalid protobuf/);
    expect(dlq[1]?.headers[DeadLetterHeaders.error]).toMatch(/1 of 1 spans rejected \(span 0: quality/);
    expect(await committedTotal(mock.brokers, settings.group_id, settings.topics.otlp_spans)).toBe(4);
  });
});
