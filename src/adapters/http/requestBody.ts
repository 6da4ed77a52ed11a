import type { IncomingHttpHeaders } from 'node:http';
import { clipped, decompressBody, HttpFailure } from './decompress.js';

/** `charset` values that name UTF-8 (compared lower-case): the IANA name and the alias clients commonly send. */
const UTF8_LABELS: ReadonlySet<string> = new Set(['utf-8', 'utf8']);

/** One `; name=value` parameter of a media type, the value a token or a quoted string (RFC 9110 §5.6.6). */
const PARAMETER = /;\s*([^\s;=]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^\s;]*)/g;

/**
 * The `charset` parameters of a Content-Type header, lower-cased and unquoted
 * (`application/json; Charset="UTF-8"` → `['utf-8']`); none for no header or no charset.
 */
export function charsetsOf(contentType: unknown): string[] {
  const header = String(contentType ?? '');
  const charsets: string[] = [];
  for (const [, name = '', value = ''] of header.matchAll(PARAMETER)) {
    if (name.toLowerCase() !== 'charset') continue;
    const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1).replace(/\\(.)/g, '$1') : value;
    charsets.push(unquoted.trim().toLowerCase());
  }
  return charsets;
}

/**
 * Refuses a body its Content-Type declares in a charset other than UTF-8: every body the API reads is UTF-8, and
 * an ISO-8859-1 or UTF-16 body read as UTF-8 is taken with wrong characters or refused in confusing words.
 * No charset, or `utf-8` in any case, quoted or not, passes.
 *
 * @throws {@link HttpFailure} 415 naming the charset.
 */
export function checkCharset(contentType: unknown): void {
  const foreign = charsetsOf(contentType).find((charset) => !UTF8_LABELS.has(charset));
  if (foreign === undefined) return;
  throw new HttpFailure(415, `unsupported charset: ${foreign === '' ? '(empty)' : clipped(foreign)}; only UTF-8 is accepted (send the body as UTF-8, with charset=utf-8 or no charset)`);
}

/**
 * The bytes of a request body as its sender meant them: its Content-Type's charset checked ({@link checkCharset})
 * and its Content-Encoding undone ({@link decompressBody}) under `limitBytes`. Every endpoint that reads a body
 * (ingest, OTLP, control) reads it through this.
 *
 * @throws {@link HttpFailure} 415 for another charset or coding, 413 past the limit, 400 for a corrupt stream.
 */
export async function requestBodyBytes(headers: IncomingHttpHeaders, raw: Buffer, limitBytes: number): Promise<Buffer> {
  checkCharset(headers['content-type']);
  return decompressBody(raw, headers['content-encoding'], limitBytes);
}
