import { describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/config/schema.js';
import type { TelemetryEvent } from '../../src/core/event.js';
import { validateEvent } from '../../src/core/event.js';
import { createSimulator, type ServeRequest } from '../../src/sim/index.js';

const START = Date.UTC(2025, 0, 1);
const MIN = 60_000;

function simConfig(extra: Record<string, unknown> = {}) {
  return ConfigSchema.parse({
    simulator: {
      enabled: true,
      seed: 7,
      routes: [
        { route: 'triage', variant: 'v1', pattern: 'chain_of_thought', rate_per_second: 10 },
        { route: 'faq', variant: 'v3', pattern: 'few_shot', model: 'gpt-4o', rate_per_second: 4 },
      ],
      ...extra,
    },
  }).simulator;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const ok = (events: TelemetryEvent[], route: string): TelemetryEvent[] => events.filter((e) => e.route === route && !e.isError);
const accuracy = (events: TelemetryEvent[]): number => events.filter((e) => e.correct === true).length / events.length;

describe('createSimulator', () => {
  it('is deterministic: same seed and config give identical events', () => {
    const a = createSimulator(simConfig(), START).eventsUntil(START + 5 * MIN);
    const b = createSimulator(simConfig(), START).eventsUntil(START + 5 * MIN);
    expect(a.length).toBeGreaterThan(3000);
    expect(a).toEqual(b);
    const other = createSimulator({ ...simConfig(), seed: 8 }, START).eventsUntil(START + 5 * MIN);
    expect(other).not.toEqual(a);
  });

  it('returns each event once, sorted, in (previous until, until], whatever the step size', () => {
    const whole = createSimulator(simConfig(), START).eventsUntil(START + 2 * MIN);
    const sim = createSimulator(simConfig(), START);
    const pieces: TelemetryEvent[] = [];
    let previous = START;
    for (let until = START + 777; until <= START + 2 * MIN; until += 777) {
      const batch = sim.eventsUntil(until);
      expect(batch.every((e) => e.ts > previous && e.ts <= until)).toBe(true);
      pieces.push(...batch);
      previous = until;
    }
    pieces.push(...sim.eventsUntil(START + 2 * MIN));
    expect(pieces).toEqual(whole);
    expect(whole.every((e, i) => i === 0 || whole[i - 1]!.ts <= e.ts)).toBe(true);
    expect(sim.eventsUntil(START + MIN)).toEqual([]);
  });

  it('emits valid wire-compatible events with the route, variant, pattern and model', () => {
    const events = createSimulator(simConfig(), START).eventsUntil(START + MIN);
    const faq = events.find((e) => e.route === 'faq');
    expect(faq).toMatchObject({ variant: 'v3', pattern: 'few_shot', model: 'gpt-4o' });
    expect(events.find((e) => e.route === 'triage')?.model).toBe('gpt-4o-mini');
    for (const e of events.slice(0, 200)) {
      const wire = {
        ts: e.ts, route: e.route, variant: e.variant, pattern: e.pattern, latency_ms: e.latencyMs,
        input_tokens: e.inputTokens, output_tokens: e.outputTokens, model: e.model, quality: e.quality,
        correct: e.correct, consistent: e.consistent, satisfaction: e.satisfaction, error: e.errorType ?? e.isError,
      };
      expect(validateEvent(JSON.parse(JSON.stringify(wire))).ok).toBe(true);
    }
  });

  it('arrives at rate_per_second of event time per route', () => {
    const events = createSimulator(simConfig(), START).eventsUntil(START + 20 * MIN);
    const seconds = 20 * 60;
    expect(events.filter((e) => e.route === 'triage').length / seconds).toBeCloseTo(10, 0);
    expect(Math.abs(events.filter((e) => e.route === 'faq').length / seconds - 4)).toBeLessThan(0.2);
  });

  it('applies a degradation inside its interval only', () => {
    const sim = simConfig({
      degradations: [{ route: 'triage', at: '2m', duration: '3m', latency_factor: 2, cost_factor: 1.5, accuracy_delta: -0.15, error_rate: 0.1 }],
    });
    const events = createSimulator(sim, START).eventsUntil(START + 8 * MIN);
    const inside = (e: TelemetryEvent): boolean => e.ts >= START + 2 * MIN && e.ts < START + 5 * MIN;
    const triage = events.filter((e) => e.route === 'triage');
    const [during, outside] = [triage.filter(inside), triage.filter((e) => !inside(e))];
    const okDuring = during.filter((e) => !e.isError);
    const okOutside = outside.filter((e) => !e.isError);
    expect(mean(okDuring.map((e) => e.latencyMs)) / mean(okOutside.map((e) => e.latencyMs))).toBeCloseTo(2, 0);
    expect(mean(okOutside.map((e) => e.latencyMs))).toBeGreaterThan(3000);
    expect(mean(okOutside.map((e) => e.latencyMs))).toBeLessThan(3400);
    const tokens = (xs: TelemetryEvent[]): number => mean(xs.map((e) => (e.inputTokens ?? 0) + (e.outputTokens ?? 0)));
    expect(tokens(okDuring) / tokens(okOutside)).toBeGreaterThan(1.4);
    expect(accuracy(okOutside) - accuracy(okDuring)).toBeGreaterThan(0.11);
    expect(during.filter((e) => e.isError).length / during.length).toBeGreaterThan(0.08);
    expect(outside.filter((e) => e.isError).length / outside.length).toBeLessThan(0.02);
    // the other route is untouched
    const faq = ok(events, 'faq');
    expect(mean(faq.filter(inside).map((e) => e.latencyMs)) / mean(faq.filter((e) => !inside(e)).map((e) => e.latencyMs))).toBeLessThan(1.15);
  });

  it('switches a route to a promoted pattern: characteristics follow, arrivals do not move', () => {
    const plain = createSimulator(simConfig(), START);
    const switched = createSimulator(simConfig(), START);
    const before = switched.eventsUntil(START + 5 * MIN);
    expect(before).toEqual(plain.eventsUntil(START + 5 * MIN));
    expect(switched.setServing('triage', { variant: 'v1-fs', pattern: 'few_shot' })).toBe(true);
    expect(switched.setServing('nope', { variant: 'x', pattern: 'few_shot' })).toBe(false);
    expect(switched.servingOf('triage')).toEqual({ variant: 'v1-fs', pattern: 'few_shot' });
    const afterAll = switched.eventsUntil(START + 15 * MIN);
    const unchangedAll = plain.eventsUntil(START + 15 * MIN);
    expect(afterAll.map((e) => `${e.route}@${e.ts}`)).toEqual(unchangedAll.map((e) => `${e.route}@${e.ts}`));
    expect(afterAll.filter((e) => e.route === 'faq')).toEqual(unchangedAll.filter((e) => e.route === 'faq'));
    const after = ok(afterAll, 'triage');
    const unchanged = ok(unchangedAll, 'triage');
    expect(after.every((e) => e.variant === 'v1-fs' && e.pattern === 'few_shot')).toBe(true);
    expect(Math.abs(mean(after.map((e) => e.latencyMs)) - 1800) / 1800).toBeLessThan(0.05);
    expect(Math.abs(mean(unchanged.map((e) => e.latencyMs)) - 3200) / 3200).toBeLessThan(0.05);
    expect(mean(after.map((e) => e.outputTokens ?? 0))).toBeLessThan(mean(unchanged.map((e) => e.outputTokens ?? 0)) * 0.5);
  });

  it('serves per call through the serve hook (closed loop with experiment arms)', () => {
    const requests: ServeRequest[] = [];
    const sim = createSimulator(simConfig(), START, {
      serve: (request) => {
        requests.push(request);
        if (request.route !== 'triage') return undefined;
        const candidate = Number(request.unit.slice(5)) % 2 === 0;
        return candidate
          ? { variant: 'v1-fs', pattern: 'few_shot', experiment: 'exp-1', arm: 'candidate' }
          : { ...request.current, experiment: 'exp-1', arm: 'baseline' };
      },
    });
    const events = sim.eventsUntil(START + 10 * MIN);
    expect(requests.length).toBe(events.length);
    expect(requests.every((r, i) => i === 0 || requests[i - 1]!.ts <= r.ts)).toBe(true);
    const triage = ok(events, 'triage');
    const candidate = triage.filter((e) => e.arm === 'candidate');
    const baseline = triage.filter((e) => e.arm === 'baseline');
    expect(candidate.length / triage.length).toBeGreaterThan(0.45);
    expect(candidate.every((e) => e.experiment === 'exp-1' && e.unit !== undefined && e.pattern === 'few_shot')).toBe(true);
    expect(mean(candidate.map((e) => e.latencyMs))).toBeLessThan(mean(baseline.map((e) => e.latencyMs)) * 0.7);
    expect(ok(events, 'faq').every((e) => e.experiment === undefined && e.unit === undefined)).toBe(true);
  });

  it('a stronger served pattern loses less accuracy under the same degradation', () => {
    const sim = simConfig({ degradations: [{ route: 'faq', at: 0, duration: '1h', accuracy_delta: -0.1 }] });
    const asConfigured = ok(createSimulator(sim, START).eventsUntil(START + 30 * MIN), 'faq');
    const enhanced = createSimulator(sim, START);
    enhanced.setServing('faq', { variant: 'v3-cot', pattern: 'chain_of_thought' });
    const stronger = ok(enhanced.eventsUntil(START + 30 * MIN), 'faq');
    expect(accuracy(asConfigured)).toBeLessThan(0.87);
    expect(accuracy(stronger)).toBeGreaterThan(accuracy(asConfigured) + 0.04);
  });
});
