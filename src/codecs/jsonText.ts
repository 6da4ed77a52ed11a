/**
 * `JSON.parse` of a whole body or message that may start with a UTF-8 byte-order mark, as files saved by Windows
 * editors and PowerShell do. NDJSON input (replay, `/v1/events` as NDJSON) already skipped it; a JSON body was
 * refused with `Unexpected token '﻿'`, naming a character nobody can see. Throws what `JSON.parse` throws.
 */
export function parseJsonText(text: string): unknown {
  return JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
}
