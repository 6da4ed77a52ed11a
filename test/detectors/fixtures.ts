// WindowStats fixtures and an event-time driver for detector tests.
import { ConfigSchema, type Config } from '../../src/config/schema.js';
import type { DecisionRecord, TriggerRecord, ActionRecord } from '../../src/core/decision.js';
import type { RouteDetector } from '../../src/detectors/index.js';
import type { WindowStats } from '../../src/windows/windowStats.js';

export const WINDOW_MS = 300_000;
export const BUCKET_MS = 10_000;
/** Event-time origin of every scenario, epoch ms. */
export const T0 = 1_700_000_000_000;

/** Knobs a test turns; everything else is a healthy route with plenty of samples. */
export interface StatsKnobs {
  readonly route?: string;
  readonly variant?: string;
  readonly pattern?: WindowStats['pattern'];
  readonly count?: number;
  readonly p95?: number | null;
  readonly costUsd?: number | null;
  readonly tokensPerQualityPoint?: number | null;
  readonly accuracy?: number | null;
  readonly accuracyCount?: number;
  readonly consistency?: number | null;
  readonly qualityCount?: number;
}

/** A window ending at `endMs` whose metrics are healthy under the default config unless a knob says otherwise. */
export function stats(endMs: number, knobs: StatsKnobs = {}): WindowStats {
  const count = knobs.count ?? 100;
  const p95 = knobs.p95 === undefined ? 1500 : knobs.p95;
  return {
    route: knobs.route ?? 'support',
    variant: knobs.variant ?? 'v1',
    pattern: knobs.pattern === undefined ? 'chain_of_thought' : knobs.pattern,
    windowStartMs: endMs - WINDOW_MS,
    windowEndMs: endMs,
    count,
    errorCount: 0,
    latencyMs: p95 === null ? null : { p50: p95 / 2, p95, p99: p95 * 1.5 },
    meanLatencyMs: p95 === null ? null : p95 / 2,
    errorRate: count > 0 ? 0 : null,
    costPerTaskUsd: knobs.costUsd === undefined ? 0.05 : knobs.costUsd,
    totalCostUsd: 5,
    tokensPerRequest: 3000,
    tokensPerQualityPoint: knobs.tokensPerQualityPoint === undefined ? 50 : knobs.tokensPerQualityPoint,
    meanQuality: 0.6,
    qualityCount: knobs.qualityCount ?? count,
    accuracy: knobs.accuracy === undefined ? 0.99 : knobs.accuracy,
    accuracyCount: knobs.accuracyCount ?? count,
    consistency: knobs.consistency === undefined ? 0.99 : knobs.consistency,
    consistencyCount: count,
    satisfaction: null,
    satisfactionCount: 0,
  };
}

/** The default config, optionally with overrides (parsed through the schema). */
export function config(overrides: Record<string, unknown> = {}): Config {
  return ConfigSchema.parse(overrides);
}

/** One phase of a scenario: `durationMs` of event time with these knobs. */
export interface Phase {
  readonly durationMs: number;
  readonly knobs: StatsKnobs;
}

/** A record with the boundary it was emitted at, relative to T0 (ms). */
export interface Emitted {
  readonly atMs: number;
  readonly record: DecisionRecord;
}

/**
 * Evaluates the detector at every bucket boundary through the phases, starting
 * at T0 + BUCKET_MS (phase time is half-open: a phase's first evaluation is at
 * its start + one bucket). Returns every record with its offset from T0.
 */
export function drive(detector: RouteDetector, phases: readonly Phase[], startMs = 0): Emitted[] {
  const out: Emitted[] = [];
  let offset = startMs;
  for (const phase of phases) {
    const end = offset + phase.durationMs;
    for (let at = offset + BUCKET_MS; at <= end; at += BUCKET_MS) {
      for (const record of detector.evaluate(stats(T0 + at, phase.knobs), T0 + at)) out.push({ atMs: at, record });
    }
    offset = end;
  }
  return out;
}

/** Trigger records of one rule. */
export function triggers(emitted: readonly Emitted[], rule: string): Array<{ atMs: number; record: TriggerRecord }> {
  return emitted.filter((e): e is { atMs: number; record: TriggerRecord } => e.record.type === 'trigger' && e.record.rule === rule);
}

/** Action records. */
export function actions(emitted: readonly Emitted[]): Array<{ atMs: number; record: ActionRecord }> {
  return emitted.filter((e): e is { atMs: number; record: ActionRecord } => e.record.type === 'action');
}
