// Soak: drives many events over 10,000 routes through (1) the replay path (NDJSON decode + engine,
// in event time) and (2) a live daemon over HTTP on 127.0.0.1, sampling RSS, JS heap (after a full
// GC), active handles and timers. After warm-up (the first 25 % of events) it fits a least-squares
// line to each and reports the slope: flat (~0) means no leak.
//
//   npm run build && node --expose-gc bench/soak.mjs              # SOAK_EVENTS=10000000 (each phase), SOAK_HTTP_EVENTS
//   SOAK_EVENTS=0 node --expose-gc bench/soak.mjs                  # the HTTP phase alone (its own process: RSS is the daemon's)
//   SOAK_HTTP_SECONDS=1200 (default)                               # the HTTP phase's minimum duration: posts are paced to it
//
// Slopes are fitted after the warm-up: 25 % of the events and at least two windows (10 min) of event
// time — replay: 1 ms of event time per event; HTTP: events are stamped with the wall clock, so the HTTP
// phase is paced to last SOAK_HTTP_SECONDS (20 min by default).
//
// Everything runs in this process (the daemon via startDaemon, the HTTP client via node:http
// keep-alive), so heap, handles and timers are the daemon's own plus a constant client share.
import http from 'node:http';
import { parseConfig } from '../dist/config/load.js';
import { NdjsonEventDecoder } from '../dist/codecs/ndjson.js';
import { PipelineEngine } from '../dist/engine/engine.js';
import { startDaemon } from '../dist/daemon.js';
import { createLogger } from '../dist/runtime/logger.js';

const REPLAY_EVENTS = Number(process.env.SOAK_EVENTS ?? 10_000_000);
const HTTP_EVENTS = Number(process.env.SOAK_HTTP_EVENTS ?? process.env.SOAK_EVENTS ?? 10_000_000);
// The HTTP phase is paced to last at least this long (wall time = event time there): the fit needs
// the windows full (10 min) and a long stretch after them; an unpaced run on an idle machine posts
// 10 M events in about 2 minutes, too short to say anything about a slope.
const HTTP_MIN_SECONDS = Number(process.env.SOAK_HTTP_SECONDS ?? 1_200);
const ROUTES = 10_000;
const SAMPLES = 40;
if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/soak.mjs');
  process.exit(2);
}

const soakStarted = performance.now();
function sample(done, spanMs) {
  globalThis.gc();
  const resources = process.getActiveResourcesInfo();
  // progress on stderr: a 10 M-event run takes a while on a shared machine
  process.stderr.write(`soak: ${done} events, ${((performance.now() - soakStarted) / 1000).toFixed(0)} s, heap ${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)} MiB, array buffers ${(process.memoryUsage().arrayBuffers / 2 ** 20).toFixed(1)} MiB, RSS ${(process.memoryUsage.rss() / 2 ** 20).toFixed(0)} MiB\n`);
  return {
    done,
    spanMs,
    rssMiB: process.memoryUsage.rss() / 2 ** 20,
    heapMiB: process.memoryUsage().heapUsed / 2 ** 20,
    // Typed arrays (the sketches' bins) live outside the JS heap: a leak there shows in RSS, not in heapUsed.
    arrayBuffersMiB: process.memoryUsage().arrayBuffers / 2 ** 20,
    handles: resources.filter((r) => r !== 'Timeout' && r !== 'Immediate').length,
    timers: resources.filter((r) => r === 'Timeout').length,
  };
}

