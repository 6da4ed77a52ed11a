// Writes config/default.yaml from the schema's defaults, so the file and the
// embedded defaults can never disagree (a test checks they parse identically).
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { ConfigSchema } from '../src/config/schema.js';
import { formatDurationMs } from '../src/config/duration.js';
import { DURATION_KEYS } from '../src/config/configReference.js';


function humanize(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => humanize(v));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, humanize(v, k)]));
  }
  if (typeof value === 'number' && DURATION_KEYS.has(key)) return formatDurationMs(value);
  return value;
}

const header = `# promptpilot default configuration — the embedded defaults, spelled out.
# Generated from src/config/schema.ts by \`npx tsx scripts/gen-default-config.ts\`; the numbers are the
# reference guide's (performance-guide.md): p95 target 2s / p99 5s, alerts at 3s / 8s, cost per task
# budget $0.10 (+25 % breach), tokens per quality point 100 (20 % efficiency drop), accuracy 95 % target
# (< 90 % alert), consistency 90 % (< 85 % alert), the pattern ladder, the budget tiers, the A/B gates
# (response time < 10 %, token efficiency < 5 %, quality < 2 %, cost < 15 %) and rollback triggers
# (response time +50 %, error rate +5 points, satisfaction -10 %). Durations: ms, s, m, h, d.
# Reference for every key: docs/configuration.md.
`;
writeFileSync(new URL('../config/default.yaml', import.meta.url), header + stringify(humanize(ConfigSchema.parse({})), { lineWidth: 120 }));
