import { promisify } from 'node:util';
import zlib from 'node:zlib';

const gunzip = promisify(zlib.gunzip);
const inflate = promisify(zlib.inflate);

/** The content codings a request body may carry, by their RFC 9110 names (`identity` is a no-op). */
const DECODERS: ReadonlyMap<string, typeof gunzip> = new Map([['gzip', gunzip], ['x-gzip', gunzip], ['deflate', inflate]]);

/**
 * Most codings one body may list (`identity` not counted).
 * @remarks Every layer may inflate up to the body limit, so an unbounded list would let a small body buy many
 * limit-sized decompressions; real clients send one.
 */
export const MAX_CONTENT_CODINGS = 4;

/** A request the HTTP layer refuses with this status and message (never a 5xx). */
export class HttpFailure {
  constructor(
    readonly status: number,
    readonly message: string,
  ) {}
}

/** A name the client sent, cut to 64 characters for an error message (it may be arbitrarily long). */
export function clipped(text: string): string {
  return text.length > 64 ? `${text.slice(0, 64)}…` : text;
}

/**
 * Decodes a request body by its `Content-Encoding`: one coding or a list in the
 * order they were applied (`gzip, identity`; RFC 9110 §8.4), undone in reverse.
 * gzip, x-gzip and deflate decode; identity (and an empty element) is a no-op; an empty body stays empty.
 * Every layer's output is capped at `limitBytes`, so a small compressed body can
 * never inflate past the limit an uncompressed one has (gzip bomb, one layer or several).
 *
 * @throws {@link HttpFailure} 415 naming an unknown coding or for more than {@link MAX_CONTENT_CODINGS} codings,
 *   413 past the cap, 400 for a corrupt stream.
 */
export async function decompressBody(body: Buffer, encodingHeader: unknown, limitBytes: number): Promise<Buffer> {
  const header = Array.isArray(encodingHeader) ? encodingHeader.join(',') : String(encodingHeader ?? '');
  const codings = header.split(',').map((c) => c.trim().toLowerCase()).filter((c) => c !== '' && c !== 'identity');
  const unknown = codings.find((c) => !DECODERS.has(c));
  if (unknown !== undefined) {
    throw new HttpFailure(415, `unsupported Content-Encoding: ${clipped(unknown)} (use gzip, deflate or identity, or a list of them)`);
  }
  if (codings.length > MAX_CONTENT_CODINGS) throw new HttpFailure(415, `Content-Encoding lists ${codings.length} codings: at most ${MAX_CONTENT_CODINGS} are decoded`);
  // No bytes, nothing to undo: an optional body left empty (a control endpoint's) is no body whatever its coding says.
  if (body.length === 0) return body;
  let out = body;
  for (const coding of codings.reverse()) {
    const decode = DECODERS.get(coding);
    if (decode === undefined) continue;
    try {
      out = await decode(out, { maxOutputLength: limitBytes });
    } catch (err) {
      if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new HttpFailure(413, `decompressed body exceeds ${limitBytes} bytes (server.body_limit_bytes)`);
      }
      throw new HttpFailure(400, `invalid ${coding} body: ${(err as Error).message}`);
    }
  }
  return out;
}
