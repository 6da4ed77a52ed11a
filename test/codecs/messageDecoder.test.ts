import { describe, expect, it } from 'vitest';
import { decodeEventsMessage, decodeOtlpMessage } from '../../src/codecs/messageDecoder.js';

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
    [{ ...good, latency_ms: -1 }, 'latency_ms', /must not be negative/],
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
    expect(out.problems).toEqual([{ field: 'quality', message: 'must be at most 1', element: 1, value: JSON.stringify(bad) }]);
  });

  it('dead-letters an array with no valid element as one whole message', () => {
    const out = decodeEventsMessage(buf([{ ...good, variant: '' }, 7]));
    expect(out.events).toEqual([]);
    expect(out.problems).toEqual([{ field: 'variant', message: expect.stringMatching(/no element was valid/) }]);
  });
});

describe('decodeOtlpMessage', () => {
  it('tells JSON from protobuf by the first byte: only "{" is JSON', () => {
    const encodingFor = (bytes: Buffer): string[] => {
      const tried: string[] = [];
      decodeOtlpMessage(bytes, (_p, encoding) => (tried.push(encoding), { events: [], skipped: 0, problems: [] }));
      return tried;
    };
    expect(encodingFor(Buffer.from('{"resourceSpans":[]}'))).toEqual(['json']);
    expect(encodingFor(Buffer.from([0x0a, 0x05]))).toEqual(['protobuf']);
    expect(encodingFor(Buffer.from([0x0a, 0x7b, 0x12]))).toEqual(['protobuf']);
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

describe('OTLP protobuf whose second byte is "{" (regression, found in review)', () => {
  it('is decoded as protobuf, not misread as JSON', async () => {
    const { createOtlpTraceDecoder } = await import('../../src/codecs/otlpTraceDecoder.js');
    const { otlpTypes } = await import('../../src/codecs/otlp/otlpProtobuf.js');
    const types = otlpTypes();
    const now = BigInt(Date.now()) * 1_000_000n;
    const request = (route: string) =>
      types.traceRequest.encode(types.traceRequest.fromObject({ resourceSpans: [{ scopeSpans: [{ spans: [{
        traceId: Buffer.alloc(16, 1), spanId: Buffer.alloc(8, 2), name: 'chat',
        startTimeUnixNano: (now - 1_500_000_000n).toString(), endTimeUnixNano: now.toString(),
        attributes: [{ key: 'promptpilot.route', value: { stringValue: route } }, { key: 'gen_ai.request.model', value: { stringValue: 'gpt-4o' } }],
      }] }] }] })).finish();
    let found: Buffer | null = null;
    for (let len = 1; len < 80 && found === null; len++) {
      const bytes = Buffer.from(request('r'.repeat(len)));
      if (bytes[0] === 0x0a && bytes[1] === 0x7b) found = bytes; // 0x0a '{' : looks like "\n{" to a JSON sniffer
    }
    expect(found).not.toBeNull();
    const decoded = decodeOtlpMessage(found, createOtlpTraceDecoder());
    expect(decoded.problems).toEqual([]);
    expect(decoded.events).toHaveLength(1);
  });
});
