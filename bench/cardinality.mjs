// Cardinality flood: 1 M distinct (route, variant) pairs (10,000 routes x 100 variants, one event
// each) posted over HTTP to a daemon process on 127.0.0.1 with the default limits. Reports the
// daemon's peak RSS, live series, evictions, the size and time of a /metrics scrape, and whether
// a real route posted after the flood is admitted.
//
// CARD_MODE=busy: 20,000 busy series instead (10,000 routes x 2 variants, CARD_BUSY_SERIES), each
// sent one event per 5 s of event time for CARD_ROUNDS rounds (100: 500 s, so every 5-minute window
// fills), in rounds over all series, event time starting 20 min behind the wall clock. Reports what
// the memory admission refused (/metrics, /readyz) next to the peak RSS.
//
//   npm run build && node bench/cardinality.mjs        # CARD_PAIRS=1000000 CARD_BATCH=1000 CARD_CLIENTS=8
//   CARD_MODE=busy node bench/cardinality.mjs          # CARD_BUSY_SERIES=20000 CARD_ROUNDS=100
import { treeRssMiB } from './processTree.mjs';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import http from 'node:http';

/** Sum of every sample of a metric in a Prometheus text exposition (all label sets). */
const sumOf = (text, name) => text.split('\n').filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{')).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
import { createServer } from 'node:net';

const PAIRS = Number(process.env.CARD_PAIRS ?? 1_000_000);
const BATCH = Number(process.env.CARD_BATCH ?? 1_000);
const CLIENTS = Number(process.env.CARD_CLIENTS ?? 8);
const BUSY = process.env.CARD_MODE === 'busy';
const VARIANTS = BUSY ? 2 : 100;
const ROUNDS = Number(process.env.CARD_ROUNDS ?? 100);
const BUSY_SERIES = Number(process.env.CARD_BUSY_SERIES ?? 20_000);
const ROUND_MS = 5_000;
const busyStartMs = Date.now() - 20 * 60_000;
/** Busy mode: the i-th event of the run (round-major: every series once per round). */
const busyEvent = (i) => {
  const round = Math.floor(i / BUSY_SERIES);
  const s = i % BUSY_SERIES;
  return { ts: busyStartMs + round * ROUND_MS + Math.floor((s * ROUND_MS) / BUSY_SERIES), route: `busy-${Math.floor(s / VARIANTS)}`, variant: `v${s % VARIANTS}`, latency_ms: 200 + ((i * 7919) % 1800), input_tokens: 400, output_tokens: 150, correct: i % 17 !== 0 };
};
const TOTAL = BUSY ? BUSY_SERIES * ROUNDS : PAIRS;

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => resolve(p));
  });
});
// CARD_NODE_ARGS: flags for the daemon's node, e.g. '--max-old-space-size=640' (V8's heap limit under the memory budget).
const nodeArgs = (process.env.CARD_NODE_ARGS ?? '').split(' ').filter(Boolean);
// Busy mode: the route posted after the traffic is declared in the config (always admitted: the busy series
// that got in have left probation and are never evicted, so nothing else gets in until they retire).
const configFile = join(mkdtempSync(join(tmpdir(), 'pp-card-')), 'config.yaml');
writeFileSync(configFile, BUSY ? 'routes:\n  real-after-flood:\n    variants: [{ name: v1 }]\n' : '{}\n');
const daemon = spawn(process.execPath, [...nodeArgs, 'dist/cli/main.js', 'run'], {
  env: { ...process.env, PROMPTPILOT_CONFIG: configFile, PROMPTPILOT_PORT: String(port), PROMPTPILOT_LOG_LEVEL: 'warn', MALLOC_TRIM_THRESHOLD_: '131072' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
// The daemon never outlives this script, however it ends.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
process.on('exit', () => daemon.kill('SIGKILL'));
// The daemon's whole process tree: `run` re-executes itself with a derived heap limit (processTree.mjs).
const rssMiB = () => treeRssMiB(daemon.pid);
const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS });
function request(method, path, body) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, text, ms: performance.now() - started }));
    });
    req.on('error', (err) => (method === 'POST' ? resolve({ status: 'reset', text: '', ms: performance.now() - started, err }) : reject(err)));
    req.end(body);
  });
}
for (let i = 0; i < 1200; i++) {
  try {
    if ((await request('GET', '/readyz')).status === 200) break;
  } catch {}
  await new Promise((r) => setTimeout(r, 100));
}

