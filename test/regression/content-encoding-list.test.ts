// Regression (found in QA): `Content-Encoding: gzip, identity`, a list of codings as RFC 9110 §8.4 allows, was
// answered 415 on every ingest route. A list is now undone in reverse order (identity is a no-op), an unknown
// coding is still 415 naming it, and a bomb through two gzip layers still stops at server.body_limit_bytes (413).
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { otlpTypes } from '../../src/codecs/otlp/otlpProtobuf.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { endTimeMs, span, traceRequest } from '../codecs/otlp/otlpFixtures.js';

const LIMIT = 64 * 1024;
let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { body_limit_bytes: LIMIT } }));
});
afterAll(async () => {
  await daemon.stop();
});

const events = JSON.stringify([{ ts: Date.now(), route: 'encoded', variant: 'v', latency_ms: 12 }]);
const traces = traceRequest([span({ 'promptpilot.route': 'encoded', 'promptpilot.variant': 'v' }, { latencyMs: 30, endMs: Date.now() - endTimeMs(0) })]);
const metrics = {
  resourceMetrics: [{
    resource: { attributes: [{ key: 'promptpilot.route', value: { stringValue: 'encoded' } }] },
    scopeMetrics: [{ metrics: [{ name: 'gen_ai.client.operation.duration', unit: 's', histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), count: '2', sum: 0.3, bucketCounts: ['1', '1'], explicitBounds: [0.2] }] } }] }],
  }],
};
const proto = (type: 'traceRequest' | 'metricsRequest', json: object): Buffer => {
  const t = otlpTypes()[type];
  return Buffer.from(t.encode(t.fromObject(json)).finish());
};

/** Every ingest route and body type, with a body it takes. */
const ROUTES = [
  { name: 'events JSON', path: '/v1/events', type: 'application/json', body: Buffer.from(events), ok: 202, answer: '{"accepted":1,"rejected":0,"errors":[]}' },
  { name: 'traces JSON', path: '/v1/traces', type: 'application/json', body: Buffer.from(JSON.stringify(traces)), ok: 200, answer: '{}' },
  { name: 'traces protobuf', path: '/v1/traces', type: 'application/x-protobuf', body: proto('traceRequest', traces), ok: 200, answer: '' },
  { name: 'metrics JSON', path: '/v1/metrics', type: 'application/json', body: Buffer.from(JSON.stringify(metrics)), ok: 200, answer: '{}' },
  { name: 'metrics protobuf', path: '/v1/metrics', type: 'application/x-protobuf', body: proto('metricsRequest', metrics), ok: 200, answer: '' },
];

async function post(path: string, type: string, encoding: string, body: Buffer): Promise<{ status: number; text: string }> {
  const res = await fetch(daemon.url + path, { method: 'POST', headers: { 'content-type': type, 'content-encoding': encoding }, body });
  return { status: res.status, text: await res.text() };
}

describe('Content-Encoding lists on every ingest route', () => {
  it.each(ROUTES)('$name: gzip, identity and gzip, gzip are decoded and taken', async ({ path, type, body, ok, answer }) => {
    expect(await post(path, type, 'gzip, identity', gzipSync(body))).toEqual({ status: ok, text: answer });
    expect(await post(path, type, 'identity, gzip, gzip', gzipSync(gzipSync(body)))).toEqual({ status: ok, text: answer });
  });

  it.each(ROUTES)('$name: an unknown coding in a list is 415 naming it', async ({ path, type, body }) => {
    const r = await post(path, type, 'gzip, br', gzipSync(body));
    expect(r.status).toBe(415);
    expect(r.text).toContain('unsupported Content-Encoding: br');
  });

  it.each(ROUTES)('$name: a bomb through two gzip layers is 413 at the body limit', async ({ path, type }) => {
    const bomb = gzipSync(gzipSync(Buffer.alloc(LIMIT * 64, 0x20)));
    const r = await post(path, type, 'gzip, gzip', bomb);
    expect(r.status).toBe(413);
    expect(r.text).toContain(`decompressed body exceeds ${LIMIT} bytes`);
  });
});
