// Regression (found in the QA pass): a JSON body that starts with a UTF-8 byte-order mark (a file saved by a Windows
// editor or PowerShell, sent with `curl --data-binary @event.json`) was refused with 400 "body is not valid JSON:
// Unexpected token '﻿'", naming a character nobody can see, while the same events as NDJSON (or replayed from the
// file) were taken. A leading BOM is now skipped in every JSON body: events, OTLP/JSON, control bodies, Kafka messages.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeEventsMessage } from '../../src/codecs/messageDecoder.js';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

const BOM = '\uFEFF';
let daemon: Daemon;
const post = (path: string, body: string, token = false) =>
  fetch(`${daemon.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: 'Bearer tok' } : {}) }, body });

beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok' }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

describe('a JSON body with a byte-order mark', () => {
  const event = { ts: Date.now() - 1_000, route: 'support', variant: 'v1', latency_ms: 120 };

  it('is taken by /v1/events, /v1/traces and the control API', async () => {
    const events = await post('/v1/events', BOM + JSON.stringify([event, event]));
    expect(await events.json()).toEqual({ accepted: 2, rejected: 0, errors: [] });
    expect(events.status).toBe(202);
    expect((await post('/v1/traces', `${BOM}{"resourceSpans":[]}`)).status).toBe(200);
    const frozen = await post('/v1/routes/support/freeze', `${BOM}{"reason":"bom"}`, true);
    expect(frozen.status).toBe(200);
    expect(((await frozen.json()) as { decision: { reason: string } }).decision.reason).toBe('bom');
  });

  it('is taken from a Kafka message', () => {
    expect(decodeEventsMessage(Buffer.from(BOM + JSON.stringify(event))).events).toHaveLength(1);
  });

  it('a UTF-16 body (Windows PowerShell 5 writes files so) is refused saying so, not with the replacement characters it read as', async () => {
    for (const body of [Buffer.from(BOM + JSON.stringify(event), 'utf16le'), Buffer.from(JSON.stringify(event), 'utf16le')]) {
      const r = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(r.status).toBe(400);
      expect(await r.json()).toEqual({ error: 'body is not valid JSON: it is UTF-16 or UTF-32 text (NUL bytes between its characters), not UTF-8: send it as UTF-8' });
    }
  });

  it('a body of NUL bytes is called binary data, not UTF-16 text', async () => {
    const r = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.alloc(4096) });
    expect(r.status).toBe(400);
    expect(await r.json()).toEqual({ error: 'body is not valid JSON: it starts with a NUL byte: binary data, not JSON text' });
  });

  it('a BOM anywhere else is still not JSON', async () => {
    const r = await post('/v1/events', `[${BOM}${JSON.stringify(event)}]`);
    expect(r.status).toBe(400);
  });
});