/** Least-squares slope of y over x (x in millions of events). */
function slope(points, key) {
  const xs = points.map((p) => p.done / 1e6);
  const ys = points.map((p) => p[key]);
  const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
  const my = ys.reduce((a, b) => a + b, 0) / ys.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < xs.length; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Warm-up: the first 25 % of the events, and at least two windows (time.window, 5 min) of event time, so every series' window has filled once. */
const WARM_SPAN_MS = 2 * 5 * 60_000;

function report(name, total, seconds, samples) {
  const warm = samples.filter((s) => s.done >= total * 0.25 && s.spanMs >= WARM_SPAN_MS);
  if (warm.length < 2) {
    console.error(`${name}: fewer than two samples after the warm-up (${WARM_SPAN_MS / 60_000} min of event time): run more events`);
    return { phase: name, events: total, 'events/s': Math.round(total / seconds), warm: 'too short' };
  }
  const first = warm[0];
  const last = warm[warm.length - 1];
  return {
    phase: name,
    events: total,
    'events/s': Math.round(total / seconds),
    'RSS MiB (warm→end)': `${first.rssMiB.toFixed(0)}→${last.rssMiB.toFixed(0)}`,
    'RSS slope MiB/M ev': slope(warm, 'rssMiB').toFixed(2),
    'heap MiB (warm→end)': `${first.heapMiB.toFixed(1)}→${last.heapMiB.toFixed(1)}`,
    'heap slope MiB/M ev': slope(warm, 'heapMiB').toFixed(3),
    'array buffers MiB (warm→end)': `${first.arrayBuffersMiB.toFixed(1)}→${last.arrayBuffersMiB.toFixed(1)}`,
    'handles (warm→end)': `${first.handles}→${last.handles}`,
    'timers (warm→end)': `${first.timers}→${last.timers}`,
  };
}

const T0 = Date.parse('2026-01-05T00:00:00Z');
const line = (n, ts) => JSON.stringify({ ts, route: `route-${n % ROUTES}`, variant: n % 3 === 0 ? 'v2' : 'v1', latency_ms: 200 + ((n * 7919) % 1800), input_tokens: 400, output_tokens: 150, correct: n % 17 !== 0 });

// (1) replay: NDJSON text → decoder → engine, event time advancing 1 ms per event (10 M events ≈ 2.8 h).
async function replayPhase() {
  const engine = new PipelineEngine(parseConfig({}));
  const decoder = new NdjsonEventDecoder(true);
  const samples = [];
  const every = Math.max(1, Math.floor(REPLAY_EVENTS / SAMPLES));
  const CHUNK = 10_000;
  const started = performance.now();
  for (let done = 0; done < REPLAY_EVENTS; done += CHUNK) {
    const lines = [];
    for (let i = done; i < Math.min(done + CHUNK, REPLAY_EVENTS); i++) lines.push(line(i, T0 + i));
    const events = [];
    decoder.push(lines.join('\n') + '\n', events, [], (batch) => {
      engine.ingest(batch);
      decoder.recycle();
    });
    engine.ingest(events);
    decoder.recycle();
    if ((done + CHUNK) % every < CHUNK) samples.push(sample(done + CHUNK, done + CHUNK));
  }
  engine.flush();
  return report('replay', REPLAY_EVENTS, (performance.now() - started) / 1000, samples);
}

// (2) live daemon over HTTP: 4 keep-alive clients post 1,000-event batches stamped with the wall clock.
async function httpPhase() {
  // SOAK_BUDGET_MIB, 2 GiB by default: a budget that admits all 20,000 series with full windows (the default 768 MiB admits 6,813 and refuses
  // the rest, which is bench/cardinality.mjs's CARD_MODE=busy; the soak measures the engine holding all of them).
  const config = parseConfig({ server: { port: 0, host: '127.0.0.1' }, log: { level: 'warn' }, limits: { memory_budget_bytes: Number(process.env.SOAK_BUDGET_MIB ?? 2_048) * 1024 ** 2 } });
  const daemon = await startDaemon(config, { logger: createLogger(config) });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  const post = (body) => new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: daemon.port, method: 'POST', path: '/v1/events', agent, headers: { 'content-type': 'application/x-ndjson', 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text }));
    });
    // a reset while writing (the daemon shed the request and closed its connection) is retried like a 503
    req.on('error', (err) => (err.code === 'ECONNRESET' || err.code === 'EPIPE' ? resolve({ status: 'reset', text: '' }) : reject(err)));
    req.end(body);
  });
  const samples = [];
  const every = Math.max(1, Math.floor(HTTP_EVENTS / SAMPLES));
  const BATCH = 1_000;
  let next = 0;
  let done = 0;
  let accepted = 0;
  let rejected = 0;
  let shed = 0;
  let nextSample = every;
  const started = performance.now();
  const client = async () => {
    while (next < HTTP_EVENTS) {
      const from = next;
      next += BATCH;
      const due = started + (from / HTTP_EVENTS) * HTTP_MIN_SECONDS * 1000;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      const now = Date.now();
      const lines = [];
      for (let i = from; i < Math.min(from + BATCH, HTTP_EVENTS); i++) lines.push(line(i, now));
      for (;;) {
        const r = await post(lines.join('\n'));
        if (r.status === 503 || r.status === 'reset') {
          shed++;
          await new Promise((res) => setTimeout(res, 100));
          continue;
        }
        const answer = JSON.parse(r.text);
        accepted += answer.accepted;
        rejected += answer.rejected;
        break;
      }
      done += lines.length;
      if (done >= nextSample) {
        nextSample += every;
        samples.push(sample(done, performance.now() - started));
      }
    }
  };
  await Promise.all([client(), client(), client(), client()]);
  const seconds = (performance.now() - started) / 1000;
  const counted = daemon.engine.counters.accepted;
  agent.destroy();
  await daemon.stop();
  return { ...report('http', HTTP_EVENTS, seconds, samples), 'accepted=counted': accepted === counted, rejected, '503 retries': shed };
}

const rows = [];
if (REPLAY_EVENTS > 0) rows.push(await replayPhase());
if (HTTP_EVENTS > 0) rows.push(await httpPhase());
console.log(`soak: ${ROUTES} routes x 2 variants; samples after a full GC; slopes fitted after 25 % warm-up`);
console.table(rows);
