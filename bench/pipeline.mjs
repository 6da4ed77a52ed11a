// Pipeline throughput and memory benchmark (issue 2): parse + validate + aggregate + detect over
// synthetic NDJSON, next to a bare JSON.parse loop over the same bytes in the same process.
// Usage: node bench/pipeline.mjs [--events 1000000] [--routes 1000] [--variants 1] [--long 5000000]
//        [--seconds S]   event time the --events span (default: 2,000 events per second)
//        [--breakdown]   also time decoding alone and an engine without detection: where the time per event goes
//        [--no-rules]    the measured engine runs without detection (rules, anomaly, forecasts)
import { parseConfig } from '../dist/config/load.js';
import { PipelineEngine } from '../dist/engine/engine.js';
import { syntheticCalls } from './syntheticCalls.mjs';
import { NdjsonEventDecoder } from '../dist/codecs/ndjson.js';
import { loadavg } from 'node:os';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const EVENTS = arg('events', 1_000_000);
const ROUTES = arg('routes', 1000);
const LONG = arg('long', 5_000_000);
const VARIANTS = arg('variants', 1);
const BREAKDOWN = process.argv.includes('--breakdown');
const CHUNK = 20_000;
/** Phase 1 generates small chunks so transient garbage cannot inflate RSS (the heap stays small). */
const MEM_CHUNK = 2_000;
/** Event time: by default 2,000 calls/s over all routes (2 per route with 1,000 routes). */
const EVENTS_PER_SECOND = EVENTS / arg('seconds', EVENTS / 2000);


/** Deterministic NDJSON chunk k of `size` events (events k*size .. (k+1)*size-1). */
const makeChunk = syntheticCalls({ routes: ROUTES, variants: VARIANTS, eventsPerSecond: EVENTS_PER_SECOND });
const chunk = (k, size = CHUNK) => makeChunk(k, size);

function bareParse(text) {
  let n = 0;
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const o = JSON.parse(text.slice(start, end));
    if (o.route !== undefined) n++;
    start = end + 1;
  }
  return n;
}

/**
 * Full GCs (with short pauses so V8 can hand freed pages back) until RSS stops
 * shrinking, so it reflects retained state rather than GC timing.
 */
function settle() {
  if (globalThis.gc === undefined) return;
  let before = Infinity;
  for (let i = 0; i < 8; i++) {
    globalThis.gc();
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
    const rss = process.memoryUsage().rss;
    if (rss >= before * 0.995) break;
    before = rss;
  }
}

/**
 * No detection at all: every default rule switched off by name (`rules: []` would merge with the defaults and
 * keep them all), and the monitoring rules (anomaly, forecasts) off. Windows and hourly history stay.
 */
const NO_DETECTION = {
  rules: parseConfig({}).rules.map((rule) => ({ name: rule.name, enabled: false })),
  monitoring: { anomaly: { enabled: false }, predictive_degradation: { enabled: false } },
};
const config = parseConfig(process.argv.includes('--no-rules') ? NO_DETECTION : {});
const mib = (b) => (b / 1048576).toFixed(1);

// Phase 1 — memory: stream LONG events through one engine, generating chunks on the fly;
// RSS after 1M and after LONG events must be flat (bounded windows).
let decisions = 0;
let peakRss = 0;
let rssAt1M = 0;
let heapAt1M = 0;
// One engine for both phases: phase 2 measures the steady state of a daemon that has been
// running for a while (every series, bucket pool and sketch already allocated).
const engine = new PipelineEngine(config);
/** Breakdown only: the same stream through an engine without detection (windows and hourly history only). */
const bare = BREAKDOWN ? new PipelineEngine(parseConfig(NO_DETECTION)) : null;
{
  const decoder = new NdjsonEventDecoder(true);
  const events = [];
  const errors = [];
  const onBatch = (batch) => {
    decisions += engine.ingest(batch).length;
    bare?.ingest(batch);
  };
  for (let k = 0; k < Math.ceil(LONG / MEM_CHUNK); k++) {
    decoder.push(chunk(k, MEM_CHUNK), events, errors, onBatch);
    decisions += engine.ingest(events).length;
    bare?.ingest(events);
    events.length = 0;
    decoder.recycle();
    const processed = (k + 1) * MEM_CHUNK;
    if (processed % 250_000 === 0) {
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      if (processed === 1_000_000) {
        settle();
        rssAt1M = process.memoryUsage().rss;
        if (process.env.BENCH_DEBUG) console.error('1M', process.memoryUsage());
        heapAt1M = process.memoryUsage().heapUsed;
      }
    }
  }
  settle();
}
const rssEnd = process.memoryUsage().rss;
if (process.env.BENCH_DEBUG) console.error('end', process.memoryUsage());
const heapEnd = process.memoryUsage().heapUsed;

