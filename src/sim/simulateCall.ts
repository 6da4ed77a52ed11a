import type { Pattern } from '../core/patterns.js';
import { BASE_ERROR_RATE, PATTERN_PROFILES } from './patternProfiles.js';
import { normal, type Rng } from './random.js';

/** USD per million tokens, as in the config's price table. */
export interface TokenPrice {
  readonly input_per_mtok: number;
  readonly output_per_mtok: number;
}

/** Conditions of one simulated call; every field defaults to "healthy, as configured". */
export interface CallConditions {
  /** Multiplies response time (a slow provider, a long queue). Default 1. */
  readonly latencyFactor?: number;
  /** Multiplies input and output tokens (bigger inputs, wordier answers). Default 1. */
  readonly tokenFactor?: number;
  /** Added to the answer's probability of being correct, already scaled for the pattern. Default 0. */
  readonly accuracyDelta?: number;
  /** Added to the base error rate (0.3 %). Default 0. */
  readonly extraErrorRate?: number;
  /** Multiplies input tokens only: a compressed prompt variant sends fewer. Default 1. */
  readonly inputTokenFactor?: number;
  /** Completion cap of the served budget tier; a capped answer is faster but worse. */
  readonly maxOutputTokens?: number;
  /** Model name to put on the call. */
  readonly model?: string;
  /** When given, `costUsd` is computed from it; otherwise left for the daemon's price table. */
  readonly price?: TokenPrice;
}

/** One simulated LLM call: an event without `ts`, `route` and `variant`. */
export interface SimulatedCall {
  readonly pattern: Pattern;
  /** End-to-end response time, whole ms. */
  readonly latencyMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd?: number;
  readonly model?: string;
  /** Absent on failed calls. */
  readonly quality?: number;
  readonly correct?: boolean;
  readonly consistent?: boolean;
  readonly satisfaction: number;
  readonly isError: boolean;
  /** `timeout` | `rate_limit` | `server_error` on failed calls. */
  readonly errorType?: string;
}

/** Share of calls in the slow tail (retries, queueing) and their mean slowdown. */
const TAIL_SHARE = 0.01;
const TAIL_MEAN_FACTOR = 3;
const TIMEOUT_MS = 30_000;

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/**
 * Draws one call of `pattern` around the reference guide's pattern matrix:
 * lognormal response time with a 1 % slow tail (the mean stays the pattern's
 * mean), token counts with multiplicative noise, correctness, consistency,
 * quality and satisfaction correlated with each other, rare errors.
 *
 * @remarks Always consumes exactly 16 uniforms from `rng`, whatever the
 * outcome, so a simulation's later draws do not depend on earlier results
 * (switching a route's pattern changes its calls, not its arrival times).
 */
export function simulateCall(rng: Rng, pattern: Pattern, conditions: CallConditions = {}): SimulatedCall {
  const profile = PATTERN_PROFILES[pattern];
  const latencyFactor = conditions.latencyFactor ?? 1;
  const tokenFactor = conditions.tokenFactor ?? 1;
  const inputFactor = conditions.inputTokenFactor ?? 1;

  const zLatency = normal(rng);
  const tailU = rng();
  const tailFactorU = rng();
  const zInput = normal(rng);
  const zOutput = normal(rng);
  const correctU = rng();
  const consistentU = rng();
  const zQuality = normal(rng);
  const zSatisfaction = normal(rng);
  const errorU = rng();
  const errorTypeU = rng();

  const inputTokens = Math.max(1, Math.round(profile.meanInputTokens * tokenFactor * inputFactor * Math.exp(0.2 * zInput - 0.02)));
  const wantedOutput = Math.max(1, profile.meanOutputTokens * tokenFactor * Math.exp(0.3 * zOutput - 0.045));
  const cap = conditions.maxOutputTokens;
  const outputTokens = Math.round(cap !== undefined ? Math.min(wantedOutput, cap) : wantedOutput);
  const completeShare = Math.min(1, outputTokens / wantedOutput);
  const truncationPenalty = 0.25 * (1 - completeShare);
  const compressionPenalty = 0.02 * Math.max(0, 1 - inputFactor);

  const sigma = profile.latencySigma;
  const bodyMeanMs = (profile.meanLatencyMs * latencyFactor) / (1 + TAIL_SHARE * (TAIL_MEAN_FACTOR - 1));
  let latencyMs = Math.exp(Math.log(bodyMeanMs) - (sigma * sigma) / 2 + sigma * zLatency);
  if (tailU < TAIL_SHARE) latencyMs *= 2 + 2 * tailFactorU;
  // Generation time follows completion length: a capped answer returns sooner.
  latencyMs *= 0.4 + 0.6 * completeShare;

  const accuracyDelta = conditions.accuracyDelta ?? 0;
  const pCorrect = clamp01(profile.accuracy + accuracyDelta - truncationPenalty - compressionPenalty);
  const pConsistent = clamp01(profile.consistency + 0.3 * accuracyDelta - 0.5 * truncationPenalty);
  const isError = errorU < Math.min(1, BASE_ERROR_RATE + (conditions.extraErrorRate ?? 0));

  const call: Mutable<SimulatedCall> = { pattern, latencyMs: 0, inputTokens, outputTokens, satisfaction: 0, isError };
  if (conditions.model !== undefined) call.model = conditions.model;

  if (isError) {
    const errorType = errorTypeU < 0.4 ? 'timeout' : errorTypeU < 0.8 ? 'rate_limit' : 'server_error';
    call.errorType = errorType;
    call.outputTokens = 0;
    if (errorType === 'rate_limit') call.inputTokens = 0;
    latencyMs = errorType === 'timeout' ? TIMEOUT_MS : errorType === 'rate_limit' ? 50 + 250 * tailFactorU : latencyMs * 0.5;
    call.satisfaction = clamp01(0.1 + 0.05 * zSatisfaction);
  } else {
    const correct = correctU < pCorrect;
    const quality = clamp01(
      profile.quality + 0.5 * accuracyDelta - truncationPenalty - compressionPenalty + 0.15 * ((correct ? 1 : 0) - pCorrect) + 0.05 * zQuality,
    );
    const slowPenalty = Math.min(0.3, 0.04 * Math.max(0, latencyMs / 1000 - 2));
    call.correct = correct;
    call.consistent = consistentU < pConsistent;
    call.quality = round4(quality);
    call.satisfaction = round4(clamp01(0.35 + 0.6 * quality - slowPenalty + 0.05 * zSatisfaction));
  }
  call.latencyMs = Math.max(1, Math.round(latencyMs));
  if (conditions.price !== undefined) {
    call.costUsd = (call.inputTokens * conditions.price.input_per_mtok + call.outputTokens * conditions.price.output_per_mtok) / 1_000_000;
  }
  return call;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
