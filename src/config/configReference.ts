import { z } from 'zod';
import { formatDurationMs } from './duration.js';
import { RuleSchema } from './ruleSchema.js';
import { ConfigSchema } from './schema.js';

interface JsonSchema {
  type?: string | string[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: JsonSchema | boolean;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
}

/** The bounds a number must keep, as `(≥ 0, < 1)`; bounds zod adds to every integer (±2^53 − 1) say nothing and are left out. */
function rangeOf(s: JsonSchema): string {
  const bounds: string[] = [];
  if (s.exclusiveMinimum !== undefined) bounds.push(`> ${s.exclusiveMinimum}`);
  else if (s.minimum !== undefined && s.minimum !== Number.MIN_SAFE_INTEGER) bounds.push(`≥ ${s.minimum}`);
  if (s.exclusiveMaximum !== undefined) bounds.push(`< ${s.exclusiveMaximum}`);
  else if (s.maximum !== undefined && s.maximum !== Number.MAX_SAFE_INTEGER) bounds.push(`≤ ${s.maximum}`);
  return bounds.length === 0 ? '' : ` (${bounds.join(', ')})`;
}

/** A duration (`'30s'` or milliseconds): the only config values whose input is a number or a string. */
function isDuration(s: JsonSchema): boolean {
  return Array.isArray(s.type) && s.type.length === 2 && s.type.includes('number') && s.type.includes('string');
}

function typeOf(s: JsonSchema): string {
  if (isDuration(s)) return 'duration';
  if (s.enum) return s.enum.map((v) => `\`${String(v)}\``).join(' \\| ');
  if (s.const !== undefined) return `\`${String(s.const)}\``;
  if (s.anyOf) return s.anyOf.map((a) => typeOf(a)).join(' \\| ');
  if (s.type === 'array') return `list of ${s.items ? typeOf(s.items) : 'any'}`;
  if (s.type === 'object' && s.additionalProperties && typeof s.additionalProperties === 'object') return 'map';
  const t = Array.isArray(s.type) ? s.type.join('/') : (s.type ?? 'any');
  return t + rangeOf(s);
}

function formatDefault(value: unknown, duration: boolean): string {
  if (value === undefined) return '';
  if (typeof value === 'number' && duration) return `\`${formatDurationMs(value)}\``;
  const text = JSON.stringify(value);
  return text.length > 60 ? '(see config/default.yaml)' : `\`${text}\``;
}

interface ConfigKey {
  readonly path: string;
  /** The last segment of the path (`''` under a map's `<name>` or a list's `[]`). */
  readonly key: string;
  readonly schema: JsonSchema;
}

/**
 * The input JSON schema of a zod schema, with the default of every leaf key: zod leaves it out where the key's type
 * transforms its input (a duration's `'30s'` parses to ms), so it is taken from the zod default itself.
 */
function inputJsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      const { jsonSchema, zodSchema } = ctx;
      if (zodSchema instanceof z.core.$ZodDefault && jsonSchema.default === undefined && jsonSchema.type !== 'object') jsonSchema.default = zodSchema._zod.def.defaultValue;
    },
  }) as JsonSchema;
}

/** Every config key in schema order, with its input schema. */
function configKeys(): ConfigKey[] {
  const keys: ConfigKey[] = [];
  const walk = (schema: JsonSchema, path: string, key: string): void => {
    const props = schema.properties;
    if (path !== '') keys.push({ path, key, schema });
    if (path === 'rules') {
      // Entries are merged with the default rules before validation, so the input schema is loose; document a rule's keys.
      walk({ ...inputJsonSchema(RuleSchema), description: '' }, 'rules[]', '');
      return;
    }
    if (props) for (const [k, child] of Object.entries(props)) walk(child, path === '' ? k : `${path}.${k}`, k);
    else if (schema.type === 'array' && schema.items?.properties) walk({ ...schema.items, default: undefined, description: '' }, `${path}[]`, '');
    else if (schema.additionalProperties && typeof schema.additionalProperties === 'object' && schema.additionalProperties.properties) {
      walk({ ...schema.additionalProperties, default: undefined }, `${path}.<name>`, '');
    }
  };
  walk(inputJsonSchema(ConfigSchema), '', '');
  return keys;
}

/** Config keys whose values are durations (written as `'30s'` in config/default.yaml, not milliseconds). */
export function durationKeys(): ReadonlySet<string> {
  return new Set(configKeys().filter((k) => k.key !== '' && isDuration(k.schema)).map((k) => k.key));
}

/**
 * Renders the configuration reference (docs/configuration.md) from the zod
 * schema, so the documentation cannot drift from the code.
 */
