import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diag, DiagLogLevel, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Daemon } from '../../src/daemon.js';
import { mulberry32 } from '../../src/sim/random.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';

// Issue 16: a BatchSpanProcessor flush exports its batches concurrently, so they arrive out of
// order; exporters and collectors retry failed batches seconds to minutes later. Every span still
// inside its route's window must count. These tests drive the real OpenTelemetry exporters (JSON
// and protobuf) against a real daemon whose wall clock the test sets.

let nowMs = Date.parse('2026-03-02T12:00:00Z');
let daemon: Daemon;
const warnings: string[] = [];

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({}, { clock: { now: () => nowMs } }));
  // The exporters report an OTLP partial success (rejected spans and the reason) through diag.warn.
  diag.setLogger(
    { error: () => {}, warn: (...args: unknown[]) => warnings.push(args.map(String).join(' ')), info: () => {}, debug: () => {}, verbose: () => {} },
    DiagLogLevel.WARN,
  );
});
afterAll(async () => {
  diag.disable();
  await daemon.stop();
});

interface Sent {
  readonly route: string;
  readonly latencyMs: number;
}

const hr = (ms: number): HrTime => [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];

/**
 * Creates `n` GenAI spans through a real tracer provider with a BatchSpanProcessor (batches of
 * 256, exported concurrently on flush) whose end times are drawn from [fromMs, toMs) in random
 * order; returns what was sent once the flush completed (`failingBatches`: a failed export is expected).
 */
async function sendSpans(exporter: SpanExporter, routes: readonly string[], n: number, fromMs: number, toMs: number, seed: number, failingBatches = false): Promise<Sent[]> {
  const processor = new BatchSpanProcessor(exporter, { maxQueueSize: n * 2, maxExportBatchSize: 256, scheduledDelayMillis: 60_000 });
  const provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'llm-app' }), spanProcessors: [processor] });
  const tracer = provider.getTracer('genai-late-test');
  const random = mulberry32(seed);
  const sent: Sent[] = [];
  for (let i = 0; i < n; i++) {
    const route = routes[i % routes.length]!;
    const latencyMs = Math.round(Math.exp(6 + 0.8 * (random() + random() + random() - 1.5)) * 1000) / 1000;
    const endMs = Math.floor(fromMs + random() * (toMs - fromMs));
    const span = tracer.startSpan('chat gpt-4o-mini', {
      startTime: hr(endMs - latencyMs),
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.request.model': 'gpt-4o-mini', 'promptpilot.route': route, 'promptpilot.variant': 'v1' },
    });
    span.end(hr(endMs));
    sent.push({ route, latencyMs });
  }
  // A flush whose batch failed rejects (the processor drops that batch; the test keeps it for a retry).
  await provider.forceFlush().catch((err: unknown) => {
    if (!failingBatches) throw err;
  });
  await provider.shutdown();
  return sent;
}

/** Value at rank ⌊q·(n − 1)⌋ of the sorted latencies: the rank the route's sketch estimates. */
function exactQuantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

async function routeStats(route: string): Promise<{ count: number; latency_ms: { p95: number } }> {
  const { status, json } = await getJson(`${daemon.url}/v1/routes/${route}`);
  expect(status).toBe(200);
  return json.variants[0];
}

async function metric(pattern: RegExp): Promise<number> {
  const text = await (await fetch(`${daemon.url}/metrics`)).text();
  const match = pattern.exec(text);
  return match === null ? NaN : Number(match[1]);
}

const LATE = /^promptpilot_events_late_total (\d+)$/m;
const TOO_LATE = /^promptpilot_events_rejected_total\{source="otlp_traces",reason="too_late"\} (\d+)$/m;

const exporters: { name: string; make: () => SpanExporter }[] = [
  { name: 'exporter-trace-otlp-http (JSON)', make: () => new JsonTraceExporter({ url: `${daemon.url}/v1/traces` }) },
  { name: 'exporter-trace-otlp-proto', make: () => new ProtoTraceExporter({ url: `${daemon.url}/v1/traces` }) },
];

