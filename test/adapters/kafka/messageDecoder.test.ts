import { describe, expect, it } from 'vitest';
import { decodeEventsMessage, decodeOtlpMessage, looksLikeJson } from '../../../src/adapters/kafka/messageDecoder.js';

const good = { ts: 1_700_000_000_000, route: 'support', variant: 'v1', latency_ms: 1200 };
const buf = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('decodeEventsMessage', () => {
  it('decodes one v1 event per message', () => {
    const out = decodeEventsMessage(buf(good));
    expect(out.problems).toEqual([]);
    expect(out.events).toEqual([{ ts: good.ts, route: 'support', variant: 'v1', latencyMs: 1200, isError: false }]);
  });

  it.each([
    [null, '(message)', /empty message/],
    ['', '(message)', /empty message/],
    ['{"ts":', '(message)', /not valid JSON/],
    ['42', '(event)', /expected a JSON object/],
    ['[]', '(message)', /empty array/],
    [{ ...good, latency_ms: -1 }, 'latency_ms', /Too small/],
    [{ ...good, route: undefined }, 'route', /required field is missing/],
  ])('rejects %j naming %s', (value, field, message) => {
    const out = decodeEventsMessage(value === null ? null : buf(value));
    expect(out.events).toEqual([]);
    expect(out.problems).toHaveLength(1);
    expect(out.problems[0]?.field).toBe(field);
    expect(out.problems[0]?.message).toMatch(message);
  });

  it('tolerates an array: good elements go on, each bad one is a problem with its index and its own JSON', () => {
    const bad = { ...good, quality: 2 };
    const out = decodeEventsMessage(buf([good, bad, { ...good, ts: good.ts + 1 }]));
    expect(out.events.map((e) => e.ts)).toEqual([good.ts, good.ts + 1]);
    expect(out.problems).toEqual([{ field: 'quality', message: expect.stringMatching(/Too big/), element: 1, value: JSON.stringify(bad) }]);
  });

  it('dead-letters an array with no valid element as one whole message', () => {
    const out = decodeEventsMessage(buf([{ ...good, variant: '' }, 7]));
    expect(out.events).toEqual([]);
    expect(out.problems).toEqual([{ field: 'variant', message: expect.stringMatching(/no element was valid/) }]);
  });
});

describe('decodeOtlpMessage', () => {
  it('tells JSON from protobuf by the first non-blank byte', () => {
    expect(looksLikeJson(Buffer.from('  {"resourceSpans":[]}'))).toBe(true);
    expect(looksLikeJson(Buffer.from([0x0a, 0x05]))).toBe(false);
    let seen = '';
    decodeOtlpMessage(Buffer.from('{}'), (_p, encoding) => ((seen = encoding), { events: [], skipped: 0, problems: [] }));
    expect(seen).toBe('json');
  });

  it('turns a throwing decoder into a problem, never an exception', () => {
    const out = decodeOtlpMessage(Buffer.from([1, 2, 3]), () => {
      throw new Error('boom');
    });
    expect(out.problems[0]?.message).toMatch(/not a valid OTLP ExportTraceServiceRequest: boom/);
  });
});
