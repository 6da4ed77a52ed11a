// Regression (found in the QA pass): a number literal past double range (`"latency_ms": 1e400`) parses as Infinity
// and was rejected with "latency_ms: expected number, got number". The reason now says what is wrong with it.
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/core/event.js';

describe('an event whose number overflows to Infinity', () => {
  it.each([
    ['latency_ms', '1e400', 'expected a finite number, got Infinity'],
    ['cost_usd', '-1e400', 'expected a finite number, got -Infinity'],
    ['quality', '1e400', 'expected a finite number, got Infinity'],
    ['input_tokens', '1e400', 'expected a finite number, got Infinity'],
    ['ts', '1e400', 'expected epoch milliseconds or an RFC 3339 timestamp'],
  ])('%s: %s is rejected with "%s"', (field, literal, message) => {
    const result = validateEvent(JSON.parse(`{"ts":1700000000000,"route":"r","variant":"v","latency_ms":1,"${field}":${literal}}`), 0);
    expect(result).toEqual({ ok: false, error: expect.objectContaining({ field, message }) });
  });
});
