import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, loadConfig, parseConfig, parseYaml } from '../../src/config/load.js';
import { ConfigSchema, targetsFor } from '../../src/config/schema.js';

const bad = (yaml: string): string => {
  try {
    parseConfig(parseYaml(yaml, 'f.yaml'), 'f.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'valid';
};

describe('config', () => {
  it('config/default.yaml spells out exactly the embedded defaults', () => {
    const file = parseConfig(parseYaml(readFileSync('config/default.yaml', 'utf8'), 'default.yaml'));
    expect(file).toEqual(ConfigSchema.parse({}));
  });

  it('config/default.yaml writes out every default key, durations as durations (npx tsx scripts/gen-default-config.ts)', async () => {
    const { renderDefaultConfig } = await import('../../src/config/defaultConfigFile.js');
    expect(readFileSync('config/default.yaml', 'utf8')).toBe(renderDefaultConfig());
  });

  it('carries the reference guide numbers', () => {
    const c = parseConfig({});
    expect(c.targets).toMatchObject({ latency_p95_ms: 2000, latency_p99_ms: 5000, cost_per_task_usd: 0.1, accuracy: 0.95, consistency: 0.9 });
    expect(c.abtest.gates).toEqual({ response_time_regression_pct: 10, token_efficiency_regression_pct: 5, quality_degradation_pct: 2, cost_increase_pct: 15 });
    expect(c.abtest.rollback).toEqual({ response_time_spike_pct: 50, error_rate_increase_points: 5, satisfaction_drop_pct: 10 });
    expect(Object.fromEntries(Object.entries(c.actions.budget_tiers).map(([k, v]) => [k, v.max_tokens]))).toEqual({ economy: 500, standard: 1500, premium: 4000, research: 8000 });
    expect(c.rules.map((r) => r.name)).toEqual([
      'response_time_warning', 'response_time_critical', 'accuracy_drop', 'consistency_drop',
      'performance_degradation', 'cost_threshold_breach', 'efficiency_drop', 'token_budget_per_request', 'quality_improvement_opportunity',
    ]);
    expect(c.budgets.cost).toMatchObject({ daily_limit_usd: 100, allocation: { production: 0.7, testing: 0.2, research: 0.1 } });
    expect(c.budgets.tokens).toEqual({ max_per_request: 4000, allocation: { system_prompt: 1500, user_context: 1500, examples: 500, instructions: 500 } });
    expect(c.budgets.response_time).toMatchObject({ total_ms: 5000, allocation: { prompt_processing: 2000, model_inference: 2500, post_processing: 500 } });
  });

  it('config/demo.yaml is valid', async () => {
    await expect(loadConfig('config/demo.yaml', {})).resolves.toBeDefined();
  });

  it.each([
    ['abtest: {gates: {cost_increase_pct: "x"}}', 'f.yaml: abtest.gates.cost_increase_pct: expected number'],
    ['servr: {}', "f.yaml: (root): unknown key 'servr'"],
    ['time: {bucket: 3x}', 'f.yaml: time.bucket: expected a duration'],
    ['time: {bucket: 7s, window: 1m}', 'f.yaml: time.window: window must be a whole multiple of bucket'],
    ['rules: [{name: Bad Name, metric: accuracy, op: lt, threshold: 1}]', 'f.yaml: rules[0].name: expected snake_case'],
    ["routes: {'': {}}", "f.yaml: routes.: invalid key: must not be empty"],
    ['notify: {receivers: [{name: a, type: webhook}]}', 'f.yaml: notify.receivers[0].url: required key is missing (expected string)'],
    // Every delivery to it failed until dead-lettered; the config was valid.
    ['notify: {receivers: [{name: a, type: webhook, url: "ftp://hooks.example.com/x"}]}', 'f.yaml: notify.receivers[0].url: expected an http:// or https:// URL (got "ftp://hooks.example.com/x")'],
    ['telemetry: {otlp: {traces_url: "collector:4318/v1/traces"}}', 'f.yaml: telemetry.otlp.traces_url: expected an http:// or https:// URL (got "collector:4318/v1/traces")'],
    ['routes: {a: {current: ""}}', 'f.yaml: routes.a.current: must not be empty'],
    ['rules: [{name: accuracy_drop, threshold: x}]', 'f.yaml: rules[0].threshold: expected a number, {target: <targets key>, margin_pct: m}, {baseline: true, margin_pct: m} or {budget: tokens_per_request, margin_pct: m}'],
    ['a: [', 'f.yaml: invalid YAML'],
    ['- a\n- b', 'f.yaml: (root): expected a mapping of config sections, got a list'],
    ['hello', 'f.yaml: (root): expected a mapping of config sections, got string'],
  ])('%s → one path-named line', (yaml, message) => {
    const text = bad(yaml);
    expect(text.startsWith(message)).toBe(true);
    expect(text).not.toContain('\n');
  });

  it('an unknown key is placed on its own line and column, also at the top level (it pointed at the parent mapping\'s first key, or nowhere)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-cfg-'));
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'abtest:\n  gates:\n    cost_increase_pct: 5\n    bogus: 1\nservr: {}\n');
    await expect(loadConfig(file, {})).rejects.toThrow(`${file}: abtest.gates: unknown key 'bogus' (line 4, column 5); (root): unknown key 'servr' (line 5, column 1)`);
  });

  it('validate-config reports in two rounds, as docs/configuration.md says: the keys\' own problems, then what spans sections', () => {
    const both = bad('abtest:\n  gates:\n    cost_increase_pct: -5\nroutes:\n  a:\n    variants:\n      - name: v1\n        tier: ultra\n');
    expect(both).toBe('f.yaml: abtest.gates.cost_increase_pct: must not be negative');
    expect(bad('routes:\n  a:\n    variants:\n      - name: v1\n        tier: ultra\n')).toContain("routes.a.variants[0].tier: unknown tier 'ultra'");
  });

  it('per-route target overrides apply only to that route', () => {
    const c = parseConfig({ routes: { fast: { targets: { latency_p95_ms: 800 } } } });
    expect(targetsFor(c, 'fast').latency_p95_ms).toBe(800);
    expect(targetsFor(c, 'fast').cost_per_task_usd).toBe(0.1);
    expect(targetsFor(c, 'other').latency_p95_ms).toBe(2000);
  });

  it('environment overrides win over the file', () => {
    const raw = applyEnvOverrides({ server: { port: 1 } }, {
      PROMPTPILOT_PORT: '9999', PROMPTPILOT_KAFKA_BROKERS: 'a:9092, b:9092', PROMPTPILOT_API_TOKEN: 't', PROMPTPILOT_LOG_LEVEL: 'debug', PROMPTPILOT_REDIS_URL: 'redis://x',
    });
    const c = parseConfig(raw);
    expect(c.server.port).toBe(9999);
    expect(c.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(c.server.api_token).toBe('t');
    expect(c.log.level).toBe('debug');
    expect(c.redis.url).toBe('redis://x');
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_PORT: 'abc' })).toThrow(/PROMPTPILOT_PORT/);
    expect(parseConfig(applyEnvOverrides({}, { PROMPTPILOT_PROBE_PORT: '4319' })).server.probe_port).toBe(4319);
    expect(parseConfig({}).server.probe_port).toBeUndefined();
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_PROBE_PORT: '70000' })).toThrow(/PROMPTPILOT_PROBE_PORT: expected a port number/);
    // a bad level names the variable, not a log.level the config file does not have
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_LOG_LEVEL: 'bogus' })).toThrow("PROMPTPILOT_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent (got 'bogus')");
  });

  it('a missing file is one clear line', async () => {
    await expect(loadConfig('nope.yaml', {})).rejects.toThrow('nope.yaml: cannot read config: file not found');
    // In the words replay, gate and compress use (it was Node's 'EISDIR: illegal operation on a directory, read').
    await expect(loadConfig('config', {})).rejects.toThrow(/^config: cannot read config: is a directory$/);
  });

  it('YAML merge keys work; an empty file is the defaults; a hex port is refused', () => {
    const withMerge = parseYaml('a: &a {accuracy: 0.9}\nb: {<<: *a, consistency: 0.8}\n', 'f.yaml') as Record<string, Record<string, number>>;
    expect(withMerge['b']).toEqual({ accuracy: 0.9, consistency: 0.8 });
    const routes = parseConfig(parseYaml('routes:\n  a: &r {targets: {latency_p95_ms: 800}}\n  b: {<<: *r, tier: economy}\n', 'f.yaml'));
    expect(routes.routes['b']?.targets.latency_p95_ms).toBe(800);
    expect(parseConfig(parseYaml('', 'f.yaml'))).toEqual(ConfigSchema.parse({}));
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_PORT: '0x1F90' })).toThrow(/PROMPTPILOT_PORT/);
  });

  it('is frozen', () => {
    const c = parseConfig({});
    expect(Object.isFrozen(c.targets)).toBe(true);
  });
});

describe('docs/configuration.md', () => {
  it('is generated from the schema and up to date (npx tsx scripts/gen-config-docs.ts)', async () => {
    const { renderConfigReference } = await import('../../src/config/configReference.js');
    expect(readFileSync('docs/configuration.md', 'utf8')).toBe(renderConfigReference());
  });

  it('gives every duration key its default, written as a duration', async () => {
    const { renderConfigReference } = await import('../../src/config/configReference.js');
    const row = (key: string): string => renderConfigReference().split('\n').find((line) => line.startsWith(`| \`${key}\` |`)) ?? '';
    expect(row('time.bucket')).toContain('| duration | `10s` |');
    expect(row('redis.lease')).toContain('| duration | `15s` |');
    expect(row('abtest.watch_after_promotion')).toContain('| duration | `1h` |');
    expect(row('rules[].keep_firing_for')).toContain('| duration | `1m` |');
    expect(row('notify.receivers[].timeout')).toContain('| duration | `10s` |');
  });
});
