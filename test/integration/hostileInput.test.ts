import { request } from 'node:http';
import { gzipSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyEnvOverrides, parseConfig } from '../../src/config/load.js';
import { bindHost } from '../../src/runtime/bindHost.js';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

const TOKEN = 'test-token-0123';
const LIMIT = 64 * 1024;
let daemon: Daemon;

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: TOKEN, body_limit_bytes: LIMIT } }));
});
afterAll(async () => {
  await daemon.stop();
});

const event = () => ({ ts: Date.now(), route: 'hostile', variant: 'v', latency_ms: 12 });

async function post(path: string, body: Buffer | string, headers: Record<string, string>): Promise<{ status: number; json: any }> {
  const res = await fetch(daemon.url + path, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, json: text.length > 0 ? JSON.parse(text) : null };
}

describe('POST /v1/events with Content-Encoding', () => {
  it('decodes gzip and deflate bodies', async () => {
    const body = JSON.stringify([event(), event()]);
    for (const [encoding, data] of [['gzip', gzipSync(body)], ['deflate', deflateSync(body)]] as const) {
      const r = await post('/v1/events', data, { 'content-type': 'application/json', 'content-encoding': encoding });
      expect(r).toEqual({ status: 202, json: { accepted: 2, rejected: 0, errors: [] } });
    }
  });

  it('a gzip bomb is refused with 413 under the same cap as a plain body', async () => {
    const bomb = gzipSync(Buffer.alloc(LIMIT * 64, 0x20)); // ~4 MB of spaces compresses to a few KB
    expect(bomb.length).toBeLessThan(LIMIT);
    const r = await post('/v1/events', bomb, { 'content-type': 'application/json', 'content-encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/decompressed body exceeds/);
  });

  it('an unknown encoding is 415; a corrupt stream is 400', async () => {
    expect((await post('/v1/events', 'xx', { 'content-type': 'application/json', 'content-encoding': 'br' })).status).toBe(415);
    expect((await post('/v1/events', 'not gzip', { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(400);
  });
});

describe('mutating endpoints', () => {
  it('check the token before reading the body: no token → 401 even for an unparseable or oversized body', async () => {
    const garbage = await post('/v1/routes/r/variants', '{not json', { 'content-type': 'application/json' });
    expect(garbage.status).toBe(401);
    const huge = await post('/v1/routes/r/variants', 'x'.repeat(LIMIT * 2), { 'content-type': 'application/json' });
    expect(huge.status).toBe(401);
    const promote = await post('/v1/experiments/nope/promote', '{', { 'content-type': 'application/json', authorization: 'Bearer wrong' });
    expect(promote.status).toBe(401);
  });

  it('accept the Bearer scheme in any case', async () => {
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const r = await post('/v1/routes/auth-case/variants', JSON.stringify({ name: `v-${scheme}` }), { 'content-type': 'application/json', authorization: `${scheme} ${TOKEN}` });
      expect(r.status).toBe(201);
    }
    expect((await post('/v1/routes/auth-case/variants', '{}', { 'content-type': 'application/json', authorization: `Basic ${TOKEN}` })).status).toBe(401);
  });

  it('do not read the body of an unauthenticated request that never finishes sending it', async () => {
    const url = new URL(daemon.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path: '/v1/routes/r/variants', method: 'POST', headers: { 'content-type': 'application/json', 'content-length': '100000' } }, (res) => {
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on('error', reject);
      req.write('{"name":'); // and nothing more
    });
    expect(status).toBe(401);
  });
});

describe('bind address', () => {
  it('defaults to loopback for a sidecar; the Kafka gateway role and an explicit host bind all interfaces', () => {
    expect(bindHost(parseConfig({}))).toBe('127.0.0.1');
    expect(bindHost(parseConfig({ kafka: { brokers: ['b:9092'] } }))).toBe('127.0.0.1');
    expect(bindHost(parseConfig({ kafka: { brokers: ['b:9092'], role: 'gateway' } }))).toBe('0.0.0.0');
    expect(bindHost(parseConfig({ server: { host: '0.0.0.0' } }))).toBe('0.0.0.0');
    expect(bindHost(parseConfig({ server: { host: '::1' }, kafka: { brokers: ['b:9092'], role: 'gateway' } }))).toBe('::1');
    expect(bindHost(parseConfig(applyEnvOverrides({}, { PROMPTPILOT_HOST: '0.0.0.0' })))).toBe('0.0.0.0');
  });
});
