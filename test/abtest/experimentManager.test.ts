import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { compressPrompt } from '../../src/actions/compressPrompt.js';
import { parseConfig } from '../../src/config/load.js';
import type { ActionRecord, DecisionRecord, ExperimentRecord } from '../../src/core/decision.js';
import { makeEvent, type TelemetryEvent } from '../../src/core/event.js';
import { ExperimentManager } from '../../src/abtest/experimentManager.js';
import { mulberry32, normal } from '../../src/sim/index.js';

const T0 = Date.parse('2026-01-05T08:00:00Z');
const BUCKET = 10_000;

function action(overrides: Partial<ActionRecord> = {}): ActionRecord {
  return {
    type: 'action', ts: T0, id: 'a1b2c3', route: 'support', kind: 'pattern_simplification', rule: 'performance_degradation',
    from: { variant: 'cot-v1', pattern: 'chain_of_thought' }, to: { variant: 'cot-v1~few_shot', pattern: 'few_shot' },
    reason: 'test', evidence: { metric: 'latency_p95_ms', value: 3000, threshold: 2400, samples: 500 }, ...overrides,
  };
}

interface Traffic {
  /** Latency median per arm. */
  readonly medianMs: { baseline: number; candidate: number };
  /** Share of candidate events lost before reaching the daemon (a logging bug). */
  readonly dropCandidate?: number;
  /** How far (ms) assignment runs ahead of processing: events carry the assignment of that many ms earlier. */
  readonly assignmentLagMs?: number;
}

/** Drives the manager like the engine does: per-bucket events, then the boundary. */
function run(manager: ExperimentManager, traffic: Traffic, buckets: number, perBucket = 100, seed = 1): DecisionRecord[] {
  const rng = mulberry32(seed);
  const out: DecisionRecord[] = [...manager.onBoundary('support', T0, [action()])];
  let pending: { unit: string; ts: number; a: ReturnType<ExperimentManager['assign']> }[] = [];
  for (let b = 1; b <= buckets; b++) {
    const boundary = T0 + b * BUCKET;
    for (let i = 0; i < perBucket; i++) {
      const unit = `u${Math.floor(rng() * 100_000)}`;
      pending.push({ unit, ts: boundary - BUCKET + (i * BUCKET) / perBucket, a: manager.assign('support', unit) });
    }
    const lagBuckets = Math.ceil((traffic.assignmentLagMs ?? 0) / BUCKET);
    const ready = lagBuckets === 0 ? pending : pending.slice(0, Math.max(0, pending.length - lagBuckets * perBucket));
    pending = pending.slice(ready.length);
    for (const { unit, ts, a } of ready) {
      if (a?.experiment === undefined) continue;
      const candidate = a.arm === 'candidate';
      if (candidate && traffic.dropCandidate !== undefined && rng() < traffic.dropCandidate) continue;
      const median = candidate ? traffic.medianMs.candidate : traffic.medianMs.baseline;
      const e: TelemetryEvent = { ...makeEvent(ts, 'support', a.variant, median * Math.exp(0.3 * normal(rng))), experiment: a.experiment, arm: a.arm, unit, quality: 0.85 + 0.05 * normal(rng), correct: rng() < 0.95 };
      manager.onEvent(e);
    }
    out.push(...manager.onBoundary('support', boundary, []));
    if (out.some((r) => r.type === 'experiment' && r.status !== 'started')) break;
  }
  return out;
}

const experiments = (records: readonly DecisionRecord[]) => records.filter((r): r is ExperimentRecord => r.type === 'experiment');

