// Regression (found trying the API): a request Node's HTTP parser refuses was answered in Fastify's words,
// `{"error":"Bad Request","message":"Client Error","statusCode":400}`, whatever was wrong (a header name with a
// space, Content-Length beside Transfer-Encoding, a bad chunk size), and a slow one with "Client Timeout". Each is
// now answered in the API's shape, {error, code}, naming what is wrong or which limit it ran into.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

let daemon: Daemon;
beforeAll(async () => {
  ({ daemon } = await startTestDaemon({ server: { request_timeout: '1s', headers_timeout: '1s' } }));
});
afterAll(async () => {
  await daemon.stop();
});

/** Writes `raw` on a fresh connection and collects what comes back until the server closes it. */
function exchange(raw: string): Promise<{ status: number; json: unknown }> {
  const { port } = new URL(daemon.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let text = '';
    socket.on('data', (d: Buffer) => (text += d.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      resolve({ status: Number(head.split(' ')[1]), json: body === '' ? null : JSON.parse(body) });
    });
    socket.write(raw);
  });
}

describe('a request the HTTP parser refuses', () => {
  it.each([
    ['a header line without a colon', 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n', 'Invalid header token', 'HPE_INVALID_HEADER_TOKEN'],
    ['Content-Length and Transfer-Encoding', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', "Transfer-Encoding can't be present with Content-Length", 'HPE_INVALID_TRANSFER_ENCODING'],
    ['a Content-Length that is not a number', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: abc\r\n\r\n[]', 'Invalid character in Content-Length', 'HPE_INVALID_CONTENT_LENGTH'],
    ['a chunk size that is not hex', 'POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n[]\r\n0\r\n\r\n', 'Invalid character in chunk size', 'HPE_INVALID_CHUNK_SIZE'],
  ])('%s: 400 naming it', async (_name, raw, what, code) => {
    // `what` is llhttp's own wording (Node 20); the code is the stable part.
    expect(await exchange(raw)).toEqual({ status: 400, json: { error: expect.stringMatching(new RegExp(`^malformed HTTP request: ${what.slice(0, 12)}`)), code } });
  });

  it('headers past the size limit: 431 saying so', async () => {
    expect(await exchange(`GET /v1/routes HTTP/1.1\r\nHost: x\r\nX: ${'a'.repeat(20_000)}\r\n\r\n`)).toEqual({
      status: 431,
      json: { error: 'request line and headers larger than 16384 bytes together', code: 'HPE_HEADER_OVERFLOW' },
    });
  });

  it('a body that never arrives: 408 naming the limits', async () => {
    expect(await exchange('POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\r\n[]')).toEqual({
      status: 408,
      json: { error: 'request not received in time: its headers must arrive within 1000 ms (server.headers_timeout), the whole request within 1000 ms (server.request_timeout)', code: 'ERR_HTTP_REQUEST_TIMEOUT' },
    });
  });
});