export function renderConfigReference(): string {
  const rows = configKeys().map(
    ({ path, schema }) => `| \`${path}\` | ${typeOf(schema)} | ${formatDefault(schema.default, isDuration(schema))} | ${(schema.description ?? '').replace(/\|/g, '\\|')} |`,
  );
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` (`npx tsx scripts/gen-config-docs.ts`); a test fails when this file is stale.',
    'Every section and every key of a section is optional: `config/default.yaml` spells out the defaults, which are the',
    'reference guide\'s numbers. An entry you add to a list or a map has keys it must set (a receiver\'s `name`, `type`',
    'and `url`, a variant\'s `name`, a new rule\'s `metric`, `op` and `threshold`); `validate-config` names any missing.',
    'Durations are strings like `250ms`, `30s`, `5m`, `2h`, `7d` (or milliseconds). Unknown keys are errors.',
    'A bad file gives one line naming the path, e.g. `abtest.gates.cost_increase_pct: expected number, received string (line 3, column 24)`.',
    '',
    'Environment overrides (applied over the file): `PROMPTPILOT_CONFIG` (file path), `PROMPTPILOT_PORT` → `server.port`,',
    '`PROMPTPILOT_API_TOKEN` → `server.api_token`, `PROMPTPILOT_KAFKA_BROKERS` (comma list) → `kafka.brokers`,',
    '`PROMPTPILOT_REDIS_URL` → `redis.url`, `PROMPTPILOT_LOG_LEVEL` → `log.level`, `PROMPTPILOT_HOST` → `server.host`, `PROMPTPILOT_PROBE_PORT` → `server.probe_port`.',
    '`run` and `validate-config` apply them and refuse a bad value naming the variable. `replay`, `report`, `gate` and',
    '`compress` use none of these settings: they read only `PROMPTPILOT_CONFIG` and ignore the rest.',
    '',
    '## Rules',
    '',
    'A rule watches one metric of each (route, variant) over the rolling window. `threshold` is a number, or',
    '`{target: <targets key>, margin_pct: m}` (target × (1 ± m/100): + for `gt`, − for `lt`, with per-route target',
    'overrides), or `{baseline: true, margin_pct: m}` (that variant\'s own exponentially weighted baseline of the metric),',
    'or `{budget: tokens_per_request, margin_pct: m}` (`budgets.tokens.max_per_request` × (1 ± m/100), as the default rule',
    '`token_budget_per_request` uses).',
    'The condition is shown with evidence: the metric\'s two-sided `confidence` interval (default 0.99; exact for shares',
    'and percentiles) lies wholly past the threshold, so a small window\'s noise does not fire (docs/statistics.md).',
    'The rule fires once when the condition has held for `for`, and resolves once the value has been on the good side',
    'by `hysteresis_pct` of the threshold for `keep_firing_for`. A rule with `action` proposes that action when it fires.',
    'The default response-time alerts are target-relative (warning at target + 50 %, critical at target + 300 %: 3 s and 8 s',
    'for the default 2 s target), so a route whose own target is 6 s alerts at 9 s and 24 s. An absolute number stays',
    'absolute on every route.',
    '',
    '## How your file merges with the defaults',
    '',
    '- Sections (objects) merge key by key: keys you write replace the default, keys you leave out keep it.',
    '- `rules` merge **by `name`**: an entry named like a default rule replaces the keys it sets and keeps the rest',
    '  (`{name: accuracy_drop, threshold: 0.85}` changes only the threshold); `{name: accuracy_drop, enabled: false}`',
    '  switches a default rule off; a new name adds a rule, which then needs `metric`, `op` and `threshold`. The same',
    '  name twice is an error.',
    '- Maps merge **by key**: `prices` (by model) and `actions.budget_tiers` (by tier) add to or replace the built-in',
    '  entries of the same name; `routes`, `targets` and `routes.<name>.targets` likewise. Two maps say which entries',
    '  there are and replace the default as a whole: `budgets.response_time.allocation` (the stages) and',
    '  `monitoring.predictive_degradation.metrics` (the metrics forecast).',
    '- Every other list replaces the default list as a whole: `abtest.ramp`, `actions.pattern_ladder`, `kafka.brokers`,',
    '  each `otlp.attributes.<field>`, `simulator.routes`, `simulator.degradations`.',
    '- Per route, `routes.<name>.rules.<rule>` changes a rule for that route only: e.g.',
    '  `routes: {search: {rules: {response_time_warning: {threshold: 9000}, accuracy_drop: {enabled: false}}}}`.',
    '  It may set any rule key except `name`, `metric` and `op`.',
    '',
    'A route\'s `targets` move every target-relative threshold on that route (`{target: …}`), including the default',
    'response-time alerts; an absolute number stays the same on every route unless that route sets its own.',
    '',
    '`validate-config FILE` checks all of this and names each problem with its path and place in the file, e.g.',
    '`rules[1].name: duplicate rule name \'accuracy_drop\' (rules[0] has it too) (line 3, column 11)`; it also catches',
    'duplicate variant and receiver names, unknown tiers, ramp shares that do not increase, a route\'s `current` that',
    'is not among its `variants`, and negative durations. It reports in two rounds, on one line each time (the first three problems and how many more):',
    'first what is wrong with keys on their own (types, unknown keys, ranges, durations); once there is none, what spans',
    'sections (tiers, ramps, `current`, rule overrides). Run it again after a fix until it says `valid`.',
    '',
    '## Keys',
    '',
    '| key | type | default | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
