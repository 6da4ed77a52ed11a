// Load figures for docs/reliability.md: throughput, latency, shed rate, probe latency and RSS at
// 1, 10, 100 and 1,000 concurrent HTTP clients against a real daemon process on 127.0.0.1.
//
//   npm run build && node bench/load.mjs              # LOAD_SECONDS=5 per step, LOAD_BATCH=20 events a request
//
// The daemon runs as its own process (`promptpilot run`, embedded defaults); this process is the
// load client (Node http, keep-alive, one connection per client); a third process
// (bench/probeClient.mjs) probes: a new connection for GET /healthz and one for /readyz every
// 100 ms, as a kubelet does, so probe latency is the daemon's and not this busy client's. A probe
// "over 1 s" is one a kubelet with its default 1 s timeout would count as failed. The daemon also
// opens its probe port (server.probe_port, answered by a worker thread) and every probe goes to both
// ports: the columns give main port / probe port. Traffic goes to
// loopback only and every step is bounded in time. At the end the events the daemon counted
// (promptpilot_events_accepted_total) are compared with the sum of `accepted` in its answers.
import { treeCpuSeconds, treeRssMiB } from './processTree.mjs';
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { getPriority, loadavg, setPriority } from 'node:os';

/** Sum of every sample of a metric in a Prometheus text exposition (all label sets). */
const sumOf = (text, name) => text.split('\n').filter((l) => l.startsWith(name + ' ') || l.startsWith(name + '{')).reduce((a, l) => a + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
import { createServer } from 'node:net';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 5);
const BATCH = Number(process.env.LOAD_BATCH ?? 20);
const STEPS = (process.env.LOAD_CLIENTS ?? '1,10,100,1000').split(',').map(Number);
const ROUTES = 100;
const CLIENT_TIMEOUT_MS = 30_000;

/** Connections the kernel refused because the daemon's listen queue was full (whole network namespace). */
function listenOverflows() {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n').filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0].split(/\s+/);
    const values = lines[1].split(/\s+/);
    return Number(values[names.indexOf('ListenOverflows')]);
  } catch {
    return NaN;
  }
}

const freePort = () => new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => resolve(port));
  });
});

const port = await freePort();
const probePort = await freePort();
// LOAD_NODE_ARGS: flags for the daemon's node, e.g. '--cpu-prof --cpu-prof-dir=/tmp/prof' to see where its time goes.
const nodeArgs = (process.env.LOAD_NODE_ARGS ?? '').split(' ').filter(Boolean);
const daemon = spawn(process.execPath, [...nodeArgs, 'dist/cli/main.js', 'run'], {
  env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: String(port), PROMPTPILOT_PROBE_PORT: String(probePort), PROMPTPILOT_LOG_LEVEL: 'warn', MALLOC_TRIM_THRESHOLD_: '131072' },
  stdio: ['ignore', 'inherit', 'inherit'],
});
// The daemon never outlives this script, however it ends.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(130));
process.on('exit', () => daemon.kill('SIGKILL'));
/** CPU seconds the daemon (its process tree: see processTree.mjs) used so far. */
const cpuSeconds = () => treeCpuSeconds(daemon.pid);
const rssMiB = () => treeRssMiB(daemon.pid);

function request(agent, method, path, body) {
  return new Promise((resolve) => {
    const started = performance.now();
    const req = http.request({ host: '127.0.0.1', port, method, path, agent, timeout: CLIENT_TIMEOUT_MS, headers: body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {} }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, ms: performance.now() - started, text }));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ status: err.message === 'timeout' ? 'timeout' : 'error', ms: performance.now() - started, text: '' }));
    req.end(body);
  });
}

for (let i = 0; i < 1200; i++) {
  const r = await request(undefined, 'GET', '/readyz');
  if (r.status === 200) break;
  await new Promise((res) => setTimeout(res, 100));
}

let seq = 0;
function batchBody() {
  const now = Date.now();
  const events = [];
  for (let i = 0; i < BATCH; i++) {
    seq++;
    events.push({ ts: now, route: `route-${seq % ROUTES}`, variant: 'v1', latency_ms: 200 + (seq % 400), input_tokens: 500, output_tokens: 100, cost_usd: 0.001 });
  }
  return JSON.stringify(events);
}

