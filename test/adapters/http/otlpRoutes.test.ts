import { gzipSync } from 'node:zlib';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { registerOtlpRoutes } from '../../../src/adapters/http/otlpRoutes.js';
import { otlpTypes } from '../../../src/codecs/otlp/otlpProtobuf.js';
import type { Ingestor } from '../../../src/ports/ports.js';
import { endTimeMs, span, testConfig, traceRequest } from '../../codecs/otlp/otlpFixtures.js';
import { RecordingIngestor } from './recordingIngestor.js';

let app: FastifyInstance | null = null;
afterEach(async () => {
  await app?.close();
  app = null;
});

async function server(ingestor: Ingestor, config = testConfig()): Promise<FastifyInstance> {
  app = Fastify({ logger: false });
  // the daemon's own JSON route on the same instance must keep working
  app.post('/v1/events', async (request) => ({ got: request.body }));
  await registerOtlpRoutes(app, { ingestor, config });
  await app.ready();
  return app;
}

const good = (n: number) => Array.from({ length: n }, (_, i) => span({ 'promptpilot.route': 'r', 'promptpilot.variant': 'v' }, { latencyMs: 10 + i }));

function protoBody(json: object): Buffer {
  const type = otlpTypes().traceRequest;
  return Buffer.from(type.encode(type.fromObject(json)).finish());
}

describe('POST /v1/traces', () => {
  it('accepts OTLP/JSON and answers {}', async () => {
    const ingestor = new RecordingIngestor();
    const res = await (await server(ingestor)).inject({ method: 'POST', url: '/v1/traces', payload: traceRequest(good(3)) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    expect(ingestor.events.map((e) => e.latencyMs)).toEqual([10, 11, 12]);
  });

  it('accepts gzip-encoded protobuf and answers an empty protobuf response', async () => {
    const ingestor = new RecordingIngestor();
    const res = await (await server(ingestor)).inject({
      method: 'POST',
      url: '/v1/traces',
      headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
      payload: gzipSync(protoBody(traceRequest(good(4)))),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('application/x-protobuf');
    expect(res.rawPayload.length).toBe(0);
    expect(ingestor.events).toHaveLength(4);
  });

  it('answers partial success naming the bad spans, in the request encoding, and keeps the good ones', async () => {
    const ingestor = new RecordingIngestor();
    ingestor.rejectTsAbove = endTimeMs(1000);
    const spans = [...good(2), span({ 'promptpilot.route': 'r', 'promptpilot.quality': 7 }), span({ 'promptpilot.route': 'r' }, { endMs: 9000 }), span({ 'db.system': 'redis' })];
    const s = await server(ingestor);
    const json = await s.inject({ method: 'POST', url: '/v1/traces', payload: traceRequest(spans) });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: expect.stringMatching(/^span 2: quality: .*; span 3: ts: too far in the future$/) } });

    const proto = await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/x-protobuf' }, payload: protoBody(traceRequest(spans)) });
    const decoded = otlpTypes().traceResponse.toObject(otlpTypes().traceResponse.decode(proto.rawPayload), { longs: Number });
    expect(decoded).toMatchObject({ partialSuccess: { rejectedSpans: 2, errorMessage: expect.stringContaining('span 2: quality') } });
    expect(ingestor.events).toHaveLength(4);
  });

  it('answers 400 for undecodable bodies and keeps serving', async () => {
    const s = await server(new RecordingIngestor());
    const cases = [
      { headers: { 'content-type': 'application/json' }, payload: '{"resourceSpans": [' },
      { headers: { 'content-type': 'application/json' }, payload: '{"resourceSpans": 5}' },
      { headers: { 'content-type': 'application/x-protobuf' }, payload: Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01]) },
      { headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' }, payload: Buffer.from('not gzip') },
    ];
    for (const c of cases) {
      const res = await s.inject({ method: 'POST', url: '/v1/traces', ...c });
      expect(res.statusCode, JSON.stringify(c.headers)).toBe(400);
      expect(res.json()).toMatchObject({ code: 3, message: expect.any(String) });
    }
    expect((await s.inject({ method: 'POST', url: '/v1/traces', payload: traceRequest(good(1)) })).statusCode).toBe(200);
  });

  it('answers 413 over the body limit, compressed or after decompression', async () => {
    const config = testConfig({ server: { body_limit_bytes: 2000 } });
    const s = await server(new RecordingIngestor(), config);
    const big = JSON.stringify(traceRequest(good(40)));
    expect(big.length).toBeGreaterThan(2000);
    const plain = await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json' }, payload: big });
    expect(plain.statusCode).toBe(413);
    const zipped = gzipSync(big);
    expect(zipped.length).toBeLessThan(2000);
    const bomb = await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' }, payload: zipped });
    expect(bomb.statusCode).toBe(413);
  });

  it('answers 415 for other media types and encodings, without touching other routes\' parsers', async () => {
    const s = await server(new RecordingIngestor());
    expect((await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'text/plain' }, payload: 'hi' })).statusCode).toBe(415);
    expect((await s.inject({ method: 'POST', url: '/v1/traces', payload: 'no content type' })).statusCode).toBe(415);
    expect((await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json; charset=utf-8' }, payload: '{}' })).statusCode).toBe(200);
    expect((await s.inject({ method: 'POST', url: '/v1/traces', headers: { 'content-type': 'application/json', 'content-encoding': 'br' }, payload: '{}' })).statusCode).toBe(415);
    const events = await s.inject({ method: 'POST', url: '/v1/events', payload: { a: 1 } });
    expect(events.json()).toEqual({ got: { a: 1 } });
  });

  it('answers 503 when the pipeline refuses the batch, then recovers', async () => {
    const ingestor = new RecordingIngestor();
    ingestor.failNext = true;
    const s = await server(ingestor);
    expect((await s.inject({ method: 'POST', url: '/v1/traces', payload: traceRequest(good(1)) })).statusCode).toBe(503);
    expect((await s.inject({ method: 'POST', url: '/v1/traces', payload: traceRequest(good(1)) })).statusCode).toBe(200);
    expect(ingestor.events).toHaveLength(1);
  });
});

describe('POST /v1/metrics', () => {
  const request = {
    resourceMetrics: [{
      resource: { attributes: [{ key: 'promptpilot.route', value: { stringValue: 'r' } }] },
      scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.operation.duration', unit: 's', histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: '1700000000000000000', count: '2', sum: 0.3, bucketCounts: ['1', '1'], explicitBounds: [0.2] }] } }] }],
    }],
  };

  it('hands GenAI histograms to the ingestor', async () => {
    const ingestor = new RecordingIngestor();
    const res = await (await server(ingestor)).inject({ method: 'POST', url: '/v1/metrics', payload: request });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({});
    expect(ingestor.histograms).toEqual([{ ts: 1_700_000_000_000, route: 'r', variant: 'default', metric: 'latency_ms', bounds: [200], bucketCounts: [1, 1], count: 2, sum: 300 }]);
  });

  it('warns through partial success when the pipeline takes no histograms', async () => {
    const res = await (await server({ submit: async () => ({ accepted: 0, errors: [] }) })).inject({ method: 'POST', url: '/v1/metrics', payload: request });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ partialSuccess: { rejectedDataPoints: '0', errorMessage: expect.stringContaining('1 GenAI histogram data points ignored') } });
  });
});
