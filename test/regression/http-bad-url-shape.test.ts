// Regression (found in the QA pass): a URL Fastify cannot decode (`GET /v1/routes/%ZZ`) was answered in Fastify's
// own error shape, {"error":"Bad Request","code":…,"message":…,"statusCode":400}, where every other answer of the API
// puts what is wrong in `error`. It is now {"error": "bad URL: …", "code": "FST_ERR_BAD_URL"}.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon());
});
afterAll(async () => {
  await daemon.stop();
});

describe('a URL that does not decode', () => {
  it.each(['/v1/routes/%ZZ', '/v1/routes/%E0%A4%A'])('%s answers 400 with the problem in error', async (path) => {
    const r = await fetch(`${daemon.url}${path}`);
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: `bad URL: '${path}' is not a valid url component (each % takes two hex digits, and the bytes they spell must be UTF-8)`, code: 'FST_ERR_BAD_URL' });
  });
});