const prober = fork(new URL('./probeClient.mjs', import.meta.url), [String(port), String(probePort)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
process.on('exit', () => prober.kill('SIGKILL'));
await new Promise((res) => prober.once('message', res));
const probeStep = () => {
  prober.send('start');
  return () => new Promise((res) => {
    prober.once('message', res);
    prober.send('stop');
  });
};

// The load client lowers its own priority (LOAD_CLIENT_NICE, 10 by default) once the daemon and the probe
// process run: on one machine the 1,000 clients would otherwise take the daemon's CPU, which in production
// they do not (they run elsewhere, the sidecar has its own CPU share). The daemon and the probe keep the
// priority this script was started with.
const clientNice = Number(process.env.LOAD_CLIENT_NICE ?? 10);
if (clientNice > 0) setPriority(Math.min(19, getPriority() + clientNice));

const pct = (sorted, q) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
const fmt = (n) => (Number.isFinite(n) ? n.toFixed(1) : '-');
let acceptedByAnswers = 0;
const rows = [];

for (const clients of STEPS) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const deadline = performance.now() + SECONDS * 1000;
  const latencies = [];
  const statuses = {};
  let stepAccepted = 0;
  let peakRss = rssMiB();
  const cpuBefore = cpuSeconds();
  const stopProbes = probeStep();
  const overflowsBefore = listenOverflows();
  const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, rssMiB())), 200);
  const bodies = Array.from({ length: 64 }, batchBody);
  let next = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const r = await request(agent, 'POST', '/v1/events', bodies[next++ % bodies.length]);
      statuses[r.status] = (statuses[r.status] ?? 0) + 1;
      if (r.status === 202) {
        latencies.push(r.ms);
        stepAccepted += JSON.parse(r.text).accepted;
      } else if (r.status === 'error' || r.status === 'timeout') {
        await new Promise((res) => setTimeout(res, 100));
      } else if (r.status === 503) {
        // a shed client backs off as Retry-After asks (capped to the step)
        await new Promise((res) => setTimeout(res, Math.min(1000, Math.max(0, deadline - performance.now()))));
      }
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: clients }, worker));
  const elapsedS = (performance.now() - started) / 1000;
  clearInterval(rssTimer);
  const daemonCpuS = cpuSeconds() - cpuBefore;
  const probes = await stopProbes();
  const overflows = listenOverflows() - overflowsBefore;
  if (process.env.LOAD_VERBOSE) console.log(JSON.stringify(probes.filter((p) => !(p.ms <= 1000)).map((p) => [Math.round(p.atMs), Math.round(p.ms), Math.round(p.connectMs), p.status])));
  const probeMsVia = (via) => probes.filter((p) => p.via === via).map((p) => p.ms).sort((a, b) => a - b);
  const both = (f) => `${f('main')} / ${f('probe')}`;
  const lateVia = (via) => probes.filter((p) => p.via === via && (typeof p.status !== 'number' || p.ms > 1000)).length;
  const connectMaxMs = Math.max(0, ...probes.map((p) => p.connectMs).filter(Number.isFinite));
  const probeClientLateMs = Math.max(0, ...probes.map((p) => p.clientLateMs));
  agent.destroy();
  acceptedByAnswers += stepAccepted;
  latencies.sort((a, b) => a - b);
  const total = Object.values(statuses).reduce((a, b) => a + b, 0);
  rows.push({
    clients,
    'req/s (202)': fmt(latencies.length / elapsedS),
    'events/s': Math.round(stepAccepted / elapsedS),
    'p50 ms': fmt(pct(latencies, 0.5)),
    'p99 ms': fmt(pct(latencies, 0.99)),
    'shed %': fmt((100 * (statuses[503] ?? 0)) / Math.max(1, total)),
    'timeouts/errors': (statuses.timeout ?? 0) + (statuses.error ?? 0),
    'probes main / probe port': both((via) => probes.filter((p) => p.via === via).length),
    'probe p50 ms': both((via) => fmt(pct(probeMsVia(via), 0.5))),
    'probe p99 ms': both((via) => fmt(pct(probeMsVia(via), 0.99))),
    'probe max ms': both((via) => fmt(probeMsVia(via).at(-1))),
    'probes > 1 s': both(lateVia),
    'probe connect max ms': fmt(connectMaxMs),
    'readyz 503': both((via) => probes.filter((p) => p.via === via && p.path === '/readyz' && p.status === 503).length),
    'listen overflows': overflows,
    'probe client late max ms': fmt(probeClientLateMs),
    'daemon CPU %': Math.round((100 * daemonCpuS) / elapsedS),
    'CPU ms/req': fmt((1000 * daemonCpuS) / Math.max(1, total)),
    'peak RSS MiB': peakRss,
  });
  await new Promise((res) => setTimeout(res, 1500)); // let the overload hold expire between steps
}

const metrics = (await request(undefined, 'GET', '/metrics')).text;
const counted = sumOf(metrics, 'promptpilot_events_accepted_total');
const late = sumOf(metrics, 'promptpilot_events_late_total');
prober.send('exit');
daemon.kill('SIGTERM');
await new Promise((res) => daemon.once('exit', res));

console.log(`load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')} on this machine`);
console.log(`load: ${SECONDS}s per step, ${BATCH} events per request, ${ROUTES} routes, client timeout ${CLIENT_TIMEOUT_MS / 1000}s`);
console.table(rows);
console.log(`accounting: accepted in answers ${acceptedByAnswers}, counted by the daemon ${counted} (late ${late}) -> ${acceptedByAnswers === counted ? 'equal' : 'MISMATCH'}`);
if (acceptedByAnswers !== counted) process.exitCode = 1;
