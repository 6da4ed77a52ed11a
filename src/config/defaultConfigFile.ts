import { stringify } from 'yaml';
import { durationKeys } from './configReference.js';
import { formatDurationMs } from './duration.js';
import { ConfigSchema } from './schema.js';

const HEADER = `# promptpilot default configuration — the embedded defaults, spelled out.
# Generated from src/config/schema.ts by \`npx tsx scripts/gen-default-config.ts\`; the numbers are the
# reference guide's: p95 target 2s / p99 5s, alerts at 3s / 8s, cost per task
# budget $0.10 (+25 % breach), tokens per quality point 100 (20 % efficiency drop), accuracy 95 % target
# (< 90 % alert), consistency 90 % (< 85 % alert), the pattern ladder, the budget tiers, the A/B gates
# (response time < 10 %, token efficiency < 5 %, quality < 2 %, cost < 15 %) and rollback triggers
# (response time +50 %, error rate +5 points, satisfaction -10 %). Durations: ms, s, m, h, d.
# Reference for every key: docs/configuration.md.
`;

/**
 * Renders config/default.yaml: every default of the schema spelled out, durations written as `'30s'`,
 * so the file and the embedded defaults can never disagree (a test compares the file with this text).
 */
export function renderDefaultConfig(): string {
  const durations = durationKeys();
  const humanize = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((v) => humanize(v));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, humanize(v, k)]));
    if (typeof value === 'number' && durations.has(key)) return formatDurationMs(value);
    return value;
  };
  return HEADER + stringify(humanize(ConfigSchema.parse({})), { lineWidth: 120 });
}
