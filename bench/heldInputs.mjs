// What the takeover gap costs: a follower holds the traffic of routes another instance owns
// (PipelineEngine.holdRoute) and counts it when it takes the route over (releaseRoute, after the
// checkpoint's restore). Measured in one process: heap per held event after a full GC, events decoded
// from NDJSON as every source delivers them (minimal, and with every optional field); and the time to
// count HELD_EVENTS held events on a restored checkpoint, as a ratio to ingesting the same events
// directly into a copy restored from the same checkpoint (same run, alternated, median of HELD_ROUNDS).
//
//   npm run build && node --expose-gc bench/heldInputs.mjs     # HELD_EVENTS=100000 HELD_ROUTES=100 HELD_ROUNDS=5
import { NdjsonEventDecoder } from '../dist/codecs/ndjson.js';
import { parseConfig } from '../dist/config/load.js';
import { HELD_INPUTS_LIMIT, PipelineEngine } from '../dist/engine/engine.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/heldInputs.mjs');
  process.exit(2);
}
const EVENTS = Math.min(Number(process.env.HELD_EVENTS ?? HELD_INPUTS_LIMIT), HELD_INPUTS_LIMIT);
const ROUTES = Number(process.env.HELD_ROUTES ?? 100);
const ROUNDS = Number(process.env.HELD_ROUNDS ?? 5);
const T0 = Date.parse('2026-01-05T00:00:00Z');
const config = parseConfig({});

function lines(full, from) {
  const out = [];
  for (let i = 0; i < EVENTS; i++) {
    const base = { ts: from + Math.floor(i / ROUTES) * 10, route: `route-${i % ROUTES}`, variant: `v${i % 2}`, latency_ms: 200 + ((i * 7919) % 1800) };
    out.push(JSON.stringify(full ? { ...base, pattern: 'few_shot', input_tokens: 900, output_tokens: 250, cost_usd: 0.0031, model: 'gpt-4o-mini', quality: 0.87, correct: i % 17 !== 0, experiment: 'exp-1', arm: i % 2 === 0 ? 'baseline' : 'candidate', unit: `user-${i}` } : base));
  }
  return `${out.join('\n')}\n`;
}
function decode(text) {
  const events = [];
  const errors = [];
  const decoder = new NdjsonEventDecoder();
  decoder.push(text, events, errors);
  decoder.end(events, errors);
  return events;
}
const heap = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
};

const rows = [];
for (const full of [false, true]) {
  const text = lines(full, T0);
  const engine = new PipelineEngine(config);
  for (let r = 0; r < ROUTES; r++) engine.holdRoute(`route-${r}`);
  const before = heap();
  // In slices, as batches arrive: the decoded events live on only in the hold.
  const events = decode(text);
  for (let at = 0; at < events.length; at += 10_000) engine.ingest(events.slice(at, at + 10_000));
  events.length = 0;
  const after = heap();
  rows.push({ events: full ? 'every optional field' : 'minimal', held: engine.heldSizes().inputs, 'heap bytes per held event': Math.round((after - before) / EVENTS) });
}
console.log(`held inputs: ${EVENTS} events over ${ROUTES} routes (bound ${HELD_INPUTS_LIMIT})`);
console.table(rows);

// Counting on release vs direct ingest: the same checkpoint restored twice, the same gap events.
const owner = new PipelineEngine(config);
owner.ingest(decode(lines(true, T0 - 120_000)));
const checkpoints = owner.routeNames().map((route) => [route, owner.checkpointRoute(route)]);
const gapText = lines(true, T0);
const ratios = [];
for (let round = 0; round < ROUNDS; round++) {
  const direct = new PipelineEngine(config);
  const held = new PipelineEngine(config);
  for (const [route, data] of checkpoints) {
    direct.restoreRoute(route, data);
    held.holdRoute(route);
  }
  const directEvents = decode(gapText);
  held.ingest(decode(gapText));
  let started = process.hrtime.bigint();
  direct.ingest(directEvents);
  const directNs = Number(process.hrtime.bigint() - started);
  started = process.hrtime.bigint();
  for (const [route, data] of checkpoints) {
    held.restoreRoute(route, data);
    held.releaseRoute(route);
  }
  held.ingest([]);
  const restoreAndReleaseNs = Number(process.hrtime.bigint() - started);
  // The restore itself is what a takeover does anyway: time it alone on a third copy to leave the counting.
  const restoreOnly = new PipelineEngine(config);
  started = process.hrtime.bigint();
  for (const [route, data] of checkpoints) restoreOnly.restoreRoute(route, data);
  const restoreNs = Number(process.hrtime.bigint() - started);
  ratios.push((restoreAndReleaseNs - restoreNs) / directNs);
}
ratios.sort((a, b) => a - b);
console.log(`counting ${EVENTS} held events on the restored checkpoints / ingesting them directly: median ${ratios[Math.floor(ratios.length / 2)].toFixed(2)} (rounds ${ratios.map((r) => r.toFixed(2)).join(', ')})`);
