import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** A request the HTTP layer refuses with this status and message (never a 5xx). */
export class HttpFailure {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

/**
 * Decodes a request body by its `Content-Encoding` (identity, gzip, x-gzip,
 * deflate) with the output capped at `limitBytes`, so a small compressed body
 * can never inflate past the same limit an uncompressed one has (gzip bomb).
 *
 * @throws {@link HttpFailure} 415 for another encoding, 413 past the cap, 400 for a corrupt stream.
 */
export async function decompressBody(body: Buffer, encodingHeader: unknown, limitBytes: number): Promise<Buffer> {
  const encoding = String(encodingHeader ?? '').trim().toLowerCase();
  if (encoding === '' || encoding === 'identity') return body;
  const inflater = encoding === 'gzip' || encoding === 'x-gzip' ? gunzip : encoding === 'deflate' ? inflate : null;
  if (inflater === null) throw new HttpFailure(415, `unsupported Content-Encoding: ${encoding} (use gzip, deflate or none)`);
  try {
    return await inflater(body, { maxOutputLength: limitBytes });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new HttpFailure(413, `decompressed body exceeds ${limitBytes} bytes (server.body_limit_bytes)`);
    }
    throw new HttpFailure(400, `invalid ${encoding} body: ${(err as Error).message}`);
  }
}
