// The probe process of bench/load.mjs: GET /healthz and /readyz on a fresh connection each, as a
// kubelet does, on a fixed schedule (every PROBE_PERIOD_MS, 100 by default) whether or not the
// previous probes have been answered, so a slow answer never thins out the samples.
//
// Driven over IPC by its parent: 'start' begins a step, 'stop' ends it (waits for the probes in
// flight, at most their timeout) and sends back the step's figures, 'exit' ends the process.
// Besides each probe's latency it records how long the TCP connect took (a full listen queue shows
// there: the kernel drops the handshake and the client retries after 1 s, 3 s, 7 s) and how late
// this process's own timer fired (a starved probe client is not a slow daemon).
import http from 'node:http';

// argv: the daemon's main port, then optionally its probe port (server.probe_port): each period probes both,
// and every sample says which it went to (`via`), so the two are compared in the same run.
const ports = [{ via: 'main', port: Number(process.argv[2]) }, ...(process.argv[3] ? [{ via: 'probe', port: Number(process.argv[3]) }] : [])];
const PERIOD_MS = Number(process.env.PROBE_PERIOD_MS ?? 100);
const TIMEOUT_MS = 10_000;

let samples = [];
let stepStartedMs = 0;
let inFlight = new Set();
let timer = null;

function probe(path, port, via) {
  return new Promise((resolve) => {
    const started = performance.now();
    let connectMs = NaN;
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, timeout: TIMEOUT_MS }, (res) => {
      res.resume();
      res.on('end', () => resolve({ path, via, status: res.statusCode, ms: performance.now() - started, connectMs }));
    });
    req.on('socket', (socket) => socket.once('connect', () => (connectMs = performance.now() - started)));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => resolve({ path, via, status: err.message === 'timeout' ? 'timeout' : 'error', ms: performance.now() - started, connectMs }));
  });
}

function fire(lateMs) {
  const sentAtMs = performance.now();
  for (const { via, port } of ports) {
    for (const path of ['/healthz', '/readyz']) {
      const p = probe(path, port, via).then((r) => {
        samples.push({ ...r, clientLateMs: lateMs, atMs: sentAtMs - stepStartedMs });
        inFlight.delete(p);
      });
      inFlight.add(p);
    }
  }
}

function start() {
  samples = [];
  stepStartedMs = performance.now();
  let due = performance.now() + PERIOD_MS;
  const tick = () => {
    const now = performance.now();
    fire(Math.max(0, now - due));
    due += PERIOD_MS;
    // catch up without a burst: the next probe is due one period after the one just sent at the latest
    if (due < now) due = now + PERIOD_MS;
    timer = setTimeout(tick, Math.max(0, due - performance.now()));
  };
  timer = setTimeout(tick, PERIOD_MS);
}

async function stop() {
  clearTimeout(timer);
  await Promise.all([...inFlight]);
  process.send(samples);
}

process.on('message', (m) => {
  if (m === 'start') start();
  else if (m === 'stop') void stop();
  else if (m === 'exit') process.exit(0);
});
process.on('disconnect', () => process.exit(0));
process.send('ready');
