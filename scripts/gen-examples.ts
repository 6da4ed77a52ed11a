// Regenerates the sample NDJSON files in examples/ that the README's replay, gate and report
// examples use: `npx tsx scripts/gen-examples.ts`. Deterministic (seeded simulator, fixed start).
import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { parseConfig } from '../src/config/load.js';
import { recordClosedLoop } from '../src/sim/index.js';
import { toWireEvent } from '../src/codecs/index.js';
import type { TelemetryEvent } from '../src/core/event.js';

const START_MS = Date.parse('2026-01-05T08:00:00Z');
// The recorded run keeps every number as the closed loop saw it (its experiments' ids depend on
// the decisions); the gate runs round to 4 decimals, which no gate can tell apart.
const round = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isInteger(v) ? Math.round(v * 1e4) / 1e4 : v);
const ndjson = (events: readonly TelemetryEvent[], rounded = false): string => events.map((e) => JSON.stringify(toWireEvent(e), rounded ? round : undefined)).join('\n') + '\n';

// recorded.ndjson.gz: 90 minutes of three routes under the default config (the one `replay` uses
// without --config), served in a closed loop so experiments get their candidate traffic.
const recorded = parseConfig({
  simulator: {
    seed: 7,
    routes: [
      { route: 'support-answer', variant: 'answer-v3', pattern: 'chain_of_thought', model: 'gpt-4o-mini', rate_per_second: 2 },
      { route: 'extract-entities', variant: 'ner-v7', pattern: 'few_shot', model: 'gpt-4o-mini', rate_per_second: 1.5 },
      { route: 'faq-answer', variant: 'faq-v12', pattern: 'zero_shot', model: 'gpt-4.1-mini', rate_per_second: 1 },
    ],
    degradations: [
      { route: 'support-answer', at: '10m', duration: '1h', latency_factor: 1.8 },
      { route: 'extract-entities', at: '15m', duration: '1h', accuracy_delta: -0.09 },
    ],
  },
});
const events = recordClosedLoop(recorded, START_MS, 90 * 60_000);
writeFileSync('examples/recorded.ndjson.gz', gzipSync(ndjson(events), { level: 9 }));

// main.ndjson / pr.ndjson: one route before and after a prompt change, for `gate`. The change
// (few_shot → chain_of_thought) buys accuracy with latency and tokens: the gate fails it.
const gateRun = (pattern: 'few_shot' | 'chain_of_thought', seed: number) =>
  recordClosedLoop(
    parseConfig({ simulator: { seed, routes: [{ route: 'support-answer', variant: pattern === 'few_shot' ? 'answer-v3' : 'answer-v4', pattern, model: 'gpt-4o-mini', rate_per_second: 1 }] } }),
    START_MS,
    30 * 60_000,
  );
writeFileSync('examples/main.ndjson', ndjson(gateRun('few_shot', 11), true));
writeFileSync('examples/pr.ndjson', ndjson(gateRun('chain_of_thought', 12), true));
console.log(`examples: ${events.length} recorded events; gate runs written`);
