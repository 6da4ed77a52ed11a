import { describe, expect, it } from 'vitest';
import { HistogramMapper } from '../../../src/codecs/otlp/histogramMapper.js';
import { int64Difference, int64ToNumber } from '../../../src/codecs/otlp/otlpValues.js';
import { EVENT_LIMITS } from '../../../src/core/event.js';
import { kv, testConfig } from './otlpFixtures.js';

const T0 = 1_700_000_000_000_000_000n;
const attributes = testConfig().otlp.attributes;

function request(points: object[], metric = 'gen_ai.client.operation.duration', temporality = 1): object {
  return {
    resourceMetrics: [{
      resource: { attributes: kv({ 'service.name': 'app' }) },
      scopeMetrics: [{ metrics: [{ name: metric, unit: 's', histogram: { aggregationTemporality: temporality, dataPoints: points } }] }],
    }],
  };
}

function point(bucketCounts: (number | string)[], extra: Record<string, unknown> = {}, attrs: Record<string, string> = { 'promptpilot.route': 'r' }): object {
  return {
    attributes: kv(attrs),
    startTimeUnixNano: T0.toString(),
    timeUnixNano: (T0 + 60_000_000_000n).toString(),
    bucketCounts: bucketCounts.map(String),
    explicitBounds: bucketCounts.slice(1).map((_, i) => i + 1),
    ...extra,
  };
}

describe('OTLP histogram points are held to plausible bounds, like events', () => {
  it('a point claiming 2^53 − 1 calls is rejected, not counted', () => {
    const out = new HistogramMapper({ attributes, startedAtNs: 0 }).map(request([point(['9007199254740991'])]));
    expect(out.observations).toEqual([]);
    expect(out.rejected).toEqual([{ index: 0, field: 'count', message: expect.stringContaining('plausible') }]);
  });

  it('the bound is on the delta: a long-lived cumulative stream past the bound is fine, a jump is not', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: Number(T0) + 1 });
    const big = EVENT_LIMITS.maxCallsPerDataPoint * 50;
    // first point of a stream older than the mapper: baseline only
    expect(mapper.map(request([point([big])], undefined, 2)).observations).toEqual([]);
    expect(mapper.map(request([point([big + 100])], undefined, 2)).observations[0]).toMatchObject({ count: 100 });
    const jump = mapper.map(request([point([big * 3])], undefined, 2));
    expect(jump.rejected[0]).toMatchObject({ field: 'count' });
    // the stream goes on from the new total
    expect(mapper.map(request([point([big * 3 + 5])], undefined, 2)).observations[0]).toMatchObject({ count: 5 });
  });

  it('sums must fit count × the per-call maximum and not be negative', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0 });
    const tooBig = mapper.map(request([point([1, 1], { sum: 1e12 })]));
    expect(tooBig.rejected[0]).toMatchObject({ field: 'sum' });
    const negative = mapper.map(request([point([1, 1], { sum: -1 })]));
    expect(negative.rejected[0]).toMatchObject({ field: 'sum' });
    const fine = mapper.map(request([point([1, 1], { sum: 3 })]));
    expect(fine.observations[0]).toMatchObject({ count: 2, sum: 3000 });
  });

  it('too many bucket bounds are refused', () => {
    const counts = new Array<number>(EVENT_LIMITS.maxHistogramBounds + 2).fill(0);
    counts[0] = 1;
    const out = new HistogramMapper({ attributes, startedAtNs: 0 }).map(request([point(counts)]));
    expect(out.rejected[0]).toMatchObject({ field: 'explicitBounds' });
  });

  it('huge attribute lists do not become huge remembered stream keys', () => {
    const mapper = new HistogramMapper({ attributes, startedAtNs: 0, maxStreams: 10 });
    const attrs: Record<string, string> = { 'promptpilot.route': 'r' };
    for (let i = 0; i < 200; i++) attrs[`k${i}`] = 'x'.repeat(1000);
    const out = mapper.map(request([point([1], {}, attrs)], undefined, 2));
    expect(out.observations).toHaveLength(1);
    const keys = [...(mapper as unknown as { streams: Map<string, unknown> }).streams.keys()];
    expect(keys.every((k) => k.length < 1000)).toBe(true);
  });
});

describe('int64 strings are length-checked before parsing', () => {
  it('accepts up to 20 digits, refuses longer without building a BigInt', () => {
    expect(int64ToNumber('18446744073709551615')).toBeCloseTo(18446744073709551615);
    expect(int64ToNumber('-9223372036854775808')).toBeCloseTo(-9223372036854775808);
    expect(int64ToNumber('1'.repeat(21))).toBeNaN();
    expect(int64ToNumber('1'.repeat(1_000_000))).toBeNaN();
    // without the length check this parses a 2 M-digit BigInt and answers Infinity
    expect(int64Difference('9'.repeat(2_000_000), '1700000000000000000')).toBeNaN();
    expect(int64Difference('1700000000000000123', '1700000000000000000')).toBe(123);
  });
});