describe('ExperimentManager', () => {
  it('starts one experiment per action with a deterministic id, sticky assignment at the first ramp share', () => {
    const manager = new ExperimentManager(parseConfig({}));
    const started = manager.onBoundary('support', T0, [action()]);
    expect(experiments(started)).toMatchObject([{ status: 'started', id: 'exp-a1b2c3', baseline: { variant: 'cot-v1' }, candidate: { variant: 'cot-v1~few_shot', pattern: 'few_shot' }, share: 0.1 }]);
    expect(manager.onBoundary('support', T0 + BUCKET, [action({ id: 'other' })])).toEqual([]); // one per route
    expect(manager.isBusy('support', T0)).toBe(true);
    const first = manager.assign('support', 'alice');
    expect(manager.assign('support', 'alice')).toEqual(first);
  });

  it('promotes a genuinely faster candidate after ramping, then serves it to everyone', () => {
    const manager = new ExperimentManager(parseConfig({}));
    const records = run(manager, { medianMs: { baseline: 3000, candidate: 1800 } }, 500);
    const ended = experiments(records).at(-1)!;
    expect(ended.status).toBe('promoted');
    expect((ended.evidence['latency_ms'] as { delta: number }).delta).toBeLessThan(-0.2);
    expect(manager.assign('support', 'anyone')).toMatchObject({ variant: 'cot-v1~few_shot', pattern: 'few_shot' });
    expect(manager.isBusy('support', ended.ts + 1)).toBe(true); // cooldown
  });

  it('rolls back a candidate with a +60 % latency spike', () => {
    const manager = new ExperimentManager(parseConfig({}));
    const ended = experiments(run(manager, { medianMs: { baseline: 2000, candidate: 3200 } }, 500)).at(-1)!;
    expect(ended.status).toBe('rolled_back');
    expect(manager.assign('support', 'anyone')).toMatchObject({ variant: 'cot-v1' });
  });

  it('no false sample-ratio alarm when the app serves assignments made before a ramp step', () => {
    const manager = new ExperimentManager(parseConfig({ abtest: { max_duration: '30m' } }));
    const records = run(manager, { medianMs: { baseline: 2000, candidate: 2000 }, assignmentLagMs: BUCKET }, 180, 100, 3);
    expect(records.filter((r) => r.type === 'trigger' && r.rule === 'sample_ratio_mismatch')).toEqual([]);
  });

  it('a logging bug that loses candidate events raises the SRM alert and blocks every automated decision', () => {
    const manager = new ExperimentManager(parseConfig({ abtest: { max_duration: '30m' } }));
    const records = run(manager, { medianMs: { baseline: 2000, candidate: 1900 }, dropCandidate: 0.5 }, 180, 100, 4);
    expect(records.find((r) => r.type === 'trigger' && r.rule === 'sample_ratio_mismatch')).toMatchObject({ state: 'firing', severity: 'critical' });
    const ended = experiments(records).at(-1)!;
    expect(ended.status).toBe('inconclusive'); // a faster candidate, but nothing is decided under SRM
  });

  it('ends inconclusive at the deadline when the candidate gets no traffic, keeping the baseline', () => {
    const manager = new ExperimentManager(parseConfig({ abtest: { max_duration: '1h' } }));
    manager.onBoundary('support', T0, [action()]);
    expect(manager.onBoundary('support', T0 + 30 * 60_000, [])).toEqual([]);
    const ended = experiments(manager.onBoundary('support', T0 + 60 * 60_000, []));
    expect(ended).toMatchObject([{ status: 'inconclusive' }]);
    expect(manager.get('exp-a1b2c3')!.status).toBe('inconclusive');
  });

  /** Runs a few_shot → chain_of_thought enhancement with the given median latencies until it ends. */
  function enhancement(targetP95Ms: number, medianMs: { baseline: number; candidate: number }, seed: number): ExperimentRecord {
    const manager = new ExperimentManager(parseConfig({ routes: { support: { targets: { latency_p95_ms: targetP95Ms } } } }));
    const enhance = action({ kind: 'pattern_enhancement', rule: 'quality_improvement_opportunity', from: { variant: 'fs-v1', pattern: 'few_shot' }, to: { variant: 'fs-v1~chain_of_thought', pattern: 'chain_of_thought' } });
    const rng = mulberry32(seed);
    const out: DecisionRecord[] = [...manager.onBoundary('support', T0, [enhance])];
    for (let b = 1; b <= 400 && !experiments(out).some((r) => r.status !== 'started'); b++) {
      for (let i = 0; i < 100; i++) {
        const unit = `u${Math.floor(rng() * 100_000)}`;
        const a = manager.assign('support', unit)!;
        const candidate = a.arm === 'candidate';
        // The stronger pattern is slower and 8 points more accurate, at a similar cost.
        const latencyMs = (candidate ? medianMs.candidate : medianMs.baseline) * Math.exp(0.3 * normal(rng));
        manager.onEvent({ ...makeEvent(T0 + b * BUCKET - 5000, 'support', a.variant, latencyMs), experiment: a.experiment, arm: a.arm, unit, correct: rng() < (candidate ? 0.95 : 0.87), costUsd: 0.01 * (0.9 + 0.2 * rng()) });
      }
      out.push(...manager.onBoundary('support', T0 + b * BUCKET, []));
    }
    return experiments(out).at(-1)!;
  }

  it('a slower pattern enhancement is promoted when it stays under the route latency limit and improves accuracy', () => {
    // p95 ≈ 5.2 s against a 6 s target (+ 20 % = 7.2 s limit).
    expect(enhancement(6000, { baseline: 1800, candidate: 3200 }, 11)).toMatchObject({ status: 'promoted' });
  });

  it('a pattern enhancement whose p95 would breach the route limit is rolled back (no enhance/simplify flip-flop)', () => {
    const ended = enhancement(2000, { baseline: 1200, candidate: 3200 }, 12);
    expect(ended.status).toBe('rolled_back');
    expect(ended.reason).toContain('latency ceiling');
  });

  it('token_optimization derives a compressed template with real token counts when the route has one', () => {
    const template = 'Please, I would like you to carefully read the following text. It is important to note that you should answer briefly.\n\nText: {{input}}';
    const manager = new ExperimentManager(parseConfig({ routes: { support: { variants: [{ name: 'cot-v1', pattern: 'chain_of_thought', template }] } } }));
    const started = experiments(manager.onBoundary('support', T0, [action({ kind: 'token_optimization', to: { variant: 'cot-v1~compressed', pattern: 'chain_of_thought', tier: 'standard', max_tokens: 1500 } })]))[0]!;
    const params = started['params'] as Record<string, unknown>;
    expect(params['template']).toContain('{{input}}');
    expect(params['tokens_after']).toBeLessThan(params['tokens_before'] as number);
    expect(params['token_saving_pct']).toBeGreaterThan(5);
    expect(params['max_tokens']).toBe(1500);
  });

  it('token_optimization: the record carries tokens before/after and what each transform saved; aggressive only from a compressed baseline', () => {
    const template = readFileSync('test/fixtures/prompts/code_review_guide.txt', 'utf8');
    const config = parseConfig({ routes: { review: { variants: [{ name: 'v1', template }] } } });
    const manager = new ExperimentManager(config);
    const to = { variant: 'v1~compressed', tier: 'standard', max_tokens: 1500 };
    const started = experiments(manager.onBoundary('review', T0, [action({ route: 'review', kind: 'token_optimization', from: { variant: 'v1' }, to })]))[0]!;
    const conservative = compressPrompt(template, { level: 'conservative' });
    expect(started['compression']).toEqual({
      level: 'conservative', tokens_before: conservative.tokensBefore, tokens_after: conservative.tokensAfter, saving_pct: conservative.savingPct,
      transforms: conservative.savings.map((s) => ({ name: s.name, tokens_saved: s.tokensSaved })),
    });
    expect((started['params'] as Record<string, unknown>)['template']).toBe(conservative.text);
    // After the conservative candidate is promoted, the next step compresses its template aggressively.
    manager.decideManually(started.id, 'promote', T0 + 1000);
    const next = new ExperimentManager(config);
    next.registry.register('review', { variant: 'v1~compressed', pattern: null, tier: 'standard', maxTokens: 1500, template: conservative.text, compression: null, source: 'action' });
    const aggressiveTo = { variant: 'v1~compressed-aggressive', tier: 'economy', max_tokens: 500 };
    const second = experiments(next.onBoundary('review', T0, [action({ id: 'a2', route: 'review', kind: 'token_optimization', from: { variant: 'v1~compressed' }, to: aggressiveTo })]))[0]!;
    const evidence = second['compression'] as { level: string; tokens_before: number; tokens_after: number };
    expect(evidence.level).toBe('aggressive');
    expect(evidence.tokens_before).toBe(conservative.tokensAfter);
    expect(evidence.tokens_after).toBeLessThan(evidence.tokens_before);
    expect(evidence.tokens_after / conservative.tokensBefore).toBeLessThanOrEqual(0.6);
  });
});
