#!/usr/bin/env node
// Keeps the pure core pure. The core (and config, ports) may not import IO clients, node IO
// modules, adapter, CLI, runtime, application or telemetry code — whether by `import … from`,
// `export … from`, a side-effect `import 'x'` or a dynamic `import('x')` — nor read the wall clock
// or an unseeded RNG. Inbound adapters (HTTP, CLI) import no engine code and no stateful port: they go through
// src/app. Nowhere in src: `export *`. Exit 1 naming each offence.
// Usage: node scripts/check-architecture.mjs [ROOT]   (ROOT defaults to the current directory)
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = process.argv[2] ?? '.';
const PURE = ['src/core', 'src/notify', 'src/windows', 'src/streams', 'src/codecs', 'src/detectors', 'src/actions', 'src/abtest', 'src/engine', 'src/variants', 'src/sim', 'src/config', 'src/ports', 'src/foresight'];
const BANNED = [
  /^kafkajs/, /^ioredis/, /^pino/, /^fastify/, /^@opentelemetry\//, /^node:(http|https|net|fs|fs\/promises|child_process|dgram|tls|zlib|worker_threads|cluster)$/,
  /^(http|https|net|fs|fs\/promises|child_process|dgram|tls|zlib|worker_threads|cluster)$/,
  /(^|\/)adapters\//, /(^|\/)cli\//, /(^|\/)runtime\//, /(^|\/)app\//, /(^|\/)telemetry\//, /(^|\/)daemon(\.js)?$/,
];
/** The one file of the pure folders allowed to read files: the config loader. */
const ALLOWED = { 'src/config/load.ts': [/^node:fs\/promises$/] };
// `import x from 'm'`, `export {x} from 'm'`, `import 'm'` (side effect only), `import('m')`.
const IMPORT = /(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]|^\s*import\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/gm;
// Only what runs: comments may name what they avoid.
const withoutComments = (text) => text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

function* walk(dir) {
  let entries;
  try { entries = readdirSync(dir); } catch { return; }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* walk(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

const problems = [];
for (const dir of PURE) {
  for (const file of walk(join(root, dir))) {
    const name = relative(root, file);
    const text = withoutComments(readFileSync(file, 'utf8'));
    const allowed = ALLOWED[name] ?? [];
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (BANNED.some((re) => re.test(spec)) && !allowed.some((re) => re.test(spec))) problems.push(`${name}: pure core imports '${spec}'`);
    }
    if (/\bDate\.now\(\)|\bsetTimeout\(|\bsetInterval\(|\bMath\.random\(/.test(text)) {
      problems.push(`${name}: pure core reads the wall clock or an unseeded RNG (inject a Clock/scheduler/seeded RNG)`);
    }
  }
}
// Inbound adapters (HTTP, the CLI) reach the core through the application services in src/app: they do not drive the
// engine themselves nor read the stateful ports (decision log, outbox, state store, history) directly — a rule such
// as a page bound or a cardinality limit then lives once. Pricing an event (engine/costing) is a pure function the
// offline gate may use.
const INBOUND = ['src/adapters/http', 'src/cli'];
const ENGINE = /(^|\/)engine\/(?!costing(\.js)?$)/;
const STATEFUL_PORTS = ['DecisionLog', 'Outbox', 'StateStore', 'HistoryStore'];
const PORTS_IMPORT = /import\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]*ports\/(?:ports|index)(?:\.js)?)['"]/g;
for (const dir of INBOUND) {
  for (const file of walk(join(root, dir))) {
    const name = relative(root, file);
    const text = withoutComments(readFileSync(file, 'utf8'));
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2] ?? match[3];
      if (ENGINE.test(spec)) problems.push(`${name}: adapter imports engine code '${spec}' (call an application service in src/app)`);
    }
    for (const match of text.matchAll(PORTS_IMPORT)) {
      const names = match[1].split(',').map((n) => n.trim().replace(/^type\s+/, '').split(/\s+as\s+/)[0]);
      for (const port of names.filter((n) => STATEFUL_PORTS.includes(n))) {
        problems.push(`${name}: adapter reads the ${port} port directly (go through an application service in src/app)`);
      }
    }
  }
}
for (const file of walk(join(root, 'src'))) {
  if (/^\s*export \* from/m.test(readFileSync(file, 'utf8'))) problems.push(`${relative(root, file)}: 'export *' — list public names explicitly`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`architecture check: ${PURE.join(', ')} import no IO, runtime or app code; ${INBOUND.join(', ')} reach the engine and stateful ports only through src/app`);
