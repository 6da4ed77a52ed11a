// Regression (found in QA): the `charset` parameter of a body's Content-Type was ignored. A body declared
// ISO-8859-1 was read as UTF-8 (its accented letters became U+FFFD in route names and reasons), one declared
// UTF-16 was refused as "not valid JSON". Every endpoint that reads a body now refuses a charset other than UTF-8
// with 415 naming it; `utf-8` in any case, quoted or not, and no charset at all pass as before.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { otlpTypes } from '../../src/codecs/otlp/otlpProtobuf.js';
import { startTestDaemon } from '../helpers/daemon.js';
import { endTimeMs, span, traceRequest } from '../codecs/otlp/otlpFixtures.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok' }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

const event = { ts: Date.now(), route: 'charset', variant: 'v', latency_ms: 12 };
const traces = traceRequest([span({ 'promptpilot.route': 'charset', 'promptpilot.variant': 'v' }, { latencyMs: 30, endMs: Date.now() - endTimeMs(0) })]);
const tracesProto = (): Buffer => {
  const t = otlpTypes().traceRequest;
  return Buffer.from(t.encode(t.fromObject(traces)).finish());
};

/** Every kind of endpoint that reads a body, with a body it takes and where its error message is. */
const ENDPOINTS = [
  { name: 'events JSON', path: '/v1/events', type: 'application/json', body: () => Buffer.from(JSON.stringify(event)), ok: 202, message: 'error' },
  { name: 'events NDJSON', path: '/v1/events', type: 'application/x-ndjson', body: () => Buffer.from(JSON.stringify(event) + '\n'), ok: 202, message: 'error' },
  { name: 'traces JSON', path: '/v1/traces', type: 'application/json', body: () => Buffer.from(JSON.stringify(traces)), ok: 200, message: 'message' },
  { name: 'traces protobuf', path: '/v1/traces', type: 'application/x-protobuf', body: tracesProto, ok: 200, message: 'message' },
  { name: 'variants (control)', path: '/v1/routes/support/variants', type: 'application/json', body: () => Buffer.from('{"name":"v2"}'), ok: 201, message: 'error' },
];

async function post(path: string, contentType: string, body: Buffer): Promise<{ status: number; json: Record<string, unknown> | null }> {
  const res = await fetch(daemon.url + path, { method: 'POST', headers: { 'content-type': contentType, authorization: 'Bearer tok' }, body });
  const text = await res.text();
  return { status: res.status, json: res.headers.get('content-type')?.includes('json') === true && text !== '' ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe('the charset of a body', () => {
  it.each(ENDPOINTS)('$name: no charset, or utf-8 in any case, quoted or not, is taken', async ({ path, type, body, ok }) => {
    for (const params of ['', '; charset=utf-8', '; charset=UTF-8', ';charset="utf-8"', '; Charset="UTF-8"', '; charset=utf8']) {
      expect((await post(path, type + params, body())).status, params).toBe(ok);
    }
  });

  it.each(ENDPOINTS)('$name: another charset is 415 naming it', async ({ path, type, body, message }) => {
    for (const charset of ['iso-8859-1', 'utf-16', 'UTF-16LE', 'windows-1252']) {
      const r = await post(path, `${type}; charset=${charset}`, body());
      expect(r.status, charset).toBe(415);
      expect(r.json?.[message], charset).toBe(`unsupported charset: ${charset.toLowerCase()}; only UTF-8 is accepted (send the body as UTF-8, with charset=utf-8 or no charset)`);
    }
    expect((await post(path, `${type}; charset="latin1"`, body())).json?.[message]).toMatch(/^unsupported charset: latin1; only UTF-8/);
  });

  it('a UTF-16 body declared so is refused for its charset, not as invalid JSON', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(JSON.stringify(event), 'utf16le')]);
    const r = await post('/v1/events', 'application/json; charset=utf-16', utf16);
    expect(r).toEqual({ status: 415, json: { error: 'unsupported charset: utf-16; only UTF-8 is accepted (send the body as UTF-8, with charset=utf-8 or no charset)' } });
  });
});
