// Ingest cost of the long-horizon history (issue 13): what share of the engine's per-event time goes to foresight's
// per-call bookkeeping — the route's open hour (a StatsBucket with its latency sketch), the per-variant buckets of
// that hour, the anomaly rule's 5-minute call counts and the daily spend by budget share.
// The same pre-decoded events go through the whole engine (defaults: windows, rules, foresight) and through a
// Foresight alone (its onEvent, what the engine calls for every accepted call), alternating per chunk in one process.
// Usage: node bench/foresight.mjs [--events 1000000] [--routes 1000] [--variants 2]
import { parseConfig } from '../dist/config/load.js';
import { makeEvent } from '../dist/core/event.js';
import { PipelineEngine } from '../dist/engine/engine.js';
import { Foresight } from '../dist/foresight/foresight.js';
import { mulberry32 as rng } from '../dist/sim/random.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 1_000_000);
const ROUTES = arg('routes', 1000);
const VARIANTS = arg('variants', 2);
const CHUNK = 10_000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
/** 2,000 calls/s over all routes: 1 M events span ~8 minutes of event time. */
const PER_SECOND = 2000;

/** Events k*CHUNK .. (k+1)*CHUNK-1, deterministic. */
function chunk(k) {
  const r = rng(500 + k);
  const out = new Array(CHUNK);
  for (let i = 0; i < CHUNK; i++) {
    const n = k * CHUNK + i;
    const route = n % ROUTES;
    const e = makeEvent(T0 + Math.floor((n * 1000) / PER_SECOND), `route-${route}`, `v${Math.floor(n / ROUTES) % VARIANTS}`, Math.round(800 * Math.exp(0.4 * (r() + r() + r() - 1.5))));
    e.inputTokens = 300 + Math.floor(r() * 400);
    e.outputTokens = 100 + Math.floor(r() * 200);
    e.costUsd = 0.001 + r() * 0.002;
    e.quality = Math.round((0.7 + r() * 0.3) * 100) / 100;
    e.correct = r() < 0.93;
    e.isError = r() < 0.01;
    out[i] = e;
  }
  return out;
}

const config = parseConfig({});
const chunks = Array.from({ length: Math.ceil(EVENTS / CHUNK) }, (_, k) => chunk(k));
/** One pass: the engine and a lone Foresight over the same chunks, alternating; returns ms of each. */
function pass() {
  const engine = new PipelineEngine(config);
  const foresight = new Foresight(config);
  let engineMs = 0;
  let foresightMs = 0;
  for (const events of chunks) {
    let t = performance.now();
    engine.ingest(events);
    engineMs += performance.now() - t;
    t = performance.now();
    for (const e of events) foresight.onEvent(e, e.costUsd);
    foresightMs += performance.now() - t;
  }
  return { engineMs, foresightMs };
}

pass(); // warm-up: JIT and allocation of every series
globalThis.gc?.();
const runs = [pass(), pass(), pass()];
// The median pass by engine time.
const { engineMs, foresightMs } = runs.sort((a, b) => a.engineMs - b.engineMs)[1];
const us = (ms) => Number(((ms * 1000) / EVENTS).toFixed(3));
const result = {
  events: EVENTS,
  routes: ROUTES,
  variants_per_route: VARIANTS,
  engine_us_per_event: us(engineMs),
  foresight_us_per_event: us(foresightMs),
  foresight_share_of_engine: Number((foresightMs / engineMs).toFixed(3)),
  engine_without_foresight_ratio: Number((engineMs / Math.max(1e-9, engineMs - foresightMs)).toFixed(3)),
};
console.log(JSON.stringify(result, null, 2));
console.log(`foresight per call ${result.foresight_us_per_event} µs of the engine's ${result.engine_us_per_event} µs: ${(result.foresight_share_of_engine * 100).toFixed(1)} % of ingest (${ROUTES} routes × ${VARIANTS} variants)`);
