// Regression (found in review): with tightly clustered latencies (a cached or mocked model) the
// baseline's frozen p95 fell in the top occupied histogram bucket, nothing lay above it, and the p95
// interval stayed open at +inf: `gate` could never pass identical runs (exit 3), and identical data
// reported a -1.0 % p95 change.
import { describe, expect, it } from 'vitest';
import { evaluateGate } from '../../src/abtest/index.js';
import { parseConfig } from '../../src/config/load.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { mulberry32 } from '../../src/sim/random.js';

const config = parseConfig({});

function run(seed: number, latency: (r: () => number) => number, n = 5000): TelemetryEvent[] {
  const rng = mulberry32(seed);
  return Array.from({ length: n }, (_, i) => ({ ...makeEvent(1_700_000_000_000 + i * 100, 'r', 'v', latency(rng)), correct: rng() < 0.95, quality: 0.8 + 0.1 * rng(), costUsd: 0.01, inputTokens: 500, outputTokens: 100 }));
}

describe('gate with clustered latencies', () => {
  it.each([
    ['1000-1050 ms', (r: () => number) => 1000 + 50 * r()],
    ['constant 1000 ms', () => 1000],
  ])('identical %s runs pass, with a p95 change within one 2 %% histogram bucket', (_name, latency) => {
    const events = run(1, latency);
    const verdict = evaluateGate(events, events, config.abtest);
    expect(verdict.verdict).toBe('pass');
    // The arms' post-freeze samples differ (the baseline's first events froze the threshold), so
    // their quantiles may sit one bucket apart; what must not happen is an interval open at +inf.
    expect(Math.abs(verdict.evidence['latency_p95_ms']!.delta as number)).toBeLessThanOrEqual(0.0201);
    expect(verdict.evidence['latency_p95_ms']!.ci![1]).not.toBeNull();
  });

  it('a clustered candidate 30 % slower still fails the response-time gate', () => {
    const verdict = evaluateGate(run(1, (r) => 1000 + 50 * r()), run(2, (r) => 1300 + 65 * r()), config.abtest);
    expect(verdict.verdict).toBe('fail');
    expect(verdict.gates.find((g) => g.name === 'response_time_regression')!.status).toBe('failed');
  });
});

describe('gate with sub-millisecond latencies (regression, found in review)', () => {
  it('identical runs of a cached model (0.2-0.8 ms) pass', () => {
    const events = run(3, (r) => 0.2 + 0.6 * r(), 2000);
    const verdict = evaluateGate(events, events, config.abtest);
    expect(verdict.verdict).toBe('pass');
  });
});
