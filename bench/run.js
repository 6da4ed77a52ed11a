// `npm run bench`: every benchmark, each against its baseline in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

// The pipeline benchmark asks glibc to return freed memory (MALLOC_TRIM_THRESHOLD_): without it
// RSS wanders by +-10 % between runs from allocator free lists while the JS heap stays flat, and
// the figure is meant to show retained memory. The same setting is recommended for the daemon
// (docs/operations.md).
const benches = [
  ['pipeline', ['--expose-gc', 'bench/pipeline.mjs'], { MALLOC_TRIM_THRESHOLD_: '131072' }],
  // Many variants (issue 8): 1 M events over 1,000 routes × 2 variants in one hour of event time (each series sees a
  // call every ~7 s, so nearly every event crosses a bucket boundary), and 10,000 routes × 1 variant. One hour of
  // warm-up first; then the same file through JSON.parse and the pipeline, with where the time per event goes.
  ['pipeline: 1,000 routes × 2 variants', ['--expose-gc', 'bench/pipeline.mjs', '--variants', '2', '--seconds', '3600', '--long', '1000000', '--breakdown']],
  ['pipeline: 10,000 routes × 1 variant', ['--expose-gc', 'bench/pipeline.mjs', '--routes', '10000', '--seconds', '3600', '--long', '1000000', '--breakdown']],
  // Foresight's per-call bookkeeping (hourly rollups per route and variant, anomaly counts, spend) as a share of ingest.
  ['foresight', ['--expose-gc', 'bench/foresight.mjs']],
  ['otlp', ['--import', 'tsx', 'bench/otlp.ts']],
  ['kafka', ['--import', 'tsx', 'bench/kafka.ts']],
  ['metrics', ['--import', 'tsx', 'bench/metrics.ts']],
  // HTTP load at 1-1,000 clients against a daemon process on loopback (docs/reliability.md).
  ['load', ['bench/load.mjs'], { LOAD_SECONDS: process.env.LOAD_SECONDS ?? '5' }],
];
let failed = 0;
for (const [name, args, env = {}] of benches) {
  const script = args[args.length - 1];
  if (!existsSync(script)) continue;
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, ...env } });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
