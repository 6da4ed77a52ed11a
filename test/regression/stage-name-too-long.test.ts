// Regression (docs pass): an event whose stage_ms named a stage of 101 characters (or an empty one) was rejected
// with "Invalid key in record", zod's words, which do not say what is wrong; docs/wire-formats.md gives stage names
// 1–100 characters, and every rejection names its problem.
import { describe, expect, it } from 'vitest';
import { validateBatch } from '../../src/core/event.js';

const event = { ts: '2026-01-05T08:00:00Z', route: 'r', variant: 'v', latency_ms: 5 };

describe('a stage name out of bounds', () => {
  it('says what is wrong with the name', () => {
    const long = 'x'.repeat(101);
    expect(validateBatch([{ ...event, stage_ms: { [long]: 1 } }]).errors).toEqual([{ index: 0, field: `stage_ms.${long}`, message: 'invalid key: must be at most 100 characters long' }]);
    expect(validateBatch([{ ...event, stage_ms: { '': 1 } }]).errors[0]!.message).toBe('invalid key: must not be empty');
    expect(validateBatch([{ ...event, stage_ms: { ['x'.repeat(100)]: 1 } }]).errors).toEqual([]);
  });
});
