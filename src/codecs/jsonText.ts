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
    throw err;
  }
}

/** Whether UTF-8-decoded text is in fact UTF-16 or UTF-32: a byte-order mark of those, or a NUL among its first characters. */
function wideText(text: string): boolean {
  return text.startsWith('\uFFFD\uFFFD') || text.slice(0, 4).includes('\u0000');
}
