// Cardinality flood: 1 M distinct (route, variant) pairs (10,000 routes x 100 variants, one event
// each) posted over HTTP to a daemon process on 127.0.0.1 with the default limits. Reports the
// daemon's peak RSS, live series, evictions, the size and time of a /metrics scrape, and whether
// a real route posted after the flood is admitted.
//
//   npm run build && node bench/cardinality.mjs        # CARD_PAIRS=1000000 CARD_BATCH=1000 CARD_CLIENTS=8
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';

/** Sum of every sample of a metric in a Prometheus text exposition (all label sets). */
const sumOf = (text, name) => text.split('\n').filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{')).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
import { createServer } from 'node:net';

const PAIRS = Number(process.env.CARD_PAIRS ?? 1_000_000);
const BATCH = Number(process.env.CARD_BATCH ?? 1_000);
const CLIENTS = Number(process.env.CARD_CLIENTS ?? 8);
const VARIANTS = 100;

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port: p } = s.address();
    s.close(() => resolve(p));
  });
});
// CARD_NODE_ARGS: flags for the daemon's node, e.g. '--max-old-space-size=640' (V8's heap limit under the memory budget).
const nodeArgs = (process.env.CARD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const daemon = spawn(process.execPath, [...nodeArgs, 'dist/cli/main.js', 'run'], {
  env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: String(port), PROMPTPILOT_LOG_LEVEL: 'warn', MALLOC_TRIM_THRESHOLD_: '131072' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
// The daemon never outlives this script, however it ends.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
process.on('exit', () => daemon.kill('SIGKILL'));
const rssMiB = () => Math.round(Number(readFileSync(`/proc/${daemon.pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024);
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
  while (next < PAIRS) {
    const from = next;
    next += BATCH;
    const now = Date.now();
    const events = [];
    for (let i = from; i < Math.min(from + BATCH, PAIRS); i++) {
      events.push({ ts: now, route: `junk-${Math.floor(i / VARIANTS)}`, variant: `v${i % VARIANTS}`, latency_ms: 100 });
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
        process.stderr.write(`cardinality: ${sent} pairs sent, ${((performance.now() - started) / 1000).toFixed(0)} s, RSS ${rssMiB()} MiB (peak ${peak}), heap used ${Math.round(sumOf(m, 'nodejs_heap_used_bytes') / 2 ** 20)} MiB of ${Math.round(sumOf(m, 'nodejs_heap_total_bytes') / 2 ** 20)}, series ${sumOf(m, 'promptpilot_series')}\n`);
      }
      accepted += body.accepted;
      rejected += body.rejected;
      break;
    }
  }
}
await Promise.all(Array.from({ length: CLIENTS }, client));
const floodS = (performance.now() - started) / 1000;
const real = JSON.parse((await request('POST', '/v1/events', JSON.stringify(Array.from({ length: 20 }, () => ({ ts: Date.now(), route: 'real-after-flood', variant: 'v1', latency_ms: 100 }))))).text);
const scrape = await request('GET', '/metrics');
clearInterval(sampler);
peak = Math.max(peak, rssMiB());
const series = sumOf(scrape.text, 'promptpilot_series');
const evicted = sumOf(scrape.text, 'promptpilot_series_evicted_total');
const counted = sumOf(scrape.text, 'promptpilot_events_accepted_total');
daemon.kill('SIGTERM');
await new Promise((r) => daemon.once('exit', r));
agent.destroy();
console.log(`cardinality flood: ${PAIRS} distinct (route, variant) pairs in ${BATCH}-event requests from ${CLIENTS} clients, ${floodS.toFixed(1)} s`);
console.table([{
  'sent': sent, 'accepted': accepted, 'rejected': rejected, 'accepted+rejected=sent': accepted + rejected + unanswered === sent, 'other answers': JSON.stringify(other),
  'counted (daemon)': counted, 'live series': series, 'evicted': evicted, '503 retries': shed, 'of them resets': resets,
  'peak RSS MiB': peak, '/metrics KiB': Math.round(scrape.text.length / 1024), '/metrics ms': Math.round(scrape.ms),
  'real route after flood': `${real.accepted}/20 accepted`,
}]);
if (accepted + rejected + unanswered !== sent || unanswered > 0 || peak >= 1024 || real.accepted !== 20) process.exitCode = 1;
