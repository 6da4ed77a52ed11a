// Two builds' engines in one process, on the same synthetic traffic, alternating per chunk (and which goes first):
// the A/B comparison for engine changes on a shared, noisy machine, where two separate bench runs differ by ±10 %.
// Usage: node --expose-gc bench/abEngine.mjs DIR_A DIR_B [--routes 1000] [--variants 2] [--seconds 3600] [--events 1000000] [--no-rules]
//   DIR_A, DIR_B: checkouts with a built dist/ (e.g. a worktree of main and your branch).
// Each engine first takes --events events (warm-up: every series, window and pool allocated), then --events more,
// timed in CPU time around engine.ingest only (decoding is outside: it is the same code in both unless you changed it).
// Prints µs/event of each and B/A, the total and the median of per-chunk ratios. Both engines share the CPU's caches,
// so absolute figures run higher than a lone bench/pipeline.mjs; the ratio is what this measures. A build against
// itself gives B/A 1.00 ± 0.02.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { syntheticCalls } from './syntheticCalls.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const dirs = process.argv.slice(2, 4);
if (dirs.length !== 2 || dirs.some((d) => d.startsWith('--'))) {
  console.error('usage: node --expose-gc bench/abEngine.mjs DIR_A DIR_B [--routes N] [--variants N] [--seconds S] [--events N] [--no-rules]');
  process.exit(2);
}
const ROUTES = arg('routes', 1000);
const VARIANTS = arg('variants', 2);
const EVENTS = arg('events', 1_000_000);
const SECONDS = arg('seconds', 3600);
const CHUNK = 20_000;
const noRules = process.argv.includes('--no-rules');

const load = async (dir, file) => import(pathToFileURL(resolve(dir, 'dist', file)).href);
const sides = [];
for (const dir of dirs) {
  const { parseConfig } = await load(dir, 'config/load.js');
  const { PipelineEngine } = await load(dir, 'engine/engine.js');
  const { NdjsonEventDecoder } = await load(dir, 'codecs/ndjson.js');
  // No detection at all: every rule off by name (`rules: []` would merge with the defaults), monitoring rules off.
  const none = { rules: parseConfig({}).rules.map((r) => ({ name: r.name, enabled: false })), monitoring: { anomaly: { enabled: false }, predictive_degradation: { enabled: false } } };
  sides.push({ dir, engine: new PipelineEngine(parseConfig(noRules ? none : {})), decoder: new NdjsonEventDecoder(false), cpuMs: 0, perChunk: [] });
}
const chunk = syntheticCalls({ routes: ROUTES, variants: VARIANTS, eventsPerSecond: EVENTS / SECONDS });
const chunks = Math.ceil((2 * EVENTS) / CHUNK);
const timedFrom = chunks / 2;
for (let k = 0; k < chunks; k++) {
  const text = chunk(k, CHUNK);
  for (const s of k % 2 === 0 ? [0, 1] : [1, 0]) {
    const side = sides[s];
    const events = [];
    side.decoder.push(text, events, []);
    const start = process.cpuUsage();
    side.engine.ingest(events);
    const d = process.cpuUsage(start);
    if (k >= timedFrom) {
      const ms = (d.user + d.system) / 1000;
      side.cpuMs += ms;
      side.perChunk.push(ms);
    }
  }
  if (k === timedFrom - 1) globalThis.gc?.();
}
const median = (values) => [...values].sort((x, y) => x - y)[values.length >> 1];
const timed = (chunks - timedFrom) * CHUNK;
for (const [name, s] of [['A', sides[0]], ['B', sides[1]]]) {
  console.log(`${name} ${s.dir}: ${((s.cpuMs * 1000) / timed).toFixed(3)} µs/event (median chunk ${((median(s.perChunk) * 1000) / CHUNK).toFixed(3)})`);
}
const ratios = sides[1].perChunk.map((b, i) => b / sides[0].perChunk[i]);
console.log(`B/A engine CPU: total ${(sides[1].cpuMs / sides[0].cpuMs).toFixed(3)}, median per chunk ${median(ratios).toFixed(3)} (${ROUTES} routes × ${VARIANTS} variants, ${EVENTS / 1e6} M events over ${SECONDS} s warm, then the same timed${noRules ? ', no detection' : ''})`);
