import { describe, expect, it } from 'vitest';
import { cooldownAfterExperiment, RouteCooldowns } from '../../src/actions/routeCooldown.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { RouteDetector, type DetectorMemory } from '../../src/detectors/index.js';
import { actions, config, drive, stats, T0, triggers, type Emitted, type StatsKnobs } from './fixtures.js';

const HEALTHY: StatsKnobs = {};

interface DefaultRuleCase {
  readonly rule: string;
  readonly breach: StatsKnobs;
  readonly forMs: number;
  readonly threshold: number;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly warmupMs: number;
  readonly action?: string;
}

const DEFAULT_RULES: readonly DefaultRuleCase[] = [
  { rule: 'response_time_warning', breach: { p95: 3500 }, forMs: 60_000, threshold: 3000, severity: 'warning', warmupMs: 60_000 },
  { rule: 'response_time_critical', breach: { p95: 9000 }, forMs: 60_000, threshold: 8000, severity: 'critical', warmupMs: 60_000 },
  { rule: 'accuracy_drop', breach: { accuracy: 0.8 }, forMs: 60_000, threshold: 0.9, severity: 'warning', warmupMs: 60_000 },
  { rule: 'consistency_drop', breach: { consistency: 0.8 }, forMs: 60_000, threshold: 0.85, severity: 'warning', warmupMs: 60_000 },
  { rule: 'performance_degradation', breach: { p95: 2500 }, forMs: 120_000, threshold: 2400, severity: 'warning', warmupMs: 60_000, action: 'pattern_simplification' },
  { rule: 'cost_threshold_breach', breach: { costUsd: 0.13 }, forMs: 120_000, threshold: 0.125, severity: 'warning', warmupMs: 60_000, action: 'token_optimization' },
  // Baseline needs 500 distinct events: 100 in the first window, then 100 × 10 s / 5 min per evaluation.
  { rule: 'efficiency_drop', breach: { tokensPerQualityPoint: 70 }, forMs: 300_000, threshold: 60, severity: 'info', warmupMs: 25 * 60_000, action: 'token_optimization' },
  { rule: 'quality_improvement_opportunity', breach: { accuracy: 0.93 }, forMs: 240_000, threshold: 0.95, severity: 'info', warmupMs: 60_000, action: 'pattern_enhancement' },
];

describe('RouteDetector with the default rules', () => {
  it.each(DEFAULT_RULES)('$rule fires once, exactly `for` after the condition starts', (c) => {
    const detector = new RouteDetector(config());
    const emitted = drive(detector, [
      { durationMs: c.warmupMs, knobs: HEALTHY },
      { durationMs: c.forMs + 120_000, knobs: c.breach },
    ]);
    expect(emitted.filter((e) => e.atMs <= c.warmupMs)).toEqual([]);
    const fired = triggers(emitted, c.rule);
    expect(fired).toHaveLength(1);
    const breachStartMs = c.warmupMs + 10_000;
    expect(fired[0]!.atMs).toBe(breachStartMs + c.forMs);
    const record = fired[0]!.record;
    expect(record).toMatchObject({ state: 'firing', severity: c.severity, route: 'support', variant: 'v1', ts: T0 + breachStartMs + c.forMs });
    expect(record.threshold).toBeCloseTo(c.threshold, 9);
    expect(record.evidence.held_ms).toBe(c.forMs);
    expect(record.evidence.samples).toBe(100);
    expect(record.evidence.window_ms).toBe(300_000);
    if (c.action !== undefined) {
      const planned = actions(emitted).filter((a) => a.record.rule === c.rule);
      expect(planned.map((a) => a.record.kind)).toEqual([c.action]);
      expect(planned[0]!.atMs).toBe(fired[0]!.atMs);
    }
  });

  it.each(DEFAULT_RULES)('$rule fires and resolves at the same boundaries when unchanged windows are flagged as such', (c) => {
    const phases = [
      { durationMs: c.warmupMs, knobs: HEALTHY },
      { durationMs: c.forMs + 120_000, knobs: c.breach },
      { durationMs: 1_800_000, knobs: HEALTHY },
    ];
    const judgedEveryTime = drive(new RouteDetector(config()), phases);
    // The same windows, each one after the first of a phase flagged unchanged (same values, later bounds).
    const detector = new RouteDetector(config());
    const flagged: typeof judgedEveryTime = [];
    let offset = 0;
    for (const phase of phases) {
      for (let at = offset + 10_000; at <= offset + phase.durationMs; at += 10_000) {
        const unchanged = at > offset + 10_000;
        for (const record of detector.evaluate(stats(T0 + at, phase.knobs), T0 + at, { unchanged })) flagged.push({ atMs: at, record });
      }
      offset += phase.durationMs;
    }
    expect(triggers(judgedEveryTime, c.rule).map((t) => t.record.state)).toEqual(['firing', 'resolved']);
    expect(flagged).toEqual(judgedEveryTime);
  });

  it.each(DEFAULT_RULES)('$rule does not fire for a blip shorter than `for`', (c) => {
    const detector = new RouteDetector(config());
    const emitted = drive(detector, [
      { durationMs: c.warmupMs, knobs: HEALTHY },
      { durationMs: c.forMs - 10_000, knobs: c.breach },
      { durationMs: 600_000, knobs: HEALTHY },
      { durationMs: c.forMs - 10_000, knobs: c.breach },
      { durationMs: 60_000, knobs: HEALTHY },
    ]);
    expect(triggers(emitted, c.rule)).toEqual([]);
  });
});

