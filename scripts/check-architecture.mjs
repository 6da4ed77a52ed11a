#!/usr/bin/env node
// Keeps the pure core pure: core, streams, detectors, actions and abtest may not
// import IO clients, node IO modules, or adapter code. Exit 1 naming each offence.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const PURE = ['src/core', 'src/windows', 'src/streams', 'src/codecs', 'src/detectors', 'src/actions', 'src/abtest', 'src/engine', 'src/variants', 'src/sim'];
const BANNED = [
  /^kafkajs/, /^ioredis/, /^pino/, /^fastify/, /^@opentelemetry\//, /^node:(http|https|net|fs|fs\/promises|child_process|dgram|tls|zlib)$/,
  /^(http|https|net|fs|child_process|dgram|tls|zlib)$/, /\/adapters\//, /\/cli\//,
];
const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

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
  for (const file of walk(dir)) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(IMPORT)) {
      const spec = match[1] ?? match[2];
      if (BANNED.some((re) => re.test(spec))) problems.push(`${relative('.', file)}: pure core imports '${spec}'`);
    }
    if (/\bDate\.now\(\)|\bsetTimeout\(|\bsetInterval\(|\bMath\.random\(/.test(text)) {
      problems.push(`${relative('.', file)}: pure core reads the wall clock or an unseeded RNG (inject a Clock/scheduler/seeded RNG)`);
    }
  }
}
for (const file of walk('src')) {
  if (/^\s*export \* from/m.test(readFileSync(file, 'utf8'))) problems.push(`${relative('.', file)}: 'export *' — list public names explicitly`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`architecture check: ${PURE.join(', ')} import no IO`);
