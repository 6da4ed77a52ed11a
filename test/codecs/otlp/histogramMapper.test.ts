import { describe, expect, it } from 'vitest';
import { HistogramMapper } from '../../../src/codecs/otlp/histogramMapper.js';
import { decodeMetricsRequestProto, otlpTypes } from '../../../src/codecs/otlp/otlpProtobuf.js';
import { kv, testConfig, type Attr } from './otlpFixtures.js';

const T0 = 1_700_000_000_000_000_000n;

function point(attributes: Record<string, Attr>, bucketCounts: number[], opts: { sum?: number; endMs?: number; bounds?: number[] } = {}): object {
  const bounds = opts.bounds ?? [0.1, 0.5, 1];
  return {
    attributes: kv(attributes),
    startTimeUnixNano: T0.toString(),
    timeUnixNano: (T0 + BigInt((opts.endMs ?? 60_000) * 1e6)).toString(),
    count: String(bucketCounts.reduce((a, b) => a + b, 0)),
    ...(opts.sum === undefined ? {} : { sum: opts.sum }),
    bucketCounts: bucketCounts.map(String),
    explicitBounds: bounds,
  };
}

function metricsRequest(metrics: object[], resource: Record<string, Attr> = { 'service.name': 'app' }): object {
  return { resourceMetrics: [{ resource: { attributes: kv(resource) }, scopeMetrics: [{ scope: { name: 'gen_ai' }, metrics }] }] };
}

function histogram(name: string, unit: string, points: object[], temporality = 2): object {
  return { name, unit, histogram: { aggregationTemporality: temporality, dataPoints: points } };
}

const attributes = testConfig().otlp.attributes;

describe('HistogramMapper', () => {
  it('maps operation duration (s → ms) and token usage by token type', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0 });
    const out = mapper.map(metricsRequest([
      histogram('gen_ai.client.operation.duration', 's', [point({ 'promptpilot.route': 'r', 'promptpilot.variant': 'v1' }, [1, 2, 3, 4], { sum: 9.5 })]),
      histogram('gen_ai.client.token.usage', '{token}', [
        point({ 'promptpilot.route': 'r', 'gen_ai.token.type': 'input' }, [0, 5], { bounds: [100], sum: 250 }),
        point({ 'promptpilot.route': 'r', 'gen_ai.token.type': 'output' }, [3, 0], { bounds: [100], sum: 60 }),
      ]),
    ]));
    expect(out.rejected).toEqual([]);
    expect(out.observations).toEqual([
      { ts: 1_700_000_000_000 + 60_000, route: 'r', variant: 'v1', metric: 'latency_ms', bounds: [100, 500, 1000], bucketCounts: [1, 2, 3, 4], count: 10, sum: 9500 },
      { ts: 1_700_000_000_000 + 60_000, route: 'r', variant: 'default', metric: 'input_tokens', bounds: [100], bucketCounts: [0, 5], count: 5, sum: 250 },
      { ts: 1_700_000_000_000 + 60_000, route: 'r', variant: 'default', metric: 'output_tokens', bounds: [100], bucketCounts: [3, 0], count: 3, sum: 60 },
    ]);
  });

  it('turns cumulative exports into deltas, so re-exported totals are not counted twice', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0 });
    const at = (counts: number[], sum: number, endMs: number) =>
      metricsRequest([histogram('gen_ai.client.operation.duration', 's', [point({ 'promptpilot.route': 'r' }, counts, { sum, endMs })])]);
    expect(mapper.map(at([1, 1, 0, 0], 0.5, 10_000)).observations[0]).toMatchObject({ bucketCounts: [1, 1, 0, 0], count: 2, sum: 500 });
    expect(mapper.map(at([1, 3, 1, 0], 2, 20_000)).observations[0]).toMatchObject({ bucketCounts: [0, 2, 1, 0], count: 3, sum: 1500 });
    const unchanged = mapper.map(at([1, 3, 1, 0], 2, 30_000));
    expect(unchanged.observations).toEqual([]);
    expect(unchanged.skipped).toBe(1);
    // counts going down: the producer restarted, take the new totals as they are
    expect(mapper.map(at([0, 1, 0, 0], 0.2, 40_000)).observations[0]).toMatchObject({ bucketCounts: [0, 1, 0, 0], count: 1 });
  });

  it('a cumulative stream that started before the mapper is a baseline first, not a burst (regression, found in review)', () => {
    // The daemon restarted (or forgot the stream): the first point carries the stream's whole history.
    const mapper = new HistogramMapper({ attributes, startedAtNs: (1_700_000_000_000 + 5_000) * 1e6 });
    const at = (counts: number[], sum: number, endMs: number) =>
      metricsRequest([histogram('gen_ai.client.operation.duration', 's', [point({ 'promptpilot.route': 'r' }, counts, { sum, endMs })])]);
    const first = mapper.map(at([100_000, 900_000, 0, 0], 500, 10_000));
    expect(first.observations).toEqual([]);
    expect(mapper.map(at([100_001, 900_000, 0, 0], 500.1, 20_000)).observations[0]).toMatchObject({ bucketCounts: [1, 0, 0, 0], count: 1 });
  });

  it('takes delta exports as they are', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0 });
    const req = metricsRequest([histogram('gen_ai.client.operation.duration', 'ms', [point({ 'promptpilot.route': 'r' }, [1, 0, 0, 0], { sum: 0.05 })], 1)]);
    expect(mapper.map(req).observations[0]).toMatchObject({ bounds: [0.1, 0.5, 1], count: 1, sum: 0.05 });
    expect(mapper.map(req).observations[0]).toMatchObject({ count: 1 });
  });

  it('skips other metrics and points without a route; rejects malformed points and keeps the rest', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0 });
    const out = mapper.map(metricsRequest([
      { name: 'http.server.duration', unit: 's', histogram: { aggregationTemporality: 2, dataPoints: [point({}, [1, 0, 0, 0])] } },
      { name: 'gen_ai.client.operation.duration', unit: 's', sum: { dataPoints: [{}, {}] } },
      histogram('gen_ai.client.operation.duration', 's', [
        point({ 'gen_ai.request.model': 'x' }, [1, 0, 0, 0]),
        point({ 'promptpilot.route': 'r' }, [1, 0]),
        point({ 'promptpilot.route': 'r' }, [1, 0, 0, 0], { bounds: [1, 0.5, 2] }),
        point({ 'promptpilot.route': 'r' }, [2, 0, 0, 0]),
      ]),
    ]));
    expect(out.dataPoints).toBe(7);
    expect(out.skipped).toBe(4);
    expect(out.rejected.map((r) => [r.index, r.field])).toEqual([[4, 'bucketCounts'], [5, 'explicitBounds']]);
    expect(out.observations).toHaveLength(1);
  });

  it('reads protobuf-decoded requests (Long counts) like OTLP/JSON', () => {
    const json = metricsRequest([histogram('gen_ai.client.operation.duration', 's', [point({ 'promptpilot.route': 'r' }, [4, 3, 2, 1], { sum: 3 })], 1)]);
    const type = otlpTypes().metricsRequest;
    const decoded = decodeMetricsRequestProto(type.encode(type.fromObject(json)).finish());
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    const viaProto = new HistogramMapper({ attributes, startedAtNs: 0 }).map(decoded.request);
    expect(viaProto.observations).toEqual(new HistogramMapper({ attributes, startedAtNs: 0 }).map(json).observations);
    expect(viaProto.observations[0]?.count).toBe(10);
  });
});
