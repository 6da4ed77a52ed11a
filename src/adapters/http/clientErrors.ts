import { STATUS_CODES, maxHeaderSize } from 'node:http';
import type { Socket } from 'node:net';

/** The time limits a request is held to, as the server applies them (ms; `request_timeout` 0 = none). */
export interface RequestTimeouts {
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

/**
 * What a request Node's HTTP parser refused (or cut off) is answered, in the API's `{error, code}` shape: 408 for a
 * request or its headers not received in time, 431 for headers past Node's size limit, 400 naming what is malformed.
 *
 * @remarks Fastify's own answers (`{"error":"Bad Request","message":"Client Error","statusCode":400}`) named nothing:
 * a client with a bad header or a Content-Length that contradicts Transfer-Encoding could not tell what to fix.
 */
export function clientErrorAnswer(err: { code?: string; message: string }, timeouts: RequestTimeouts): { status: number; body: { error: string; code: string } } {
  const code = err.code ?? 'HPE_UNKNOWN';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    const whole = timeouts.requestTimeoutMs > 0 ? `, the whole request within ${timeouts.requestTimeoutMs} ms (server.request_timeout)` : '';
    return { status: 408, body: { error: `request not received in time: its headers must arrive within ${timeouts.headersTimeoutMs} ms (server.headers_timeout)${whole}`, code } };
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return { status: 431, body: { error: `request line and headers larger than ${maxHeaderSize} bytes together`, code } };
  }
  const what = err.message.replace(/^Parse Error:\s*/i, '');
  return { status: 400, body: { error: `malformed HTTP request: ${what}`, code } };
}

/**
 * Fastify's `clientErrorHandler`: answers a request Node's parser refused with {@link clientErrorAnswer} and closes
 * the connection (the parser cannot find the next request on it). A reset or destroyed socket is left alone.
 */
export function clientErrorHandler(timeouts: RequestTimeouts): (err: Error & { code?: string }, socket: Socket) => void {
  return (err, socket) => {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    if (socket.writable) {
      const { status, body } = clientErrorAnswer(err, timeouts);
      const text = JSON.stringify(body);
      socket.write(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
    }
    socket.destroy(err);
  };
}
