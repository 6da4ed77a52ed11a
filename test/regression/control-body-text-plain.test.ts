// Regression (found trying the API): a control body sent as text/plain went to Fastify's text parser, past the
// Content-Encoding decoder and the charset check: steering and registration answered 400 "(body): expected object,
// got string", promote took it unread. The control endpoints take application/json only; another type is a 415
// naming it, as on ingest, and nothing is done. An empty body is no body whatever its type, as before for promote.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { api_token: 'tok' }, routes: { support: { variants: [{ name: 'v1', pattern: 'few_shot' }] } } }));
});
afterAll(async () => {
  await daemon.stop();
});

const post = async (path: string, type: string, body: string): Promise<{ status: number; json: unknown }> => {
  const res = await fetch(daemon.url + path, { method: 'POST', headers: { 'content-type': type, authorization: 'Bearer tok' }, body });
  return { status: res.status, json: await res.json() };
};

describe('a control body of another media type', () => {
  it.each([
    ['/v1/routes/support/freeze', 'text/plain', 'urgent'],
    ['/v1/routes/support/freeze', 'text/plain; charset=utf-8', '{"reason":"json labelled text"}'],
    ['/v1/routes/support/variants', 'text/plain', '{"name":"v2"}'],
    ['/v1/experiments/exp-1/promote', 'text/plain', 'yes'],
    ['/v1/routes/support/variants', 'application/yaml', 'name: v2'],
    ['/v1/routes/support/freeze', 'application/x-www-form-urlencoded', 'reason=urgent'],
  ])('%s with %s is 415 naming application/json', async (path, type, body) => {
    expect(await post(path, type, body)).toEqual({
      status: 415,
      json: { error: `unsupported media type: Content-Type ${type}; ${path} accepts application/json (gzip or deflate Content-Encoding allowed)`, accepted: ['application/json'], code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' },
    });
  });

  it('and nothing is done', async () => {
    await post('/v1/routes/support/freeze', 'text/plain', 'urgent');
    expect((await post('/v1/routes/support/unfreeze', 'application/json', '')).status).toBe(409);
    const variants = (await (await fetch(`${daemon.url}/v1/routes/support/variants`)).json()) as { variants: { variant: string }[] };
    expect(variants.variants.map((v) => v.variant)).toEqual(['v1']);
  });

  it('without a Content-Type, a body is 415 saying so', async () => {
    const res = await fetch(`${daemon.url}/v1/routes/support/freeze`, { method: 'POST', headers: { authorization: 'Bearer tok' }, body: new Blob(['{"reason":"x"}']) });
    expect(res.status).toBe(415);
    expect(((await res.json()) as { error: string }).error).toMatch(/^unsupported media type: no Content-Type; \/v1\/routes\/support\/freeze accepts application\/json/);
  });

  it('an empty body of any type is no body', async () => {
    expect(await post('/v1/experiments/exp-1/promote', 'text/plain; charset=utf-8', '')).toEqual({ status: 404, json: { error: 'unknown experiment: exp-1' } });
    const frozen = await post('/v1/routes/support/freeze', 'text/plain', '');
    expect(frozen).toMatchObject({ status: 200, json: { decision: { action: 'freeze', reason: 'freeze through the API' } } });
    expect((await post('/v1/routes/support/unfreeze', 'application/x-www-form-urlencoded', '')).status).toBe(200);
  });
});
