import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HistogramMapper } from '../../src/codecs/otlp/histogramMapper.js';
import { decodeMetricsRequestProto, decodeRequestJson, decodeTraceRequestProto, otlpTypes } from '../../src/codecs/otlp/otlpProtobuf.js';
import { SpanMapper } from '../../src/codecs/otlp/spanMapper.js';
import { NdjsonEventDecoder, type LineRejection } from '../../src/codecs/ndjson.js';
import { validateEvent, type TelemetryEvent } from '../../src/core/event.js';
import { ConfigError } from '../../src/core/errors.js';
import { parseConfig, parseYaml } from '../../src/config/load.js';

// Property-based tests: bounded run counts (CI stays fast), fixed seed so a failure reproduces.
const RUNS = { numRuns: 300, seed: 9 };
const attributes = parseConfig({}).otlp.attributes;

/** Values shaped like events, with every field sometimes wrong: the interesting part of the input space. */
const eventLike = fc.record(
  {
    ts: fc.oneof(fc.integer({ min: -10, max: 2e15 }), fc.double(), fc.string(), fc.constant('2026-01-01T00:00:00Z')),
    route: fc.oneof(fc.string({ maxLength: 250 }), fc.integer(), fc.constant(null)),
    variant: fc.oneof(fc.string({ maxLength: 5 }), fc.constant('')),
    latency_ms: fc.oneof(fc.double(), fc.integer(), fc.string()),
    input_tokens: fc.oneof(fc.integer(), fc.double(), fc.boolean()),
    cost_usd: fc.oneof(fc.double(), fc.constant(-1)),
    quality: fc.double(),
    correct: fc.oneof(fc.boolean(), fc.string()),
    error: fc.oneof(fc.boolean(), fc.string({ maxLength: 300 })),
    arm: fc.oneof(fc.constant('baseline'), fc.constant('candidate'), fc.string()),
  },
  { requiredKeys: [] },
);

describe('fuzz: event validation', () => {
  it('never throws; every value is exactly one of accepted (within bounds) or rejected (with a field and reason)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.anything(), eventLike), fc.nat(), (value, index) => {
        const result = validateEvent(value, index);
        if (result.ok) {
          expect(Number.isFinite(result.event.ts) && Number.isFinite(result.event.latencyMs)).toBe(true);
          expect(result.event.route.length).toBeGreaterThan(0);
          expect(result.event.route.length).toBeLessThanOrEqual(200);
        } else {
          expect(result.error.index).toBe(index);
          expect(typeof result.error.field).toBe('string');
          expect(result.error.message.length).toBeGreaterThan(0);
        }
      }),
      RUNS,
    );
  });
});

describe('fuzz: NDJSON', () => {
  it('never throws; events + rejected lines = non-blank lines, however the input is chunked', () => {
    const line = fc.oneof(eventLike.map((e) => JSON.stringify(e)), fc.string(), fc.constant(''), fc.constant('{"ts":'));
    fc.assert(
      fc.property(fc.array(line, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 5 }), (lines, cuts) => {
        const text = lines.map((l) => l.replace(/[\r\n]/g, ' ')).join('\n');
        const decoder = new NdjsonEventDecoder();
        const events: TelemetryEvent[] = [];
        const errors: LineRejection[] = [];
        const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        let from = 0;
        for (const p of points) {
          decoder.push(text.slice(from, p), events, errors);
          from = p;
        }
        decoder.push(text.slice(from), events, errors);
        decoder.end(events, errors);
        const nonBlank = text.split('\n').filter((l) => l.trim().replace(/^\uFEFF/, '').length > 0).length;
        expect(events.length + errors.length).toBe(nonBlank);
      }),
      RUNS,
    );
  });
});

