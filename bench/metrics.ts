// /metrics with many series in memory: size and scrape time of the exposition, against the
// baseline of rendering the same number of plain text lines in the same process.
// `node --import tsx bench/metrics.ts [series]` (default 100,000 route x variant series).
import { performance } from 'node:perf_hooks';
import { ConfigSchema } from '../src/config/schema.js';
import type { TelemetryEvent } from '../src/core/event.js';
import { PipelineEngine } from '../src/engine/engine.js';
import { startSelfTelemetry } from '../src/telemetry/index.js';

const series = Number(process.argv[2] ?? 100_000);
const variants = 2;
const routes = Math.ceil(series / variants);
const T0 = Date.UTC(2026, 0, 1);
const engine = new PipelineEngine(ConfigSchema.parse({ limits: { max_routes: routes + 1, max_variants_per_route: variants } }));
const batch: TelemetryEvent[] = [];
let built = performance.now();
for (let r = 0; r < routes; r++) {
  for (let v = 0; v < variants; v++) batch.push({ ts: T0 + (r % 5000), route: `route-${r}`, variant: `v${v}`, latencyMs: 100 + (r % 900), isError: false } as TelemetryEvent);
  if (batch.length >= 10_000) engine.ingest(batch.splice(0));
}
engine.ingest(batch.splice(0));
built = performance.now() - built;

const config = ConfigSchema.parse({});
const telemetry = startSelfTelemetry(
  config.telemetry,
  {
    gauges: { routes: () => engine.stateSizes().routes, inFlight: () => 0, experimentStatuses: () => [], stateSizes: () => engine.stateSizes(), lateEvents: () => engine.counters.late, kafkaLag: () => [] },
    routes: engine,
  },
  { nowMs: () => T0 + 60_000 },
);

const scrapes: number[] = [];
let text = '';
for (let i = 0; i < 10; i++) {
  const t = performance.now();
  text = await telemetry.metricsText();
  scrapes.push(performance.now() - t);
}
scrapes.sort((a, b) => a - b);
// Baseline: what the old exposition did per series at minimum — format one line per (route, variant).
let baseline = performance.now();
let lines = 0;
for (let r = 0; r < routes; r++) for (let v = 0; v < variants; v++) lines += `promptpilot_route_requests{route="route-${r}",variant="v${v}"} 1\n`.length;
baseline = performance.now() - baseline;
await telemetry.shutdown();

const median = scrapes[Math.floor(scrapes.length / 2)]!;
console.log(`series in memory        ${engine.stateSizes().routes * variants} (${routes} routes x ${variants} variants), built in ${(built / 1000).toFixed(1)} s`);
console.log(`/metrics size           ${Buffer.byteLength(text)} bytes, ${text.split('\n').filter((l) => l.length > 0 && !l.startsWith('#')).length} samples (top_routes ${config.telemetry.top_routes})`);
console.log(`scrape time             median ${median.toFixed(1)} ms, max ${scrapes[scrapes.length - 1]!.toFixed(1)} ms (10 scrapes)`);
console.log(`baseline                one text line per series: ${baseline.toFixed(1)} ms, ${lines} bytes`);
console.log(`ratio                   scrape / one-line-per-series = ${(median / baseline).toFixed(2)}; size ratio = ${(Buffer.byteLength(text) / lines).toFixed(4)}`);
