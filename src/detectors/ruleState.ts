import type { Detection } from './detect.js';

/**
 * Lifecycle of one (route, variant, rule), in event time (epoch ms).
 * inactive → pending (condition holds) → firing (held for `for`) → inactive
 * (value clear of the threshold by the hysteresis band for `keep_firing_for`).
 */
export type RuleState =
  | { readonly phase: 'inactive' }
  | {
      readonly phase: 'pending';
      /** When the condition started holding: the episode's start. */
      readonly sinceMs: number;
      /** Last evaluation that saw the condition hold. */
      readonly lastSeenMs: number;
    }
  | {
      readonly phase: 'firing';
      readonly episodeStartMs: number;
      readonly firedMs: number;
      /** Start of the current uninterrupted clear stretch; null while not clear. */
      readonly clearSinceMs: number | null;
      /** Last evaluation with enough evidence to judge the rule. */
      readonly lastSeenMs: number;
    };

/** The initial state of every rule. */
export const INACTIVE: RuleState = { phase: 'inactive' };

/** Durations (ms) that drive the state machine. */
export interface RuleTiming {
  /** `rule.for`: the condition must hold this long before firing. */
  readonly forMs: number;
  /** `rule.keep_firing_for`: the value must stay clear this long before resolving. */
  readonly keepFiringForMs: number;
  /**
   * Longest gap between two judged evaluations that still counts as
   * continuous (the rolling window length): a longer data gap restarts the
   * hold instead of counting unseen time as evidence.
   */
  readonly maxGapMs: number;
}

/** An emitted edge: the rule fired or resolved. */
export interface RuleTransition {
  readonly state: 'firing' | 'resolved';
  /** How long the condition held (firing) or stayed clear (resolved), ms. */
  readonly heldMs: number;
  /** Event time the episode's condition started holding; stable for the episode. */
  readonly episodeStartMs: number;
}

/** Result of one step: the next state and at most one transition. */
export interface RuleStep {
  readonly next: RuleState;
  readonly transition: RuleTransition | null;
}

/**
 * Advances one rule's state by one evaluation at `nowMs`. Pure and total.
 *
 * - A null detection (too few samples, no value, no threshold yet) changes
 *   nothing: a pending rule stays pending, a firing rule stays firing.
 * - A pending rule whose condition stops holding returns to inactive silently.
 * - Firing is emitted once per episode; resolving once, after the value has
 *   been `clear` (good side by the hysteresis band) continuously for
 *   `keepFiringForMs`. A value between threshold and band, or back over the
 *   threshold, restarts that clear stretch — this is what stops flapping.
 * - An evaluation older than the last judged one is ignored.
 */
export function stepRule(state: RuleState, detection: Pick<Detection, 'breached' | 'clear'> | null, timing: RuleTiming, nowMs: number): RuleStep {
  if (detection === null) return { next: state, transition: null };
  if (state.phase !== 'inactive' && nowMs < state.lastSeenMs) return { next: state, transition: null };
  switch (state.phase) {
    case 'inactive':
      if (!detection.breached) return { next: state, transition: null };
      return holdOrFire(nowMs, nowMs, timing);
    case 'pending': {
      if (!detection.breached) return { next: INACTIVE, transition: null };
      const continuous = nowMs - state.lastSeenMs <= timing.maxGapMs;
      return holdOrFire(continuous ? state.sinceMs : nowMs, nowMs, timing);
    }
    case 'firing': {
      if (!detection.clear) return { next: firing(state, null, nowMs), transition: null };
      const continuous = state.clearSinceMs !== null && nowMs - state.lastSeenMs <= timing.maxGapMs;
      const clearSinceMs = continuous && state.clearSinceMs !== null ? state.clearSinceMs : nowMs;
      const heldMs = nowMs - clearSinceMs;
      if (heldMs >= timing.keepFiringForMs) {
        return { next: INACTIVE, transition: { state: 'resolved', heldMs, episodeStartMs: state.episodeStartMs } };
      }
      return { next: firing(state, clearSinceMs, nowMs), transition: null };
    }
  }
}

/** A firing state seen again at `nowMs`: a literal in {@link holdOrFire}'s field order (one object shape for every firing state). */
function firing(state: Extract<RuleState, { phase: 'firing' }>, clearSinceMs: number | null, nowMs: number): RuleState {
  return { phase: 'firing', episodeStartMs: state.episodeStartMs, firedMs: state.firedMs, clearSinceMs, lastSeenMs: nowMs };
}

function holdOrFire(sinceMs: number, nowMs: number, timing: RuleTiming): RuleStep {
  const heldMs = nowMs - sinceMs;
  if (heldMs >= timing.forMs) {
    return {
      next: { phase: 'firing', episodeStartMs: sinceMs, firedMs: nowMs, clearSinceMs: null, lastSeenMs: nowMs },
      transition: { state: 'firing', heldMs, episodeStartMs: sinceMs },
    };
  }
  return { next: { phase: 'pending', sinceMs, lastSeenMs: nowMs }, transition: null };
}