describe('RouteDetector lifecycle', () => {
  const PERF = 'performance_degradation';

  it('hysteresis: a value hovering around the threshold fires once and does not resolve', () => {
    const detector = new RouteDetector(config());
    const hover = Array.from({ length: 60 }, (_, i) => ({ durationMs: 10_000, knobs: { p95: i % 2 === 0 ? 2350 : 2450 } }));
    const emitted = drive(detector, [{ durationMs: 130_000, knobs: { p95: 2500 } }, ...hover]);
    expect(triggers(emitted, PERF).map((t) => t.record.state)).toEqual(['firing']);
    expect(detector.ruleState('support', 'v1', PERF).phase).toBe('firing');
  });

  it('resolves once the value is clear by the hysteresis band for keep_firing_for', () => {
    const detector = new RouteDetector(config());
    const emitted = drive(detector, [
      { durationMs: 130_000, knobs: { p95: 2500 } }, // fires at 130 s
      { durationMs: 30_000, knobs: { p95: 2300 } }, // below 2400 but not below 2280: not clear
      { durationMs: 120_000, knobs: { p95: 2000 } }, // clear from 170 s
    ]);
    const fired = triggers(emitted, PERF);
    expect(fired.map((t) => [t.record.state, t.atMs])).toEqual([
      ['firing', 130_000],
      ['resolved', 170_000 + 60_000],
    ]);
    expect(fired[1]!.record.evidence.held_ms).toBe(60_000);
    expect(fired[1]!.record.value).toBe(2000);
  });

  it('a breach inside keep_firing_for restarts the clear stretch', () => {
    const detector = new RouteDetector(config());
    const emitted = drive(detector, [
      { durationMs: 130_000, knobs: { p95: 2500 } },
      { durationMs: 50_000, knobs: { p95: 2000 } },
      { durationMs: 10_000, knobs: { p95: 2500 } },
      { durationMs: 90_000, knobs: { p95: 2000 } }, // clear again from 200 s
    ]);
    expect(triggers(emitted, PERF).map((t) => [t.record.state, t.atMs])).toEqual([
      ['firing', 130_000],
      ['resolved', 260_000],
    ]);
  });

  it('fires again in a new episode after resolving, with a new action id once the cooldown has passed', () => {
    const detector = new RouteDetector(config());
    const episode = [
      { durationMs: 130_000, knobs: { p95: 2500 } },
      { durationMs: 70_000, knobs: { p95: 2000 } },
    ];
    const first = drive(detector, episode);
    const second = drive(detector, [{ durationMs: 1_800_000, knobs: HEALTHY }, ...episode], 200_000);
    expect(triggers([...first, ...second], PERF).map((t) => t.record.state)).toEqual(['firing', 'resolved', 'firing', 'resolved']);
    const ids = actions([...first, ...second]).map((a) => a.record.id);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);
  });

  it('min_samples: too few samples neither fire nor resolve', () => {
    const detector = new RouteDetector(config());
    const starved = drive(detector, [{ durationMs: 600_000, knobs: { p95: 9000, count: 29 } }]);
    expect(starved).toEqual([]);
    const accuracy = drive(detector, [{ durationMs: 600_000, knobs: { accuracy: 0.5, accuracyCount: 10 } }], 600_000);
    expect(accuracy).toEqual([]);

    const firing = new RouteDetector(config());
    const emitted = drive(firing, [
      { durationMs: 130_000, knobs: { p95: 2500 } },
      { durationMs: 600_000, knobs: { p95: 1000, count: 5 } },
    ]);
    expect(triggers(emitted, PERF).map((t) => t.record.state)).toEqual(['firing']);
  });

  it('a window without data keeps a pending rule pending; a gap longer than the window restarts the hold', () => {
    const short = new RouteDetector(config());
    const withShortGap = drive(short, [
      { durationMs: 60_000, knobs: { p95: 2500 } },
      { durationMs: 30_000, knobs: { p95: null, count: 0 } },
      { durationMs: 40_000, knobs: { p95: 2500 } },
    ]);
    expect(triggers(withShortGap, PERF).map((t) => t.atMs)).toEqual([130_000]);

    const long = new RouteDetector(config());
    const withLongGap = drive(long, [
      { durationMs: 60_000, knobs: { p95: 2500 } },
      { durationMs: 400_000, knobs: { p95: null, count: 0 } },
      { durationMs: 130_000, knobs: { p95: 2500 } },
    ]);
    expect(triggers(withLongGap, PERF).map((t) => t.atMs)).toEqual([460_000 + 10_000 + 120_000]);
  });

  it('uses per-route target overrides', () => {
    const detector = new RouteDetector(config({ routes: { fast: { targets: { latency_p95_ms: 1000 } } } }));
    const fast = drive(detector, [{ durationMs: 200_000, knobs: { route: 'fast', p95: 1300 } }]);
    const slow = drive(detector, [{ durationMs: 200_000, knobs: { route: 'other', p95: 1300 } }]);
    const fired = triggers(fast, PERF);
    expect(fired).toHaveLength(1);
    expect(fired[0]!.record.threshold).toBeCloseTo(1200, 9);
    expect(fired[0]!.record.evidence.threshold_from).toEqual({ kind: 'target', target: 'latency_p95_ms', reference: 1000, margin_pct: 20 });
    expect(slow).toEqual([]);
  });

  it('baseline rules wait for baseline.min_samples and freeze the baseline while firing', () => {
    const cfg = config({ baseline: { half_life: '10m', min_samples: 200 } });
    const detector = new RouteDetector(cfg);
    // 100 events in the first window, then ~3.3 new ones per 10 s evaluation: 200 after ~5 min.
    const early = drive(detector, [{ durationMs: 60_000, knobs: { tokensPerQualityPoint: 50 } }]);
    expect(early).toEqual([]);
    expect(detector.baselineOf('support', 'v1', 'tokens_per_quality_point')!.samples).toBeLessThan(200);
    const warmed = drive(detector, [{ durationMs: 540_000, knobs: { tokensPerQualityPoint: 50 } }], 60_000);
    expect(warmed).toEqual([]);
    expect(detector.baselineOf('support', 'v1', 'tokens_per_quality_point')!.mean).toBeCloseTo(50, 9);

    // Drift to 70 and stay there for an hour (six half-lives): still firing against the old normal.
    const drift = drive(detector, [{ durationMs: 3_600_000, knobs: { tokensPerQualityPoint: 70 } }], 600_000);
    const fired = triggers(drift, 'efficiency_drop');
    expect(fired.map((t) => [t.record.state, t.atMs])).toEqual([['firing', 610_000 + 300_000]]);
    const from = fired[0]!.record.evidence.threshold_from;
    expect(from).toMatchObject({ kind: 'baseline', margin_pct: 20 });
    expect(from.kind === 'baseline' ? from.reference : NaN).toBeCloseTo(50, 9);
    expect(from.kind === 'baseline' ? from.baseline_samples : NaN).toBeGreaterThanOrEqual(200);
    expect(detector.baselineOf('support', 'v1', 'tokens_per_quality_point')!.mean).toBeCloseTo(50, 9);
    expect(detector.ruleState('support', 'v1', 'efficiency_drop').phase).toBe('firing');
  });

  it('a baseline rule cannot fire before its baseline has min_samples: early data is learned, not judged', () => {
    const detector = new RouteDetector(config({ baseline: { half_life: '10m', min_samples: 200 } }));
    const emitted = drive(detector, [
      { durationMs: 60_000, knobs: { tokensPerQualityPoint: 50 } },
      { durationMs: 900_000, knobs: { tokensPerQualityPoint: 70 } },
    ]);
    expect(triggers(emitted, 'efficiency_drop')).toEqual([]);
  });

  it('plans at most one action per route within the cooldown, rules in config order, trigger before action', () => {
    const detector = new RouteDetector(config());
    // Cost and accuracy both degrade on the same route at the same moment.
    const emitted = drive(detector, [{ durationMs: 400_000, knobs: { costUsd: 0.2, accuracy: 0.93 } }]);
    const kinds = emitted.map((e) => `${e.record.type}:${'rule' in e.record ? e.record.rule : ''}`);
    expect(kinds).toEqual([
      'trigger:cost_threshold_breach',
      'action:cost_threshold_breach',
      'trigger:quality_improvement_opportunity',
      'action:quality_improvement_opportunity',
    ]);
    const second = triggers(emitted, 'quality_improvement_opportunity')[0]!.record;
    expect(second.evidence.action).toBeUndefined();
    // The second rule's action is not silently dropped: a skipped record says why, once.
    expect(emitted[3]!.record).toMatchObject({ type: 'action', status: 'skipped', reason_code: 'cooldown', kind: 'pattern_enhancement' });
  });

  it('is deterministic: the same evaluations give identical records', () => {
    const run = () => drive(new RouteDetector(config()), [{ durationMs: 200_000, knobs: { p95: 2500, costUsd: 0.3 } }]);
    expect(run()).toEqual(run());
  });

  it('keeps variants of a route apart but shares the route cooldown', () => {
    const detector = new RouteDetector(config());
    const out = [];
    for (let at = 10_000; at <= 200_000; at += 10_000) {
      out.push(...detector.evaluate(stats(T0 + at, { variant: 'a', p95: 2500 }), T0 + at));
      out.push(...detector.evaluate(stats(T0 + at, { variant: 'b', p95: 2500 }), T0 + at));
    }
    const perf = out.filter((r) => r.type === 'trigger' && r.rule === PERF);
    expect(perf.map((r) => (r.type === 'trigger' ? r.variant : ''))).toEqual(['a', 'b']);
    expect(out.filter((r) => r.type === 'action' && r.status !== 'skipped').map((r) => (r.type === 'action' ? r.from?.variant : ''))).toEqual(['a']);
    // b's episode asked for an action too: it is a skipped record, not silence.
    expect(out.filter((r) => r.type === 'action' && r.status === 'skipped')).toMatchObject([{ variant: 'b', reason_code: 'cooldown', rule: PERF }]);
  });
});