describe('out-of-order OTLP batches from the real exporters all count', () => {
  for (const [k, e] of exporters.entries()) {
    it(`${e.name}: 3,000 spans ending 10–60 s ago, flushed at once: counts exact, p95 within 1 %`, async () => {
      const routes = [`late-${k}-a`, `late-${k}-b`];
      const lateBefore = await metric(LATE);
      const sent = await sendSpans(e.make(), routes, 3000, nowMs - 60_000, nowMs - 10_000, 11 + k);
      for (const route of routes) {
        const latencies = sent.filter((s) => s.route === route).map((s) => s.latencyMs);
        const stats = await routeStats(route);
        expect(stats.count).toBe(latencies.length);
        const exact = exactQuantile(latencies, 0.95);
        expect(Math.abs(stats.latency_ms.p95 / exact - 1)).toBeLessThanOrEqual(0.01);
      }
      // The flush did arrive out of order: spans behind their route's closed buckets were counted as late.
      expect((await metric(LATE)) - lateBefore).toBeGreaterThan(0);
      expect(await metric(TOO_LATE)).toBe(0);
    });
  }

  it('a batch that failed and is retried 40 s later still counts; spans older than the window are rejected as too_late', async () => {
    const route = 'retried';
    const real = new JsonTraceExporter({ url: `${daemon.url}/v1/traces` });
    // The first export of the second batch fails (a network error, say); the batch is kept for a retry.
    let held: ReadableSpan[] | null = null;
    let exports = 0;
    const inFlight: Promise<void>[] = [];
    const flaky: SpanExporter = {
      export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
        if (exports++ === 1) {
          held = spans;
          done({ code: ExportResultCode.FAILED, error: new Error('connection reset') });
          return;
        }
        inFlight.push(new Promise((resolve) => real.export(spans, (result) => (done(result), resolve()))));
      },
      shutdown: () => Promise.resolve(),
    };
    const start = nowMs;
    const first = await sendSpans(flaky, [route], 2000, start - 60_000, start - 10_000, 21, true);
    await Promise.all(inFlight); // a failed batch rejects the flush before the others are through
    const retry: ReadableSpan[] = held ?? [];
    expect(retry).toHaveLength(256);
    expect((await routeStats(route)).count).toBe(first.length - 256);

    // 40 s later: traffic went on (the route's watermark is now past the held spans' buckets) …
    nowMs = start + 40_000;
    const second = await sendSpans(new JsonTraceExporter({ url: `${daemon.url}/v1/traces` }), [route], 500, start + 20_000, start + 30_000, 22);
    const lateBefore = await metric(LATE);
    // … and the retry, the same spans through the same exporter, arrives.
    const result = await new Promise<ExportResult>((resolve) => real.export(retry, resolve));
    expect(result.code).toBe(ExportResultCode.SUCCESS);
    expect((await routeStats(route)).count).toBe(first.length + second.length);
    expect((await metric(LATE)) - lateBefore).toBe(256);
    const all = [...first, ...second].map((s) => s.latencyMs);
    expect(Math.abs((await routeStats(route)).latency_ms.p95 / exactQuantile(all, 0.95) - 1)).toBeLessThanOrEqual(0.01);

    // Spans from 10 minutes ago are older than the 5-minute window: rejected, by reason, and named in the response.
    warnings.length = 0;
    const tooLateBefore = await metric(TOO_LATE);
    await sendSpans(new ProtoTraceExporter({ url: `${daemon.url}/v1/traces` }), [route], 300, nowMs - 660_000, nowMs - 600_000, 23);
    expect((await metric(TOO_LATE)) - tooLateBefore).toBe(300);
    expect((await routeStats(route)).count).toBe(first.length + second.length);
    expect(warnings.join('\n')).toMatch(/too_late/);
    await real.shutdown();
  });
});
