import { describe, expect, it } from 'vitest';
import type { Detection } from '../../src/detectors/index.js';
import { INACTIVE, stepRule, type RuleState } from '../../src/detectors/index.js';

const TIMING = { forMs: 60_000, keepFiringForMs: 30_000, maxGapMs: 300_000 };
type Seen = 'breach' | 'mid' | 'clear' | 'none';

function detection(seen: Exclude<Seen, 'none'>): Detection {
  return {
    route: 'r', variant: 'v', rule: 'x', metric: 'latency_p95_ms', op: 'gt', value: 1, threshold: 1,
    thresholdFrom: { kind: 'absolute' }, breached: seen === 'breach', clear: seen === 'clear', lower: 1, upper: 1, confidence: 0, method: 'point',
    samples: 50, windowStartMs: 0, windowEndMs: 1,
  };
}

/** Runs a sequence of observations 10 s apart; returns the emitted transitions as "state@seconds". */
function run(sequence: readonly Seen[]): { edges: string[]; final: RuleState } {
  let state: RuleState = INACTIVE;
  const edges: string[] = [];
  sequence.forEach((seen, i) => {
    const step = stepRule(state, seen === 'none' ? null : detection(seen), TIMING, i * 10_000);
    state = step.next;
    if (step.transition) edges.push(`${step.transition.state}@${i * 10}:${step.transition.heldMs / 1000}`);
  });
  return { edges, final: state };
}

const B = 'breach', M = 'mid', C = 'clear', N = 'none';

describe('stepRule', () => {
  it.each([
    ['fires after `for`', [B, B, B, B, B, B, B], ['firing@60:60'], 'firing'],
    ['a blip shorter than `for` clears silently', [B, B, B, B, B, C, B], [], 'pending'],
    ['a mid value ends a pending hold too', [B, B, B, M, B, B], [], 'pending'],
    ['no data keeps pending and the hold continues', [B, B, N, N, B, B, B], ['firing@60:60'], 'firing'],
    ['resolves after keep_firing_for of clear', [B, B, B, B, B, B, B, C, C, C, C], ['firing@60:60', 'resolved@100:30'], 'inactive'],
    ['mid values (inside hysteresis) never resolve', [B, B, B, B, B, B, B, M, M, M, M, M, M], ['firing@60:60'], 'firing'],
    ['a breach restarts the clear stretch', [B, B, B, B, B, B, B, C, C, B, C, C, C, C], ['firing@60:60', 'resolved@130:30'], 'inactive'],
    ['no data neither resolves nor resets a firing rule', [B, B, B, B, B, B, B, N, N, N, N, N, C, C, C, C], ['firing@60:60', 'resolved@150:30'], 'inactive'],
    ['a second episode fires again', [B, B, B, B, B, B, B, C, C, C, C, B, B, B, B, B, B, B], ['firing@60:60', 'resolved@100:30', 'firing@170:60'], 'firing'],
  ] as const)('%s', (_name, sequence, edges, phase) => {
    const result = run(sequence);
    expect(result.edges).toEqual(edges);
    expect(result.final.phase).toBe(phase);
  });

  it('fires at once when `for` is 0, and keeps the episode start for the whole episode', () => {
    const first = stepRule(INACTIVE, detection('breach'), { ...TIMING, forMs: 0 }, 5_000);
    expect(first.transition).toEqual({ state: 'firing', heldMs: 0, episodeStartMs: 5_000 });
    const resolved = stepRule(first.next, detection('clear'), { ...TIMING, keepFiringForMs: 0 }, 15_000);
    expect(resolved.transition).toEqual({ state: 'resolved', heldMs: 0, episodeStartMs: 5_000 });
  });

  it('a data gap longer than maxGapMs restarts the hold', () => {
    const pending = stepRule(INACTIVE, detection('breach'), TIMING, 0).next;
    const after = stepRule(pending, detection('breach'), TIMING, 400_000);
    expect(after.transition).toBeNull();
    expect(after.next).toEqual({ phase: 'pending', sinceMs: 400_000, lastSeenMs: 400_000 });
  });
});