describe('RouteDetector memory: by rule name, across reconfigures and checkpoints', () => {
  const PERF = 'performance_degradation';

  it('a rule keeps its state when the rules around it change, and gets it back after being switched off and on', () => {
    const detector = new RouteDetector(config());
    const first = drive(detector, [{ durationMs: 130_000, knobs: { p95: 2500 } }]); // fires at 130 s
    // Rules before it switched off: its position in the plan moves.
    detector.reconfigure(config({ rules: [{ name: 'response_time_warning', enabled: false }, { name: 'accuracy_drop', enabled: false }] }));
    expect(detector.ruleState('support', 'v1', PERF).phase).toBe('firing');
    const middle = drive(detector, [{ durationMs: 10_000, knobs: { p95: 2500 } }], 130_000);
    // Switched off: not judged, its memory kept aside; switched on again: it carries on.
    detector.reconfigure(config({ rules: [{ name: PERF, enabled: false }] }));
    expect(drive(detector, [{ durationMs: 10_000, knobs: { p95: 2500 } }], 140_000)).toEqual([]);
    expect(detector.ruleStatuses('support', 'v1').map((s) => s.rule)).not.toContain(PERF);
    detector.reconfigure(config());
    expect(detector.ruleState('support', 'v1', PERF).phase).toBe('firing');
    // Clear from 160 s on: resolved keep_firing_for (60 s) later, as one episode.
    const rest = drive(detector, [{ durationMs: 100_000, knobs: { p95: 2000 } }], 150_000);
    expect(triggers([...first, ...middle, ...rest], PERF).map((t) => [t.record.state, t.atMs])).toEqual([
      ['firing', 130_000],
      ['resolved', 220_000],
    ]);
  });

  it('a baseline follows its metric when the baseline rules change, and comes back with them', () => {
    const cfg = config({ baseline: { half_life: '10m', min_samples: 200 } });
    const detector = new RouteDetector(cfg);
    drive(detector, [{ durationMs: 600_000, knobs: { tokensPerQualityPoint: 50 } }]);
    const learned = detector.baselineOf('support', 'v1', 'tokens_per_quality_point');
    expect(learned).not.toBeNull();
    // Another metric gets a baseline rule first: the variant's baselines are laid out again.
    detector.reconfigure(config({ baseline: { half_life: '10m', min_samples: 200 }, rules: [{ name: 'cost_vs_usual', metric: 'cost_per_task_usd', op: 'gt', threshold: { baseline: true, margin_pct: 50 } }] }));
    drive(detector, [{ durationMs: 10_000, knobs: { tokensPerQualityPoint: 50 } }], 600_000);
    expect(detector.baselineOf('support', 'v1', 'cost_per_task_usd')?.mean).toBeCloseTo(0.05, 12);
    const moved = detector.baselineOf('support', 'v1', 'tokens_per_quality_point')!;
    expect(moved.lastWindowEndMs).toBe(T0 + 610_000);
    expect(moved.samples).toBeGreaterThan(learned!.samples);
    // No rule watches it any more: kept aside as it is, and learning again once a rule does.
    detector.reconfigure(config({ baseline: { half_life: '10m', min_samples: 200 }, rules: [{ name: 'efficiency_drop', enabled: false }] }));
    drive(detector, [{ durationMs: 10_000, knobs: { tokensPerQualityPoint: 50 } }], 610_000);
    expect(detector.baselineOf('support', 'v1', 'tokens_per_quality_point')).toEqual(moved);
    expect(detector.exportRoute('support')!.variants[0]![1].baselines.map(([metric]) => metric)).toEqual(['cost_per_task_usd', 'tokens_per_quality_point']);
    detector.reconfigure(cfg);
    drive(detector, [{ durationMs: 10_000, knobs: { tokensPerQualityPoint: 50 } }], 620_000);
    expect(detector.baselineOf('support', 'v1', 'tokens_per_quality_point')!.lastWindowEndMs).toBe(T0 + 630_000);
  });

  it('a memory handed back from the previous judgement decides as a lookup; a stale one (restored over, reconfigured) is refused', () => {
    const PHASES = [
      { durationMs: 130_000, knobs: { p95: 2500 } },
      { durationMs: 120_000, knobs: { p95: 2000 } },
    ];
    const looked = drive(new RouteDetector(config()), PHASES);
    const detector = new RouteDetector(config());
    const held: Emitted[] = [];
    let memory: DetectorMemory | null = null;
    let snapshot: ReturnType<RouteDetector['exportRoute']> = null;
    for (let at = 10_000; at <= 250_000; at += 10_000) {
      const knobs = at <= 130_000 ? PHASES[0]!.knobs : PHASES[1]!.knobs;
      if (at === 100_000) snapshot = detector.exportRoute('support');
      // Restored over at 140 s (to its state at 100 s: pending, not firing) and reconfigured at 180 s.
      if (at === 140_000) detector.importRoute('support', snapshot);
      if (at === 180_000) detector.reconfigure(config());
      const out: DecisionRecord[] = [];
      memory = detector.evaluateInto(out, stats(T0 + at, knobs), T0 + at, { memory });
      for (const record of out) held.push({ atMs: at, record });
    }
    const perf = (emitted: Emitted[]) => triggers(emitted, PERF).map((t) => [t.record.state, t.atMs]);
    expect(perf(looked)).toEqual([['firing', 130_000], ['resolved', 200_000]]);
    // The restore took the rule back to pending (its state at 100 s), which the healthy window at 140 s ends
    // silently: no resolve follows (the memory held from 130 s, firing, would have resolved at 200 s).
    expect(perf(held)).toEqual([['firing', 130_000]]);
    expect(detector.ruleState('support', 'v1', PERF).phase).toBe('inactive');
  });

  it('a checkpoint carries rule states, detections and baselines: the restored detector decides as the original', () => {
    const cfg = config({ baseline: { half_life: '10m', min_samples: 200 } });
    const phases = [
      { durationMs: 600_000, knobs: { tokensPerQualityPoint: 50 } },
      { durationMs: 130_000, knobs: { p95: 2500, tokensPerQualityPoint: 50 } },
    ];
    const cooldowns = new RouteCooldowns();
    const original = new RouteDetector(cfg, undefined, cooldowns);
    drive(original, phases);
    // The route's cooldown is in its control state, restored apart.
    const restoredCooldowns = new RouteCooldowns();
    restoredCooldowns.replace('support', cooldowns.get('support'));
    const restored = new RouteDetector(cfg, undefined, restoredCooldowns);
    restored.importRoute('support', JSON.parse(JSON.stringify(original.exportRoute('support'))) as Parameters<RouteDetector['importRoute']>[1]);
    expect(restored.exportRoute('support')).toEqual(original.exportRoute('support'));
    expect(restored.ruleStatuses('support', 'v1')).toEqual(original.ruleStatuses('support', 'v1'));
    expect(restored.baselineOf('support', 'v1', 'tokens_per_quality_point')).toEqual(original.baselineOf('support', 'v1', 'tokens_per_quality_point'));
    const after = [{ durationMs: 1_200_000, knobs: { p95: 2000, tokensPerQualityPoint: 70 } }];
    expect(drive(restored, after, 730_000)).toEqual(drive(original, after, 730_000));
    expect(restored.retire('support', 'v1', T0 + 2_000_000)).toEqual(original.retire('support', 'v1', T0 + 2_000_000));
  });
});

