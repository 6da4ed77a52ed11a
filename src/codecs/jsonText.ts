/**
 * `JSON.parse` of a whole body or message that may start with a UTF-8 byte-order mark, as files saved by Windows
 * editors and PowerShell do. NDJSON input (replay, `/v1/events` as NDJSON) already skipped it; a JSON body was
 * refused with `Unexpected token '﻿'`, naming a character nobody can see. Throws what `JSON.parse` throws, except
 * for UTF-16 or UTF-32 text read as UTF-8 (Windows PowerShell 5 writes files as UTF-16): that error says so.
 */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  } catch (err) {
    if (wideText(text)) throw new SyntaxError('it is UTF-16 or UTF-32 text (NUL bytes between its characters), not UTF-8: send it as UTF-8');
    if (text.charCodeAt(0) === 0) throw new SyntaxError('it starts with a NUL byte: binary data, not JSON text');
    throw err;
  }
}

/**
 * Whether UTF-8-decoded text is in fact UTF-16 or UTF-32: a byte-order mark of those, or among its first four
 * characters both a NUL and a character that is not (text of NULs alone is binary data, not wide text).
 */
function wideText(text: string): boolean {
  if (text.startsWith('\uFFFD\uFFFD')) return true;
  const head = text.slice(0, 4);
  return head.includes('\u0000') && /[^\u0000]/.test(head);
}
