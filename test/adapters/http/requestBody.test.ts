import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { HttpFailure } from '../../../src/adapters/http/decompress.js';
import { charsetsOf, checkCharset, requestBodyBytes } from '../../../src/adapters/http/requestBody.js';

describe('charsetsOf', () => {
  it.each([
    [undefined, []],
    ['application/json', []],
    ['application/json; charset=utf-8', ['utf-8']],
    ['application/json;charset=UTF-8', ['utf-8']],
    ['application/json; Charset="UTF-8"', ['utf-8']],
    ['application/json; foo="a;charset=latin1"; charset=utf-8', ['utf-8']],
    ['application/json; charset="a\\"b"', ['a"b']],
    ['application/json; charset=utf-8; charset=latin1', ['utf-8', 'latin1']],
    ['application/json; charset=', ['']],
  ])('%s → %j', (header, expected) => {
    expect(charsetsOf(header)).toEqual(expected);
  });
});

describe('checkCharset', () => {
  it('passes no charset and UTF-8; refuses any other with 415 naming it', () => {
    for (const header of [undefined, 'application/json', 'application/json; charset="Utf-8"', 'application/x-ndjson; charset=utf8']) expect(() => checkCharset(header)).not.toThrow();
    const refused: [string, string][] = [['application/json; charset=latin1', 'latin1'], ['application/json; charset=utf-8; charset=utf-16', 'utf-16'], ['application/json; charset=""', '(empty)']];
    for (const [header, named] of refused) {
      let thrown: unknown;
      try {
        checkCharset(header);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HttpFailure);
      expect((thrown as HttpFailure).status).toBe(415);
      expect((thrown as HttpFailure).message).toMatch(new RegExp(`^unsupported charset: ${named.replace(/[()]/g, '\\$&')}; only UTF-8 is accepted`));
    }
  });
});

describe('requestBodyBytes', () => {
  it('checks the charset before decoding anything, then undoes the codings', async () => {
    const body = gzipSync(Buffer.from('{"a":1}'));
    expect((await requestBodyBytes({ 'content-type': 'application/json; charset=utf-8', 'content-encoding': 'gzip' }, body, 1024)).toString()).toBe('{"a":1}');
    const refused = await requestBodyBytes({ 'content-type': 'application/json; charset=utf-16', 'content-encoding': 'br' }, body, 1024).catch((err: unknown) => err);
    expect((refused as HttpFailure).message).toMatch(/^unsupported charset: utf-16/);
  });
});
