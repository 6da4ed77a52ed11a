// Regression (found in QA): the control endpoints (steering, variant registration, promote/rollback) ignored
// Content-Encoding. A gzip body was read as its compressed bytes (`body is not valid JSON: it is UTF-16 or UTF-32
// text…`), a `br` one was taken as if plain. They now undo the codings ingest undoes, under the same body limit, and
// refuse another coding with 415 naming it, before anything is recorded.
import { deflateSync, gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

const LIMIT = 64 * 1024;
let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok', body_limit_bytes: LIMIT }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

async function post(path: string, encoding: string, body: Buffer): Promise<{ status: number; json: { error?: string; decision?: { action: string; reason: string } } }> {
  const res = await fetch(daemon.url + path, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding, authorization: 'Bearer tok' }, body });
  return { status: res.status, json: (await res.json()) as never };
}
const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value));

describe('Content-Encoding on control endpoints', () => {
  it('a gzip, deflate or listed body is decoded and taken', async () => {
    const frozen = await post('/v1/routes/support/freeze', 'gzip', gzipSync(json({ reason: 'gzip reason' })));
    expect(frozen).toMatchObject({ status: 200, json: { decision: { action: 'freeze', reason: 'gzip reason' } } });
    const thawed = await post('/v1/routes/support/unfreeze', 'gzip, identity, deflate', deflateSync(gzipSync(json({ reason: 'two layers' }))));
    expect(thawed).toMatchObject({ status: 200, json: { decision: { action: 'unfreeze', reason: 'two layers' } } });
    const variant = await post('/v1/routes/support/variants', 'x-gzip', gzipSync(json({ name: 'v2', pattern: 'zero_shot' })));
    expect(variant).toMatchObject({ status: 201, json: { variant: 'v2', pattern: 'zero_shot' } });
  });

  it('another coding is 415 naming it, and nothing is done', async () => {
    const r = await post('/v1/routes/support/freeze', 'br', json({ reason: 'plain bytes labelled br' }));
    expect(r.status).toBe(415);
    expect(r.json.error).toMatch(/^unsupported Content-Encoding: br \(use gzip, deflate or identity/);
    expect((await post('/v1/routes/support/variants', 'gzip, zstd', gzipSync(json({ name: 'zstd-variant' })))).status).toBe(415);
    const variants = (await (await fetch(`${daemon.url}/v1/routes/support/variants`)).json()) as { variants: { variant: string }[] };
    expect(variants.variants.map((v) => v.variant)).not.toContain('zstd-variant');
    // Not frozen by the refused request: unfreezing finds nothing to undo.
    expect(await post('/v1/routes/support/unfreeze', 'identity', Buffer.alloc(0))).toMatchObject({ status: 409 });
  });

  it('a corrupt stream is 400, a bomb 413 at the body limit, an empty body is no body', async () => {
    const corrupt = await post('/v1/routes/support/freeze', 'gzip', json({ reason: 'not gzip' }));
    expect(corrupt.status).toBe(400);
    expect(corrupt.json.error).toMatch(/^invalid gzip body: /);
    const bomb = await post('/v1/routes/support/freeze', 'gzip', gzipSync(Buffer.alloc(LIMIT * 64, 0x20)));
    expect(bomb).toEqual({ status: 413, json: { error: `decompressed body exceeds ${LIMIT} bytes (server.body_limit_bytes)` } });
    expect(await post('/v1/experiments/exp-nope/promote', 'gzip', Buffer.alloc(0))).toEqual({ status: 404, json: { error: 'unknown experiment: exp-nope' } });
  });
});