// Phase 2 — throughput: the same bytes (pre-generated, so generation's garbage is not timed)
// through a bare JSON.parse loop and through the pipeline, alternating per chunk so both see
// the same machine load.
const texts = [];
let bytes = 0;
const first = Math.ceil(LONG / CHUNK); // event time continues where phase 1 stopped (same event numbering)
for (let k = 0; k < Math.ceil(EVENTS / CHUNK); k++) {
  texts.push(chunk(first + k));
  bytes += texts[k].length;
}
globalThis.gc?.();
let parseMs = 0;
let pipeMs = 0;
/** The same two, as this process's CPU time (user + system): what each took of the machine, whatever else it ran. */
let parseCpuMs = 0;
let pipeCpuMs = 0;
const cpuMsSince = (start) => {
  const d = process.cpuUsage(start);
  return (d.user + d.system) / 1000;
};
let decodeMs = 0;
let bareMs = 0;
let parsed = 0;
const evaluationsBefore = engine.counters.evaluations;
{
  const decoder = new NdjsonEventDecoder(true);
  const events = [];
  const errors = [];
  const onBatch = (batch) => {
    engine.ingest(batch);
  };
  const decodeOnly = new NdjsonEventDecoder(true);
  const bareDecoder = new NdjsonEventDecoder(true);
  const ignore = () => {};
  const onBare = (batch) => {
    bare.ingest(batch);
  };
  for (let k = 0; k < texts.length; k++) {
    const text = texts[k];
    let t = performance.now();
    let c = process.cpuUsage();
    parsed += bareParse(text);
    parseMs += performance.now() - t;
    parseCpuMs += cpuMsSince(c);
    t = performance.now();
    c = process.cpuUsage();
    decoder.push(text, events, errors, onBatch);
    engine.ingest(events);
    events.length = 0;
    decoder.recycle();
    pipeMs += performance.now() - t;
    pipeCpuMs += cpuMsSince(c);
    if (bare !== null) {
      // Decoding alone; then decoding + the rule-less engine, exactly as the pipeline runs.
      t = performance.now();
      decodeOnly.push(text, events, errors, ignore);
      events.length = 0;
      decodeOnly.recycle();
      decodeMs += performance.now() - t;
      t = performance.now();
      bareDecoder.push(text, events, errors, onBare);
      bare.ingest(events);
      events.length = 0;
      bareDecoder.recycle();
      bareMs += performance.now() - t;
    }
  }
}
const parseRate = parsed / (parseMs / 1000);
const pipeRate = EVENTS / (pipeMs / 1000);
const result = {
  events: EVENTS,
  routes: ROUTES,
  variants_per_route: VARIANTS,
  mib: Number(mib(bytes)),
  json_parse_events_per_s: Math.round(parseRate),
  pipeline_events_per_s: Math.round(pipeRate),
  ratio: Number((pipeRate / parseRate).toFixed(3)),
  /** The ratio in CPU time (parse CPU / pipeline CPU per event): steadier than wall time on a loaded machine. */
  ratio_cpu: Number(((parseCpuMs / parsed) / (pipeCpuMs / EVENTS)).toFixed(3)),
  peak_rss_mib: Number(mib(Math.max(peakRss, process.memoryUsage().rss))),
  rss_after_1M_mib: Number(mib(rssAt1M)),
  [`rss_after_${LONG / 1e6}M_mib`]: Number(mib(rssEnd)),
  rss_growth_pct: Number((((rssEnd - rssAt1M) / rssAt1M) * 100).toFixed(1)),
  heap_used_after_1M_mib: Number(mib(heapAt1M)),
  [`heap_used_after_${LONG / 1e6}M_mib`]: Number(mib(heapEnd)),
  decisions_in_memory_phase: decisions,
  late_events: engine.counters.late,
  evaluations_per_event: Number(((engine.counters.evaluations - evaluationsBefore) / EVENTS).toFixed(3)),
};
if (bare !== null) {
  const us = (ms) => Number(((ms * 1000) / EVENTS).toFixed(3));
  result.time_per_event_us = {
    total: us(pipeMs),
    decode_and_validate: us(decodeMs),
    windows_and_history: us(Math.max(0, bareMs - decodeMs)),
    detection: us(Math.max(0, pipeMs - bareMs)),
    bare_json_parse: us(parseMs),
  };
}
console.log(JSON.stringify(result, null, 2));
const shape = `${ROUTES} routes × ${VARIANTS} variant${VARIANTS > 1 ? 's' : ''}, ${EVENTS / 1e6} M events over ${(EVENTS / EVENTS_PER_SECOND / 3600).toFixed(2)} h of event time`;
console.log(`pipeline (${shape}): ${(pipeRate / 1e6).toFixed(2)} M events/s vs bare JSON.parse ${(parseRate / 1e6).toFixed(2)} M/s → ratio ${result.ratio} (target ≥ 0.5); in CPU time ${result.ratio_cpu}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
if (result.time_per_event_us) {
  const t = result.time_per_event_us;
  console.log(`time per event: ${t.total} µs = decode+validate ${t.decode_and_validate} + windows and hourly history ${t.windows_and_history} + detection (rules, anomaly, forecasts) ${t.detection} (${result.evaluations_per_event} evaluations/event); bare JSON.parse ${t.bare_json_parse} µs`);
}
if (LONG > 1_000_000) console.log(`RSS after 1M ${result.rss_after_1M_mib} MiB, after ${LONG / 1e6}M ${mib(rssEnd)} MiB (${result.rss_growth_pct} %, target within 10 %); heap used ${mib(heapAt1M)} → ${mib(heapEnd)} MiB`);