let next = 0;
let sent = 0;
let accepted = 0;
let rejected = 0;
let shed = 0;
let resets = 0;
let unanswered = 0;
const other = {};
let peak = rssMiB();
const started = performance.now();
const sampler = setInterval(() => (peak = Math.max(peak, rssMiB())), 250);
async function client() {
  while (next < TOTAL) {
    const from = next;
    next += BATCH;
    const now = Date.now();
    const events = [];
    for (let i = from; i < Math.min(from + BATCH, TOTAL); i++) {
      events.push(BUSY ? busyEvent(i) : { ts: now, route: `junk-${Math.floor(i / VARIANTS)}`, variant: `v${i % VARIANTS}`, latency_ms: 100 });
    }
    for (;;) {
      const r = await request('POST', '/v1/events', JSON.stringify(events));
      // A shed request with a large body is answered before it is read and its connection closed: the
      // client may see that as a reset while still writing. Either way nothing was taken; retry.
      if (r.status === 503 || r.status === 'reset') {
        if (r.status === 'reset') resets++;
        shed++;
        await new Promise((res) => setTimeout(res, 200));
        continue;
      }
      if (r.status !== 202) {
        // anything else is a finding: counted by status, the batch not retried
        other[r.status] = (other[r.status] ?? 0) + 1;
        sent += events.length;
        unanswered += events.length;
        break;
      }
      const body = JSON.parse(r.text);
      sent += events.length;
      if (sent % 100_000 < events.length) {
        const m = (await request('GET', '/metrics')).text;
        process.stderr.write(`cardinality: ${sent} ${BUSY ? 'events' : 'pairs'} sent, ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${rssMiB()} MiB (peak ${peak}), heap used ${Math.round(sumOf(m, 'nodejs_heap_used_bytes') / 2 ** 20)} MiB of ${Math.round(sumOf(m, 'nodejs_heap_total_bytes') / 2 ** 20)}, series ${sumOf(m, 'promptpilot_series')}, refused ${sumOf(m, 'promptpilot_events_rejected_total')}\n`);
      }
      accepted += body.accepted;
      rejected += body.rejected;
      break;
    }
  }
}
await Promise.all(Array.from({ length: CLIENTS }, client));
const floodS = (performance.now() - started) / 1000;
// A real route right after: at the memory capacity a series gives way only once its route has been idle a
// bucket (10 s), so the real one may wait that long; posted once a second for up to 30 s.
const realStarted = performance.now();
let real = { accepted: 0 };
for (let i = 0; i < 30 && real.accepted !== 20; i++) {
  if (i > 0) await new Promise((r) => setTimeout(r, 1_000));
  real = JSON.parse((await request('POST', '/v1/events', JSON.stringify(Array.from({ length: 20 }, () => ({ ts: Date.now(), route: 'real-after-flood', variant: 'v1', latency_ms: 100 }))))).text);
}
const realAfterS = (performance.now() - realStarted) / 1000;
const scrape = await request('GET', '/metrics');
const readyz = await request('GET', '/readyz');
clearInterval(sampler);
peak = Math.max(peak, rssMiB());
const series = sumOf(scrape.text, 'promptpilot_series');
const evicted = sumOf(scrape.text, 'promptpilot_series_evicted_total');
const counted = sumOf(scrape.text, 'promptpilot_events_accepted_total');
const refusedRoute = sumOf(scrape.text.split('\n').filter((l) => l.includes('reason="route_limit"')).join('\n'), 'promptpilot_events_rejected_total');
const heapLimitMiB = Math.round(sumOf(scrape.text, 'nodejs_heap_size_limit_bytes') / 2 ** 20);
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
agent.destroy();
console.log(BUSY
  ? `busy series: ${BUSY_SERIES} series x ${ROUNDS} events (${(ROUNDS * ROUND_MS) / 1000} s of event time each) in ${BATCH}-event requests from ${CLIENTS} clients, ${floodS.toFixed(1)} s`
  : `cardinality flood: ${PAIRS} distinct (route, variant) pairs in ${BATCH}-event requests from ${CLIENTS} clients, ${floodS.toFixed(1)} s`);
console.log(`/readyz after: ${readyz.status} ${readyz.text}`);
console.table([{
  'sent': sent, 'accepted': accepted, 'rejected': rejected, 'accepted+rejected=sent': accepted + rejected + unanswered === sent, 'other answers': JSON.stringify(other),
  'counted (daemon)': counted, 'live series': series, 'evicted': evicted, '503 retries': shed, 'of them resets': resets,
  'refused (route_limit)': refusedRoute, 'peak RSS MiB': peak, 'heap limit MiB': heapLimitMiB, '/metrics KiB': Math.round(scrape.text.length / 1024), '/metrics ms': Math.round(scrape.ms),
  [BUSY ? 'declared route after' : 'real route after flood']: `${real.accepted}/20 accepted after ${realAfterS.toFixed(0)} s`,
}]);
if (accepted + rejected + unanswered !== sent || unanswered > 0 || peak >= 1024 || real.accepted !== 20) process.exitCode = 1;
