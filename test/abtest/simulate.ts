import type { AbTestConfig } from '../../src/config/schema.js';
import { ConfigSchema } from '../../src/config/schema.js';
import type { ActionKind } from '../../src/core/decision.js';
import type { ArmEvent } from '../../src/abtest/armStats.js';
import { compareArms, COMPARED_METRICS, type ComparedMetric } from '../../src/abtest/compare.js';
import { addArmEvent, createExperimentState, evaluateExperiment, type ExperimentDecision } from '../../src/abtest/evaluate.js';
import { normalTwoSidedP } from '../../src/abtest/sequential.js';

export { mulberry32, normal } from '../../src/sim/random.js';
import { mulberry32, normal } from '../../src/sim/random.js';

/** How one arm behaves. */
export interface ArmModel {
  /** Median latency, ms, and log-scale sd of the lognormal. */
  readonly medianMs: number;
  readonly sigma: number;
  readonly errorRate: number;
  readonly accuracy: number;
  readonly qualityMean: number;
  readonly qualitySd: number;
  /** Median tokens per call (lognormal, sd 0.3); cost = tokens × usdPerToken. */
  readonly medianTokens: number;
  readonly usdPerToken: number;
  readonly satisfactionMean: number;
}

export const BASE_ARM: ArmModel = {
  medianMs: 1200, sigma: 0.45, errorRate: 0.02, accuracy: 0.9, qualityMean: 0.85, qualitySd: 0.08,
  medianTokens: 1500, usdPerToken: 0.00002, satisfactionMean: 0.8,
};

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

/** Draws one event from an arm model. */
export function drawEvent(model: ArmModel, rand: () => number): ArmEvent {
  const tokens = Math.round(model.medianTokens * Math.exp(0.3 * normal(rand)));
  const isError = rand() < model.errorRate;
  return {
    latencyMs: model.medianMs * Math.exp(model.sigma * normal(rand)),
    isError,
    inputTokens: Math.round(tokens * 0.7),
    outputTokens: tokens - Math.round(tokens * 0.7),
    costUsd: tokens * model.usdPerToken,
    quality: clamp01(model.qualityMean + model.qualitySd * normal(rand)),
    correct: rand() < model.accuracy,
    satisfaction: clamp01(model.satisfactionMean + 0.15 * normal(rand)),
  };
}

/** The default abtest config (reference guide numbers). */
export function defaultAbtest(overrides: Partial<AbTestConfig> = {}): AbTestConfig {
  return { ...ConfigSchema.parse({}).abtest, ...overrides };
}

export interface SimulationOptions {
  readonly seed: number;
  readonly kind: ActionKind;
  readonly baseline: ArmModel;
  readonly candidate: ArmModel;
  /** Candidate traffic share. */
  readonly share: number;
  /** Events (both arms) per batch; the decision is re-evaluated after every batch. */
  readonly batch: number;
  readonly looks: number;
  readonly config?: AbTestConfig;
}

export interface SimulationResult {
  readonly decision: ExperimentDecision;
  readonly reason: string;
  /** Samples per arm when the decision was taken. */
  readonly n: readonly [number, number];
  /** Did a naive fixed-sample z-test on log latency (α = 0.05) ever reject at any look? */
  readonly naiveRejected: boolean;
  /** Per metric: did its confidence sequence ever exclude 0 at any look? (A/A: a miscoverage.) */
  readonly excludedZero: Readonly<Record<ComparedMetric, boolean>>;
}

const BATCH_MS = 60_000;

/** Runs one experiment, re-evaluating after every batch, until a decision or the deadline. */
export function simulate(options: SimulationOptions, trackMetrics = false): SimulationResult {
  const rand = mulberry32(options.seed);
  const config = options.config ?? defaultAbtest({ max_duration: options.looks * BATCH_MS });
  const state = createExperimentState(0, config.min_samples_per_arm);
  let naiveRejected = false;
  const excluded = Object.fromEntries(COMPARED_METRICS.map((m) => [m, false])) as Record<ComparedMetric, boolean>;
  for (let look = 1; look <= options.looks; look++) {
    for (let i = 0; i < options.batch; i++) {
      const candidate = rand() < options.share;
      addArmEvent(state, candidate, drawEvent(candidate ? options.candidate : options.baseline, rand));
      state.expectedCandidate += options.share;
    }
    const b = state.baseline;
    const c = state.candidate;
    if (b.n > 1 && c.n > 1) {
      const varOf = (n: number, s: number, ss: number): number => (ss - (s * s) / n) / (n - 1) / n;
      const z = (c.logLatencySum / c.n - b.logLatencySum / b.n) / Math.sqrt(varOf(b.n, b.logLatencySum, b.logLatencySumSq) + varOf(c.n, c.logLatencySum, c.logLatencySumSq));
      if (normalTwoSidedP(z) < 0.05) naiveRejected = true;
    }
    if (trackMetrics) {
      const cmp = compareArms(b, c, config, state.tail);
      for (const m of COMPARED_METRICS) if (cmp[m].lo > 0 || cmp[m].hi < 0) excluded[m] = true;
    }
    const result = evaluateExperiment(state, config, options.kind, look * BATCH_MS);
    if (result.decision !== 'continue') {
      return { decision: result.decision, reason: result.reason, n: [b.n, c.n], naiveRejected, excludedZero: excluded };
    }
  }
  return { decision: 'continue', reason: 'ran out of looks', n: [state.baseline.n, state.candidate.n], naiveRejected, excludedZero: excluded };
}
