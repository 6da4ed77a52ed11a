// Regression (found in review): a metric whose mean was 0 in one arm (quality or satisfaction all 0,
// a cost going from 0 to $1) had no log ratio, was reported as "no data", and its gate was skipped:
// `gate` passed a candidate whose answers had quality 0.
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/abtest/index.js';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { mulberry32 } from '../../src/sim/random.js';

const config = parseConfig({});

function run(seed: number, fields: (r: () => number) => Partial<TelemetryEvent>): TelemetryEvent[] {
  const rng = mulberry32(seed);
  return Array.from({ length: 500 }, (_, i) => ({ ...makeEvent(1_700_000_000_000 + i * 100, 'r', 'v', 1000 * Math.exp(0.3 * (rng() - 0.5))), inputTokens: 500, outputTokens: 100, costUsd: 0.01, correct: rng() < 0.95, ...fields(rng) }));
}

describe('gate with a metric at 0 in one arm', () => {
  it('quality and satisfaction dropping to 0 fail', () => {
    const verdict = evaluateGate(run(1, (r) => ({ quality: 0.85 + 0.1 * r(), satisfaction: 1 })), run(2, () => ({ quality: 0, satisfaction: 0 })), config.abtest);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.gates.find((g) => g.name === 'quality_degradation')!.status).toBe('failed');
    expect(verdict.gates.find((g) => g.name === 'satisfaction_drop')!.status).toBe('failed');
    expect(verdict.evidence['quality']!.delta).toBe(-1);
  });

  it('a cost rising from 0 fails the cost gate', () => {
    const verdict = evaluateGate(run(1, () => ({ costUsd: 0, quality: 0.9 })), run(2, () => ({ costUsd: 1, quality: 0.9 })), config.abtest);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.gates.find((g) => g.name === 'cost_increase')!.status).toBe('failed');
  });

  it('two arms both at 0 are no change', () => {
    const verdict = evaluateGate(run(1, () => ({ satisfaction: 0, quality: 0.9 })), run(2, () => ({ satisfaction: 0, quality: 0.9 })), config.abtest);
    expect(verdict.gates.find((g) => g.name === 'satisfaction_drop')!.status).not.toBe('failed');
  });
});
