import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseYamlDocument } from '../../src/config/load.js';
import { rulesFor } from '../../src/config/schema.js';
import { RouteDetector } from '../../src/detectors/index.js';
import { drive, triggers } from '../detectors/fixtures.js';

const load = (yaml: string) => {
  const { value, locate } = parseYamlDocument(yaml, 'f.yaml');
  return parseConfig(value, 'f.yaml', locate);
};
const problem = (yaml: string): string => {
  try {
    load(yaml);
  } catch (err) {
    return (err as Error).message;
  }
  return 'valid';
};
const DEFAULT_NAMES = parseConfig({}).rules.map((r) => r.name);

describe('user rules merge with the default rules by name', () => {
  it('a same-named entry replaces the keys it sets and keeps the rest; enabled: false switches it off; a new name adds', () => {
    const c = load(`rules:
  - {name: accuracy_drop, threshold: 0.85}
  - {name: consistency_drop, enabled: false}
  - {name: error_spike, metric: error_rate, op: gt, threshold: 0.1, for: 2m}
`);
    expect(c.rules.map((r) => r.name)).toEqual([...DEFAULT_NAMES, 'error_spike']);
    expect(c.rules.find((r) => r.name === 'accuracy_drop')).toMatchObject({ threshold: 0.85, for: 60_000, hysteresis_pct: 1, metric: 'accuracy', op: 'lt' });
    expect(c.rules.find((r) => r.name === 'consistency_drop')?.enabled).toBe(false);
    expect(c.rules.find((r) => r.name === 'error_spike')).toMatchObject({ metric: 'error_rate', threshold: 0.1, for: 120_000, confidence: 0.99 });
  });

  it('an old file listing whole rules stays valid and no longer drops the defaults it does not list', () => {
    const c = load(`rules:
  - {name: response_time_warning, metric: latency_p95_ms, op: gt, threshold: 3000, for: 1m, severity: warning}
  - {name: slow_p99, metric: latency_p99_ms, op: gt, threshold: 10000}
`);
    expect(c.rules.map((r) => r.name)).toEqual([...DEFAULT_NAMES, 'slow_p99']);
    expect(c.rules[0]).toMatchObject({ name: 'response_time_warning', threshold: 3000 });
  });

  it('the shipped files parse to the embedded defaults', () => {
    expect(load(readFileSync('config/default.yaml', 'utf8'))).toEqual(parseConfig({}));
    expect(() => load(readFileSync('config/demo.yaml', 'utf8'))).not.toThrow();
  });

  it('maps merge by key: one more price or tier keeps the built-in ones', () => {
    const c = load('prices: {my-model: {input_per_mtok: 1, output_per_mtok: 2}}\nactions: {budget_tiers: {gold: {max_tokens: 2000, pattern: few_shot}}}\n');
    expect(c.prices['my-model']).toEqual({ input_per_mtok: 1, output_per_mtok: 2 });
    expect(c.prices['gpt-4o']).toBeDefined();
    expect(Object.keys(c.actions.budget_tiers)).toEqual(['economy', 'standard', 'premium', 'research', 'gold']);
  });

  it('the stage allocation and the forecast metrics replace their default as a whole: they say which stages and metrics there are', () => {
    const c = load('budgets: {response_time: {allocation: {model_inference: 3000}}}\nmonitoring: {predictive_degradation: {metrics: {error_rate: 0.1}}}\n');
    expect(c.budgets.response_time.allocation).toEqual({ model_inference: 3000 });
    expect(c.monitoring.predictive_degradation.metrics).toEqual({ error_rate: 0.1 });
  });
});

describe('rules per route', () => {
  it('routes.<route>.rules changes a rule on that route only', () => {
    const c = load(`routes:
  search:
    rules:
      response_time_warning: {threshold: 9000}
      accuracy_drop: {enabled: false}
`);
    expect(rulesFor(c, 'search').find((r) => r.name === 'response_time_warning')).toMatchObject({ threshold: 9000, for: 60_000, severity: 'warning' });
    expect(rulesFor(c, 'search').find((r) => r.name === 'accuracy_drop')?.enabled).toBe(false);
    expect(rulesFor(c, 'other')).toBe(c.rules);
  });

  it('a 5 s p95 fires the warning on a route with the default 2 s target, not on one with a 6 s target or its own threshold', () => {
    const c = load(`routes:
  slow: {targets: {latency_p95_ms: 6000}}
  tuned: {rules: {response_time_warning: {threshold: 7000}, performance_degradation: {enabled: false}}}
`);
    const fired = (route: string) => {
      const emitted = drive(new RouteDetector(c), [{ durationMs: 5 * 60_000, knobs: { route, p95: 5000 } }]);
      return triggers(emitted, 'response_time_warning').map((t) => t.record.threshold);
    };
    expect(fired('plain')).toEqual([3000]);
    expect(fired('slow')).toEqual([]);
    expect(fired('tuned')).toEqual([]);
  });
});

describe('validate-config names every problem in plain words, with its path and place', () => {
  it.each([
    ['rules:\n  - {name: accuracy_drop, threshold: 0.85}\n  - {name: accuracy_drop, enabled: false}\n', "rules[1].name: duplicate rule name 'accuracy_drop' (rules[0] has it too) (line 3, column"],
    ['routes:\n  faq:\n    tier: gold\n', "routes.faq.tier: unknown tier 'gold' (actions.budget_tiers has economy, standard, premium, research) (line 3, column 11)"],
    ['routes:\n  faq:\n    variants: [{name: v1, tier: platinum}]\n', "routes.faq.variants[0].tier: unknown tier 'platinum'"],
    ['actions: {default_tier: gold}\n', "actions.default_tier: unknown tier 'gold'"],
    ['abtest:\n  ramp: [0.1, 0.5, 0.25]\n', 'abtest.ramp[2]: ramp shares must increase step by step (0.25 comes after 0.5) (line 2, column 20)'],
    ['routes:\n  faq:\n    current: v9\n    variants: [{name: v1}, {name: v2}]\n', "routes.faq.current: 'v9' is not one of the route's variants (v1, v2) (line 3, column 14)"],
    ['time: {bucket: -5s}\n', "time.bucket: durations cannot be negative (got '-5s') (line 1, column 16)"],
    ['rules:\n  - {name: accuracy_drop, for: -1000}\n', 'rules[0].for: durations cannot be negative (got -1000)'],
    ['rules:\n  - {name: my_rule, metric: accuracy}\n', "rules[0]: 'my_rule' is not a default rule, so it needs op, threshold"],
    ['rules:\n  - {name: accuracy_drop, op: sometimes}\n', 'rules[0].op: expected one of gt, lt'],
    ['routes:\n  faq:\n    rules: {nope: {threshold: 1}}\n', "routes.faq.rules.nope: no rule named 'nope'"],
    ['routes:\n  faq:\n    rules: {accuracy_drop: {metric: latency_p95_ms}}\n', "routes.faq.rules.accuracy_drop.metric: a route may change a rule's threshold, timing or severity, not its metric"],
    ['routes:\n  faq:\n    rules: {accuracy_drop: {threshold: high}}\n', 'routes.faq.rules.accuracy_drop.threshold: expected a number'],
    ['time:\n  bucket: 10s\n   window: 5m\n', 'f.yaml: invalid YAML at line 2, column 11: Nested mappings are not allowed'],
    ['a: 1\na: 2\n', 'f.yaml: invalid YAML at line 2, column 1: Map keys must be unique'],
  ])('%j', (yaml, message) => {
    const text = problem(yaml);
    expect(text).toContain(message);
    expect(text).not.toContain('\n');
  });
});
