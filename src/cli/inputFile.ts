import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import { fileReadReason, UsageError } from '../core/errors.js';

/** An NDJSON input opened for `replay` or `gate`: a file or stdin, plain or gzip. */
export interface NdjsonInput {
  /** How messages name it: the path, or `stdin`. */
  readonly name: string;
  /** Bytes on disk (compressed for gzip); null for stdin. */
  readonly sizeBytes: number | null;
  /** True when the input was gzip and is being decompressed. */
  readonly gzip: boolean;
  /** The text, in chunks of any size (UTF-8 decoded, split anywhere). */
  readonly chunks: AsyncIterable<string>;
}

const HEAD_BYTES = 8 * 1024;

/** Magic numbers of compressed or archive formats that are not decompressed here. */
const OTHER_FORMATS: readonly { readonly name: string; readonly magic: readonly number[]; readonly hint: string }[] = [
  { name: 'zstd', magic: [0x28, 0xb5, 0x2f, 0xfd], hint: 'zstd -dc FILE' },
  { name: 'xz', magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], hint: 'xz -dc FILE' },
  { name: 'bzip2', magic: [0x42, 0x5a, 0x68], hint: 'bzip2 -dc FILE' },
  { name: 'zip', magic: [0x50, 0x4b, 0x03, 0x04], hint: 'unzip -p FILE' },
];

/** The one wording of "cannot read" for every input command. */
export function describeReadError(name: string, err: unknown): string {
  return `cannot read ${name}: ${fileReadReason(err)}`;
}

/**
 * Opens `path` (`-` for stdin) as NDJSON text. gzip input (by its magic bytes,
 * whatever the file name) is decompressed on the fly. Other compressed formats
 * and binary data are refused with one {@link UsageError} line saying what the
 * input looks like, instead of hundreds of lines of undecodable bytes.
 */
export async function openNdjsonInput(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<NdjsonInput> {
  const name = path === '-' ? 'stdin' : path;
  let sizeBytes: number | null = null;
  if (path !== '-') {
    try {
      const info = await stat(path);
      if (info.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
      sizeBytes = info.isFile() ? info.size : null;
    } catch (err) {
      throw new UsageError(describeReadError(name, err));
    }
  }
  const raw: AsyncIterable<Buffer> = path === '-' ? (stdin as AsyncIterable<Buffer>) : createReadStream(path, { highWaterMark: 1 << 20 });
  const iterator = raw[Symbol.asyncIterator]();
  const { head, done } = await readHead(iterator, name);
  const gzip = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gzip) refuseBinary(head, name, false);
  const bytes = rest(head, iterator, done);
  const chunks = gzip ? decompressed(bytes, name) : decode(bytes);
  return { name, sizeBytes, gzip, chunks };
}

async function readHead(iterator: AsyncIterator<Buffer>, name: string): Promise<{ head: Buffer; done: boolean }> {
  const parts: Buffer[] = [];
  let length = 0;
  try {
    while (length < HEAD_BYTES) {
      const next = await iterator.next();
      if (next.done === true) return { head: Buffer.concat(parts), done: true };
      const chunk = typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
      parts.push(chunk);
      length += chunk.length;
    }
  } catch (err) {
    throw new UsageError(describeReadError(name, err));
  }
  return { head: Buffer.concat(parts), done: false };
}

async function* rest(head: Buffer, iterator: AsyncIterator<Buffer>, done: boolean): AsyncIterable<Buffer> {
  if (head.length > 0) yield head;
  if (done) return;
  for (;;) {
    const next = await iterator.next();
    if (next.done === true) return;
    yield typeof next.value === 'string' ? Buffer.from(next.value) : next.value;
  }
}

async function* decode(bytes: AsyncIterable<Buffer>): AsyncIterable<string> {
  const decoder = new StringDecoder('utf8');
  for await (const chunk of bytes) {
    const text = decoder.write(chunk);
    if (text.length > 0) yield text;
  }
  const tail = decoder.end();
  if (tail.length > 0) yield tail;
}

async function* decompressed(bytes: AsyncIterable<Buffer>, name: string): AsyncIterable<string> {
  const gunzip = Readable.from(bytes).pipe(createGunzip());
  const decoder = new StringDecoder('utf8');
  let checked = false;
  let head = Buffer.alloc(0);
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      if (!checked) {
        head = Buffer.concat([head, chunk]);
        if (head.length < HEAD_BYTES) continue;
        refuseBinary(head, name, true);
        checked = true;
        const text = decoder.write(head);
        if (text.length > 0) yield text;
        continue;
      }
      const text = decoder.write(chunk);
      if (text.length > 0) yield text;
    }
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${name}: the gzip data is damaged (${(err as Error).message}); events up to there were read`);
  }
  if (!checked) {
    refuseBinary(head, name, true);
    const text = decoder.write(head);
    if (text.length > 0) yield text;
  }
  const tail = decoder.end();
  if (tail.length > 0) yield tail;
}

/** Throws a one-line {@link UsageError} when `head` is not UTF-8 text. */
function refuseBinary(head: Buffer, name: string, gzip: boolean): void {
  const what = gzip ? `${name} (gzip)` : name;
  for (const format of OTHER_FORMATS) {
    if (format.magic.every((byte, i) => head[i] === byte)) {
      throw new UsageError(`${what} is ${format.name}-compressed: decompress it first, e.g. '${format.hint} | promptpilot replay --input -' (plain and gzip NDJSON are read directly)`);
    }
  }
  const nul = head.indexOf(0);
  if (nul >= 0) throw new UsageError(`${what} is binary, not NDJSON text (a NUL byte at byte ${nul}); expected one JSON telemetry event per line`);
  // A multi-byte character may be cut at the end of the head: only complete sequences must decode.
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
  } catch {
    throw new UsageError(`${what} is not UTF-8 text (binary data in its first ${head.length} bytes); expected one JSON telemetry event per line`);
  }
}