describe('RouteDetector: the shared route cooldown', () => {
  it('a cooldown started elsewhere (an experiment ended) holds the planner, and its skip names the experiment', () => {
    const cooldowns = new RouteCooldowns();
    cooldowns.start('support', cooldownAfterExperiment('exp-1', T0, 3_600_000));
    const detector = new RouteDetector(config(), undefined, cooldowns);
    const emitted = drive(detector, [{ durationMs: 200_000, knobs: { p95: 2500 } }]);
    expect(triggers(emitted, 'performance_degradation').map((t) => t.record.state)).toEqual(['firing']);
    expect(actions(emitted).map((a) => a.record)).toMatchObject([
      { status: 'skipped', reason_code: 'cooldown', reason: `cooldown until ${new Date(T0 + 3_600_000).toISOString()} after experiment exp-1 (abtest.cooldown)` },
    ]);
  });

  it('a planned action starts the cooldown in the shared store', () => {
    const cooldowns = new RouteCooldowns();
    const detector = new RouteDetector(config(), undefined, cooldowns);
    const planned = actions(drive(detector, [{ durationMs: 200_000, knobs: { p95: 2500 } }])).map((a) => a.record);
    expect(planned).toHaveLength(1);
    expect(cooldowns.get('support')).toEqual({ untilMs: planned[0]!.ts + 1_800_000, after: 'action', id: planned[0]!.id, sinceMs: planned[0]!.ts });
    expect(cooldowns.takeChanged()).toEqual(['support']);
  });
});
