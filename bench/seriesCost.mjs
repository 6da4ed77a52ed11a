// What one (route, variant) series costs in memory: an engine in this process (default config) fed
// SERIES_ROUTES routes x 2 variants, one call per route and variant every SERIES_STEP_MS of event time
// for SERIES_SPAN_MS (400 s: every 5-minute window full). Sizes are read after a full GC, per series:
// RSS, V8 heap and ArrayBuffers (the quantile sketches' bins, outside the heap).
//
//   npm run build && node --expose-gc bench/seriesCost.mjs     # SERIES_ROUTES=2000 SERIES_STEP_MS=5000 SERIES_SPAN_MS=400000
import { parseConfig } from '../dist/config/load.js';
import { PipelineEngine } from '../dist/engine/engine.js';

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc bench/seriesCost.mjs');
  process.exit(2);
}
const ROUTES = Number(process.env.SERIES_ROUTES ?? 2_000);
const STEP_MS = Number(process.env.SERIES_STEP_MS ?? 5_000);
const SPAN_MS = Number(process.env.SERIES_SPAN_MS ?? 400_000);
const VARIANTS = 2;
const SERIES = ROUTES * VARIANTS;
const T0 = Date.parse('2026-01-05T00:00:00Z');

const measure = () => {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers };
};
const perSeries = (label, now, base) => ({
  state: label,
  'RSS KB': ((now.rss - base.rss) / SERIES / 1024).toFixed(1),
  'heap KB': ((now.heap - base.heap) / SERIES / 1024).toFixed(1),
  'ArrayBuffers KB': ((now.buffers - base.buffers) / SERIES / 1024).toFixed(1),
});

const engine = new PipelineEngine(parseConfig({}));
const empty = measure();
const rows = [];
let n = 0;
for (let t = 0; t < SPAN_MS; t += STEP_MS) {
  const batch = [];
  for (let r = 0; r < ROUTES; r++) {
    for (let v = 0; v < VARIANTS; v++) {
      n++;
      batch.push({ ts: T0 + t + ((r * 13) % STEP_MS), route: `route-${r}`, variant: `v${v}`, latencyMs: 200 + ((n * 7919) % 1800), inputTokens: 400, outputTokens: 150, correct: n % 17 !== 0, isError: false });
    }
  }
  batch.sort((a, b) => a.ts - b.ts);
  engine.ingest(batch);
  if (t === 0) rows.push(perSeries('one event', measure(), empty));
}
rows.push(perSeries(`window full (${SPAN_MS / 1000} s of calls every ${STEP_MS / 1000} s)`, measure(), empty));
console.log(`series cost: ${ROUTES} routes x ${VARIANTS} variants = ${SERIES} series, ${n} events; live routes ${engine.stateSizes().routes}`);
console.table(rows);
