// Regression (found trying the API): the OTLP endpoints answered a wrong media type with
// {"code":3,"message":"Unsupported Media Type"} and an oversized body with "Request body is too large" — Fastify's
// words, naming neither the types taken nor the limit — where /v1/events names both. They now say the same as
// /v1/events, in OTLP's {code, message} shape.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

const LIMIT = 64 * 1024;
let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { body_limit_bytes: LIMIT } }));
});
afterAll(async () => {
  await daemon.stop();
});

const post = async (path: string, headers: Record<string, string>, body: string): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(daemon.url + path, { method: 'POST', headers, body });
  return { status: res.status, json: await res.json() };
};

describe('OTLP refusals', () => {
  it.each(['/v1/traces', '/v1/metrics'])('%s: a wrong media type names the types taken', async (path) => {
    expect(await post(path, { 'content-type': 'text/plain' }, 'x')).toEqual({
      status: 415,
      json: { code: 3, message: `unsupported media type: Content-Type text/plain; ${path} accepts application/x-protobuf, application/json (gzip or deflate Content-Encoding allowed)` },
    });
  });

  it.each(['/v1/traces', '/v1/metrics'])('%s: a body over the limit names it and its key', async (path) => {
    expect(await post(path, { 'content-type': 'application/json' }, ' '.repeat(LIMIT + 1))).toEqual({
      status: 413,
      json: { code: 8, message: `request body larger than ${LIMIT} bytes (server.body_limit_bytes): send smaller batches or raise the limit` },
    });
  });
});
