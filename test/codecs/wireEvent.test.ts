import { describe, expect, it } from 'vitest';
import { toWireEvent } from '../../src/codecs/wireEvent.js';
import { validateEvent, type TelemetryEvent } from '../../src/core/event.js';

const full = {
  ts: 1_700_000_000_000, route: 'r', variant: 'v', pattern: 'few_shot', latency_ms: 12.5, input_tokens: 3, output_tokens: 4, cost_usd: 0.002,
  model: 'gpt-4o', quality: 0.9, correct: true, consistent: false, satisfaction: 0.7, error: 'rate_limit', experiment: 'e1', arm: 'candidate', unit: 'u1', tier: 'economy',
};

function normalize(value: unknown): TelemetryEvent {
  const result = validateEvent(value);
  if (!result.ok) throw new Error(result.error.field);
  return result.event;
}

describe('toWireEvent', () => {
  it.each([
    ['every field', full],
    ['the minimum', { ts: 5, route: 'r', variant: 'v', latency_ms: 0 }],
    ['a boolean error', { ts: 5, route: 'r', variant: 'v', latency_ms: 1, error: true }],
    ['an explicit non-error', { ts: 5, route: 'r', variant: 'v', latency_ms: 1, error: false }],
  ])('round-trips %s through the v1 validator', (_name, wire) => {
    const event = normalize(wire);
    expect(normalize(JSON.parse(JSON.stringify(toWireEvent(event))))).toEqual(event);
  });

  it('writes snake_case v1 fields', () => {
    expect(toWireEvent(normalize(full))).toEqual(full);
  });
});
