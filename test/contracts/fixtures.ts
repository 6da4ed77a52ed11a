import type { DecisionRecord } from '../../src/core/decision.js';
import { validateEvent, type TelemetryEvent } from '../../src/core/event.js';

/** Shared inputs of the contract suites: every record type, floats that need rounding, non-ASCII text. */

const T0 = 1_700_000_000_000;

/** A trigger record for `route` at `T0 + offsetMs`. */
export function trigger(route: string, offsetMs: number, state: 'firing' | 'resolved' = 'firing'): DecisionRecord {
  return {
    type: 'trigger', ts: T0 + offsetMs, route, variant: 'v1', rule: 'response_time_warning', metric: 'latency_p95_ms',
    value: 3210.123456789012345, threshold: 3000, severity: 'warning', state,
    evidence: { window_ms: 300_000, window_start: T0 + offsetMs - 300_000, window_end: T0 + offsetMs, samples: 412, threshold_from: { kind: 'absolute' }, held_ms: 60_000 },
  };
}

/** An action record for `route`. */
export function action(route: string, offsetMs: number): DecisionRecord {
  return {
    type: 'action', ts: T0 + offsetMs, id: `act-${route}-${offsetMs}`, route, kind: 'pattern_simplification', rule: 'response_time_warning',
    from: { variant: 'v1', pattern: 'chain_of_thought' }, to: { variant: 'v2', pattern: 'few_shot', max_tokens: 512 },
    reason: 'p95 "latency" above 3 s — simplify ✂', evidence: { metric: 'latency_p95_ms', value: 0.1 + 0.2, threshold: 3000, samples: 400 },
  };
}

/** An experiment record for `route`. */
export function experiment(route: string, offsetMs: number): DecisionRecord {
  return {
    type: 'experiment', ts: T0 + offsetMs, id: `exp-${route}`, route, status: 'promoted',
    baseline: { variant: 'v1' }, candidate: { variant: 'v2', tier: 'small' }, reason: 'candidate cheaper, no quality loss',
    evidence: { cost_per_task_usd: { baseline: 0.0123, candidate: 0.0098, delta: -0.0025000000000000005, ci: [-0.003, -0.002], p: 0.0004, n: [1200, 1180] } },
  };
}

/** A mixed, interleaved set of records over two routes (one with a non-ASCII name). */
export function mixedRecords(): DecisionRecord[] {
  return [trigger('support', 0), action('support', 1_000), trigger('billing-é☕', 2_000), experiment('support', 3_000), trigger('billing-é☕', 4_000, 'resolved'), trigger('support', 5_000, 'resolved')];
}

/** A validated event (as receivers produce them); `i` makes `ts` unique. */
export function event(i: number, route: string, extra: Record<string, unknown> = {}): TelemetryEvent {
  const result = validateEvent({ ts: T0 + i, route, variant: 'v1', latency_ms: 100 + i, input_tokens: 10, output_tokens: 5, ...extra });
  if (!result.ok) throw new Error(`bad fixture: ${result.error.field} ${result.error.message}`);
  return result.event;
}

/** Events over three routes, interleaved, some with every optional field set. */
export function mixedEvents(count: number, from = 0): TelemetryEvent[] {
  const routes = ['support', 'billing', 'ünïcode-route'];
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const extra = i % 4 === 0
      ? { pattern: 'few_shot', cost_usd: 0.000123, model: 'gpt-x', quality: 0.75, correct: true, consistent: false, satisfaction: 0.5, error: 'timeout', experiment: 'exp-1', arm: 'candidate', unit: 'user-42', tier: 'small' }
      : {};
    return event(i, routes[i % routes.length] ?? 'support', extra);
  });
}

/** The items of `list` grouped by `keyOf`, each group in list order. */
export function groupInOrder<T>(list: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of list) {
    const k = keyOf(item);
    const group = groups.get(k) ?? [];
    group.push(item);
    groups.set(k, group);
  }
  return groups;
}