describe('fuzz: OTLP decoders and mappers', () => {
  otlpTypes();
  const spans = new SpanMapper({ attributes });
  const histograms = new HistogramMapper({ attributes, startedAtNs: 0 });

  it('protobuf decoding of arbitrary bytes never throws; whatever decodes maps without throwing, every span accounted for', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (bytes) => {
        for (const decoded of [decodeTraceRequestProto(bytes), decodeMetricsRequestProto(bytes)]) {
          if (!decoded.ok) {
            expect(decoded.reason.length).toBeGreaterThan(0);
            continue;
          }
          const s = spans.map(decoded.request);
          expect(s.events.length + s.rejected.length + s.skipped).toBe(s.spans);
          const h = histograms.map(decoded.request);
          expect(h.observations.length + h.rejected.length + h.skipped).toBe(h.dataPoints);
        }
      }),
      RUNS,
    );
  });

  const anyValue = fc.oneof(
    fc.record({ stringValue: fc.oneof(fc.string(), fc.constant('route-a')) }),
    fc.record({ intValue: fc.oneof(fc.string(), fc.integer(), fc.constant('9'.repeat(40))) }),
    fc.record({ doubleValue: fc.oneof(fc.double(), fc.string()) }),
    fc.record({ boolValue: fc.anything() }),
    fc.anything(),
  );
  const kv = fc.record({ key: fc.oneof(fc.constant('promptpilot.route'), fc.constant('promptpilot.variant'), fc.constant('gen_ai.token.type'), fc.string()), value: anyValue });
  const int64 = fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 64n }).map(String), fc.integer(), fc.string(), fc.constant('1'.repeat(30)));
  const span = fc.record({ name: fc.string(), attributes: fc.array(kv, { maxLength: 5 }), startTimeUnixNano: int64, endTimeUnixNano: int64, status: fc.anything() }, { requiredKeys: [] });
  const point = fc.record(
    { attributes: fc.array(kv, { maxLength: 5 }), startTimeUnixNano: int64, timeUnixNano: int64, count: int64, sum: fc.oneof(fc.double(), fc.string()), bucketCounts: fc.array(int64, { maxLength: 6 }), explicitBounds: fc.array(fc.oneof(fc.double(), fc.string()), { maxLength: 5 }) },
    { requiredKeys: [] },
  );
  const metric = fc.record({
    name: fc.oneof(fc.constant('gen_ai.client.operation.duration'), fc.constant('gen_ai.client.token.usage'), fc.string()),
    unit: fc.oneof(fc.constant('s'), fc.constant('ms'), fc.string()),
    histogram: fc.record({ aggregationTemporality: fc.oneof(fc.constant(1), fc.constant(2), fc.anything()), dataPoints: fc.array(fc.oneof(point, fc.anything()), { maxLength: 4 }) }),
  });

  it('OTLP/JSON of any shape maps without throwing; spans and data points are each accepted, rejected or skipped', () => {
    const traces = fc.record({ resourceSpans: fc.array(fc.record({ resource: fc.record({ attributes: fc.array(kv, { maxLength: 3 }) }), scopeSpans: fc.array(fc.record({ spans: fc.array(fc.oneof(span, fc.anything()), { maxLength: 4 }) }), { maxLength: 2 }) }), { maxLength: 2 }) });
    const metrics = fc.record({ resourceMetrics: fc.array(fc.record({ scopeMetrics: fc.array(fc.record({ metrics: fc.array(metric, { maxLength: 3 }) }), { maxLength: 2 }) }), { maxLength: 2 }) });
    fc.assert(
      fc.property(fc.oneof(traces, fc.anything()), fc.oneof(metrics, fc.anything()), (t, m) => {
        const decodedT = decodeRequestJson(Buffer.from(JSON.stringify(t) ?? 'null'), 'resourceSpans');
        if (decodedT.ok) {
          const s = spans.map(decodedT.request);
          expect(s.events.length + s.rejected.length + s.skipped).toBe(s.spans);
        }
        const decodedM = decodeRequestJson(Buffer.from(JSON.stringify(m) ?? 'null'), 'resourceMetrics');
        if (decodedM.ok) {
          const h = histograms.map(decodedM.request);
          expect(h.observations.length + h.rejected.length + h.skipped).toBe(h.dataPoints);
          for (const o of h.observations) expect(o.count).toBeLessThanOrEqual(10_000_000);
        }
      }),
      RUNS,
    );
  });
});

describe('fuzz: config loader', () => {
  it('any YAML text either loads or fails with one ConfigError naming the problem, never another error', () => {
    const yamlish = fc.oneof(
      fc.string(),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.dictionary(fc.oneof(fc.constant('server'), fc.constant('limits'), fc.constant('time'), fc.constant('rules'), fc.string()), fc.jsonValue()).map((o) => JSON.stringify(o)),
      fc.constant('a: &x [1]\nb: *x\n<<: {c: 1}\n'),
    );
    fc.assert(
      fc.property(yamlish, (text) => {
        try {
          parseConfig(parseYaml(text, 'fuzz.yaml'), 'fuzz.yaml');
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          expect((err as Error).message).toMatch(/^fuzz\.yaml/);
          expect((err as Error).message).not.toMatch(/\n\s+at /);
        }
      }),
      RUNS,
    );
  });
});
