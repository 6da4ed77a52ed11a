// `npm run bench`: every benchmark, each against its baseline in the same run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const benches = [
  ['pipeline', ['--expose-gc', 'bench/pipeline.mjs']],
  ['otlp', ['--import', 'tsx', 'bench/otlp.ts']],
  ['kafka', ['--import', 'tsx', 'bench/kafka.ts']],
];
let failed = 0;
for (const [name, args] of benches) {
  const script = args[args.length - 1];
  if (!existsSync(script)) continue;
  console.log(`\n== ${name} ==`);
  const r = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed > 0 ? 1 : 0);
