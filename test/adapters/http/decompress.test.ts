import { deflateSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decompressBody, HttpFailure, MAX_CONTENT_CODINGS } from '../../../src/adapters/http/decompress.js';

const LIMIT = 64 * 1024;
const text = Buffer.from('{"hello":"world"}');
const failure = async (body: Buffer, header: unknown, limit = LIMIT): Promise<HttpFailure> => {
  const err: unknown = await decompressBody(body, header, limit).then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(HttpFailure);
  return err as HttpFailure;
};

describe('decompressBody', () => {
  it.each([
    ['(none)', undefined, text],
    ['identity', 'identity', text],
    ['gzip', 'gzip', gzipSync(text)],
    ['x-gzip', 'x-gzip', gzipSync(text)],
    ['deflate', 'deflate', deflateSync(text)],
    ['gzip, identity', 'gzip, identity', gzipSync(text)],
    ['identity,gzip (no spaces)', 'identity,gzip', gzipSync(text)],
    ['GZIP , Identity (case, spaces)', ' GZIP , Identity ', gzipSync(text)],
    ['gzip, , identity (empty element)', 'gzip, , identity', gzipSync(text)],
    ['gzip, deflate (undone in reverse)', 'gzip, deflate', deflateSync(gzipSync(text))],
    ['deflate, gzip', 'deflate, gzip', gzipSync(deflateSync(text))],
    ['gzip, gzip', 'gzip, gzip', gzipSync(gzipSync(text))],
    ['a repeated header (array)', ['gzip', 'identity'], gzipSync(text)],
  ])('decodes %s', async (_name, header, body) => {
    expect((await decompressBody(body, header, LIMIT)).toString()).toBe(text.toString());
  });

  it('undoes the codings in reverse order: the wrong order is a corrupt body, 400', async () => {
    const err = await failure(deflateSync(gzipSync(text)), 'deflate, gzip');
    expect(err.status).toBe(400);
    expect(err.message).toContain('invalid gzip body');
  });

  it('answers 415 naming an unknown coding, alone or in a list, before decoding anything', async () => {
    for (const header of ['br', 'gzip, br', 'br, gzip', 'identity, zstd', 'constructor', '__proto__']) {
      const err = await failure(gzipSync(text), header);
      expect(err.status, header).toBe(415);
      expect(err.message, header).toMatch(/^unsupported Content-Encoding: (br|zstd|constructor|__proto__) \(use gzip, deflate or identity/);
    }
    expect((await failure(text, 'x'.repeat(5000))).message.length).toBeLessThan(200);
  });

  it(`answers 415 for more than ${MAX_CONTENT_CODINGS} codings (identity not counted)`, async () => {
    let body: Buffer = text;
    for (let i = 0; i < MAX_CONTENT_CODINGS; i++) body = gzipSync(body);
    const list = Array.from({ length: MAX_CONTENT_CODINGS }, () => 'gzip');
    expect((await decompressBody(body, [...list, 'identity'].join(', '), LIMIT)).toString()).toBe(text.toString());
    const err = await failure(gzipSync(body), [...list, 'gzip'].join(', '));
    expect(err.status).toBe(415);
    expect(err.message).toBe(`Content-Encoding lists ${MAX_CONTENT_CODINGS + 1} codings: at most ${MAX_CONTENT_CODINGS} are decoded`);
  });

  it('refuses a bomb through two gzip layers at the limit, 413', async () => {
    const bomb = gzipSync(gzipSync(Buffer.alloc(LIMIT * 64, 0x20)));
    expect(bomb.length).toBeLessThan(1024);
    const err = await failure(bomb, 'gzip, gzip');
    expect(err.status).toBe(413);
    expect(err.message).toBe(`decompressed body exceeds ${LIMIT} bytes (server.body_limit_bytes)`);
    expect((await decompressBody(gzipSync(gzipSync(Buffer.alloc(LIMIT, 0x20))), 'gzip, gzip', LIMIT)).length).toBe(LIMIT);
  });

  it('leaves an empty body empty whatever its codings, but still refuses an unknown one', async () => {
    expect((await decompressBody(Buffer.alloc(0), 'gzip, deflate', LIMIT)).length).toBe(0);
    expect((await failure(Buffer.alloc(0), 'br')).status).toBe(415);
  });
});
