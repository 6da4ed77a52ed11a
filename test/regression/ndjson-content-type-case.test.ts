// Regression (found trying the API): `Content-Type: Application/X-NDJSON` was routed to the NDJSON parser by
// Fastify (media types are case-insensitive, RFC 9110 §8.3.1) but read as one JSON value by the events route, whose
// check was case-sensitive: a two-line body answered 400 "body is not valid JSON: Unexpected non-whitespace
// character…". Any case of an NDJSON or JSON Lines type is now read as NDJSON.
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

describe('an NDJSON Content-Type in another case', () => {
  it.each(['Application/X-NDJSON', 'APPLICATION/NDJSON', 'application/JSONL', 'Application/x-ndjson; Charset=UTF-8'])('%s is read line by line', async (type) => {
    const line = JSON.stringify({ ts: Date.now(), route: 'case', variant: 'v', latency_ms: 12 });
    const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': type }, body: `${line}\n${line}\n` });
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
  });
});
