// What a route checkpoint costs (issue 10), as a ratio to ingest in the same process: one busy route of two variants
// (10 minutes at 1,000 calls/s, every optional field, the open hour and the foresight state included) is checkpointed
// (`checkpointRoute`: serialize to JSON) and restored into a fresh engine (`restoreRoute`: parse, check, rebuild),
// alternating with ingesting fresh events into another engine, so machine load cancels out as far as it can.
// Prints the checkpoint's size and each cost in events' worth of ingest time (median of the rounds).
// Usage: node bench/checkpoint.mjs [--rounds 15]
import { parseConfig } from '../dist/config/load.js';
import { makeEvent } from '../dist/core/event.js';
import { PipelineEngine } from '../dist/engine/engine.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 15);
const config = parseConfig({});
const T0 = Date.parse('2026-03-02T09:00:00Z');

/** `count` calls from `startMs` at `perSecond`, two variants, every optional field (as test/engine/routeCheckpoint.test.ts). */
function calls(startMs, count, perSecond, route = 'support') {
  const out = new Array(count);
  for (let i = 0; i < count; i++) {
    const e = makeEvent(startMs + Math.floor(i / perSecond) * 1000 + (i % perSecond), route, i % 2 === 0 ? 'v1' : 'v2', 400 * Math.exp(Math.sin(i * 12.9898) * 1.2));
    out[i] = { ...e, inputTokens: 500 + (i % 300), outputTokens: 200 + (i % 50), costUsd: 0.002, quality: 0.8, correct: i % 10 !== 0 };
  }
  return out;
}

const busy = new PipelineEngine(config);
const history = calls(T0, 600_000, 1000);
for (let i = 0; i < history.length; i += 5000) busy.ingest(history.slice(i, i + 5000));
const text = busy.checkpointRoute('support');
// The same checkpoint without its long-horizon part, as an older daemon wrote it: what that part adds.
const { foresight, ...rest } = JSON.parse(text);
const withoutForesight = JSON.stringify(rest);
console.log(`checkpoint: ${text.length} bytes (2 variants, 10 min at 1,000 calls/s), ${text.length - withoutForesight.length} of them the foresight part`);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ingestUs = [];
const serializeUs = [];
const restoreUs = [];
const restoreBareUs = [];
const exportForesightUs = [];
// Ingest: a route of its own in a second engine, 20,000 fresh calls a round, per event.
const other = new PipelineEngine(config);
let at = T0;
for (let round = 0; round < ROUNDS + 2; round++) {
  const batch = calls(at, 20_000, 1000, 'ingest');
  at += 20_000;
  let t = performance.now();
  for (let i = 0; i < batch.length; i += 1000) other.ingest(batch.slice(i, i + 1000));
  const perEvent = ((performance.now() - t) * 1000) / batch.length;
  t = performance.now();
  for (let k = 0; k < 20; k++) busy.checkpointRoute('support');
  const serialize = ((performance.now() - t) * 1000) / 20;
  t = performance.now();
  for (let k = 0; k < 20; k++) new PipelineEngine(config).restoreRoute('support', text);
  const restore = ((performance.now() - t) * 1000) / 20;
  t = performance.now();
  for (let k = 0; k < 20; k++) new PipelineEngine(config).restoreRoute('support', withoutForesight);
  const restoreBare = ((performance.now() - t) * 1000) / 20;
  t = performance.now();
  for (let k = 0; k < 20; k++) JSON.stringify(busy.foresight.exportRoute('support'));
  const exportForesight = ((performance.now() - t) * 1000) / 20;
  if (round < 2) continue; // warm-up
  restoreBareUs.push(restoreBare);
  exportForesightUs.push(exportForesight);
  ingestUs.push(perEvent);
  serializeUs.push(serialize);
  restoreUs.push(restore);
}
const ingest = median(ingestUs);
console.log(`ingest ${ingest.toFixed(2)} µs/event; serialize ${median(serializeUs).toFixed(0)} µs = ${(median(serializeUs) / ingest).toFixed(0)} events; restore ${median(restoreUs).toFixed(0)} µs = ${(median(restoreUs) / ingest).toFixed(0)} events (medians of ${ROUNDS} rounds)`);
console.log(`foresight part: ${((median(exportForesightUs) / median(serializeUs)) * 100).toFixed(0)} % of the serialize time, ${(((median(restoreUs) - median(restoreBareUs)) / median(restoreUs)) * 100).toFixed(0)} % of the restore time`);
