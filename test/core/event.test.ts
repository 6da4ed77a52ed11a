import { describe, expect, it } from 'vitest';
import { fastNormalize, normalizeWireEvent, validateBatch, validateEvent, WireEventSchema } from '../../src/core/event.js';

const good = { ts: 1_700_000_000_000, route: 'support', variant: 'v1', latency_ms: 1200 };

describe('wire event v1 validation', () => {
  it.each([
    [{ ...good, ts: undefined }, 'ts', 'required field is missing'],
    [{ ...good, route: '' }, 'route', 'must not be empty'],
    [{ ...good, route: 'x'.repeat(201) }, 'route', 'must be at most 200 characters long'],
    [{ ...good, latency_ms: -1 }, 'latency_ms', 'must not be negative'],
    [{ ...good, latency_ms: '12' }, 'latency_ms', 'expected number, got string'],
    [{ ...good, pattern: 'one_shot' }, 'pattern', 'expected one of zero_shot, few_shot, chain_of_thought, tree_of_thought, self_consistency, structured (got "one_shot")'],
    [{ ...good, quality: 1.5 }, 'quality', 'must be at most 1'],
    [{ ...good, input_tokens: 1.5 }, 'input_tokens', 'expected an integer, got 1.5'],
    [{ ...good, arm: 'treatment' }, 'arm', 'expected one of baseline, candidate (got "treatment")'],
    [{ ...good, ts: 'yesterday' }, 'ts', 'RFC 3339'],
    [{ ...good, ts: '2026-13-45T99:00:00Z' }, 'ts', 'RFC 3339'],
    [{ ...good, error: 42 }, 'error', 'expected boolean or string, got number'],
    [{ ...good, ts: 1e308 }, 'ts', 'must be at most'],
    [{ ...good, latency_ms: 1e308 }, 'latency_ms', 'must be at most'],
    [{ ...good, cost_usd: 5e6 }, 'cost_usd', 'must be at most'],
    [{ ...good, input_tokens: 2e9 }, 'input_tokens', 'must be at most'],
  ])('rejects %j naming %s', (value, field, message) => {
    const result = validateEvent(value, 7);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.index).toBe(7);
    expect(result.error.field).toBe(field);
    expect(result.error.message).toContain(message);
    // zod's wording ("Too small: expected string to have >=1 characters") is not what a user should read
    expect(result.error.message).not.toMatch(/Too (small|big)|Invalid (input|option)/);
  });

  it('rejects non-objects without throwing', () => {
    for (const value of [null, 3, 'x', [good], true]) {
      const result = validateEvent(value);
      expect(result.ok).toBe(false);
    }
  });

  it('accepts RFC 3339 timestamps and normalizes to epoch ms', () => {
    const result = validateEvent({ ...good, ts: '2026-11-26T10:00:00.250+01:00' });
    expect(result.ok && result.event.ts).toBe(Date.parse('2026-11-26T09:00:00.250Z'));
  });

  it('folds error booleans and strings', () => {
    const a = validateEvent({ ...good, error: 'timeout' });
    const b = validateEvent({ ...good, error: false });
    expect(a.ok && [a.event.isError, a.event.errorType]).toEqual([true, 'timeout']);
    expect(b.ok && b.event.isError).toBe(false);
  });

  it('ignores unknown fields', () => {
    const result = validateEvent({ ...good, something_else: { deep: 1 } });
    expect(result.ok && Object.keys(result.event)).not.toContain('something_else');
  });

  it('a batch keeps its good events and reports each bad one by index', () => {
    const batch = validateBatch([good, { ...good, latency_ms: null }, good, 'nope', { ...good, variant: 'v2' }]);
    expect(batch.events.map((e) => e.variant)).toEqual(['v1', 'v1', 'v2']);
    expect(batch.errors.map((e) => [e.index, e.field])).toEqual([[1, 'latency_ms'], [3, '(event)']]);
  });
});

describe('fast path agrees with the schema', () => {
  // A seeded generator of near-valid events: each field randomly good, bad or absent.
  let seed = 12345;
  const rand = (): number => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
  const fields: Record<string, readonly unknown[]> = {
    ts: [1_700_000_000_000, 0, -5, '2026-01-01T00:00:00Z', Infinity, 'x', undefined],
    route: ['r', '', 'x'.repeat(200), 'x'.repeat(201), 5, undefined],
    variant: ['v', '', 7, undefined],
    latency_ms: [0, 12.5, -0.1, '3', undefined, 1e308],
    pattern: ['few_shot', 'structured', 'bogus', 3, undefined],
    input_tokens: [0, 10, 1.5, -1, undefined],
    output_tokens: [5, 2 ** 60, undefined],
    cost_usd: [0.01, -1, undefined],
    model: ['gpt-4o', '', undefined],
    quality: [0, 1, 0.5, 1.01, undefined],
    correct: [true, false, 'true', undefined],
    consistent: [true, 1, undefined],
    satisfaction: [0.3, -0.1, undefined],
    error: [true, false, 'timeout', '', 3, undefined],
    experiment: ['e1', '', undefined],
    arm: ['baseline', 'candidate', 'control', undefined],
    unit: ['u1', 'x'.repeat(501), undefined],
    tier: ['standard', '', undefined],
  };
  it('on 20,000 generated events: same verdict, same normalized event', () => {
    let fastAccepted = 0;
    for (let i = 0; i < 20_000; i++) {
      const value: Record<string, unknown> = {};
      for (const [key, options] of Object.entries(fields)) {
        const v = rand() < 0.85 ? options[0] : pick(options);
        if (v !== undefined) value[key] = v;
      }
      const schema = WireEventSchema.safeParse(value);
      const fast = fastNormalize(value);
      if (fast !== null) {
        fastAccepted++;
        expect(schema.success).toBe(true);
        if (schema.success) expect(fast).toEqual(normalizeWireEvent(schema.data));
      }
    }
    expect(fastAccepted).toBeGreaterThan(1000);
  });
});
