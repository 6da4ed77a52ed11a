// Regression (found in the QA pass): every `ts` string that was not RFC 3339 got "expected epoch milliseconds or an
// RFC 3339 timestamp", also the two usual slips whose fix is one edit: a local time without a zone (what Python's
// `datetime.isoformat()` gives for a naive datetime) and epoch milliseconds sent as a string. Each is named now.
import { describe, expect, it } from 'vitest';
import { validateEvent } from '../../src/core/event.js';

const reason = (ts: unknown): string => {
  const r = validateEvent({ ts, route: 'r', variant: 'v', latency_ms: 1 }, 0);
  return r.ok ? 'accepted' : `${r.error.field}: ${r.error.message}`;
};

describe('a ts string that is not RFC 3339', () => {
  it.each([
    ['2026-01-05T08:00:00', "ts: '2026-01-05T08:00:00' has no time zone: an RFC 3339 timestamp ends in Z (UTC) or an offset such as +02:00"],
    ['2026-01-05 08:00', "ts: '2026-01-05 08:00' has no time zone: an RFC 3339 timestamp ends in Z (UTC) or an offset such as +02:00"],
    ['1767600000000', "ts: '1767600000000' is a string: send epoch milliseconds as a JSON number, or an RFC 3339 timestamp"],
    ['2026-13-45T99:00:00Z', "ts: '2026-13-45T99:00:00Z' is not a date on the calendar (RFC 3339 timestamp expected)"],
    ['yesterday', 'ts: expected epoch milliseconds or an RFC 3339 timestamp'],
    [true, 'ts: expected epoch milliseconds or an RFC 3339 timestamp'],
  ])('%j: %s', (ts, expected) => {
    expect(reason(ts)).toBe(expected);
  });

  it('good ones are still taken', () => {
    for (const ts of ['2026-01-05T08:00:00Z', '2026-01-05T08:00:00.123+02:00', '2026-01-05 08:00:00z', 1_767_600_000_000]) expect(reason(ts)).toBe('accepted');
  });
});
