import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(process.cwd(), 'scripts/check-architecture.mjs');
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** Runs the check on a tree made of `files` (path → text); returns its exit status and complaints. */
function check(files: Record<string, string>): { status: number | null; errors: string[] } {
  const root = mkdtempSync(join(tmpdir(), 'arch-'));
  roots.push(root);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  const run = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { status: run.status, errors: run.stderr.split('\n').filter((l) => l !== '') };
}

describe('scripts/check-architecture.mjs', () => {
  it('passes the repository itself', () => {
    const run = spawnSync(process.execPath, [script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });

  it('names every offence: IO clients, side-effect and dynamic imports, runtime/app/telemetry code, clocks, export *', () => {
    const { status, errors } = check({
      'src/core/a.ts': "import { Kafka } from 'kafkajs';\nimport 'ioredis';\n",
      'src/engine/b.ts': "export { x } from '../runtime/pipelineRunner.js';\nconst m = await import('node:fs');\n",
      'src/detectors/c.ts': "import { IngestService } from '../app/ingestService.js';\nimport type { X } from '../telemetry/index.js';\n",
      'src/config/schema.ts': "import { readFileSync } from 'node:fs';\nexport const t = Date.now();\n",
      'src/ports/ports.ts': "import type { FastifyInstance } from 'fastify';\n",
      'src/runtime/ok.ts': "import { pino } from 'pino';\nexport * from './x.js';\n",
    });
    expect(status).toBe(1);
    expect(errors).toEqual(expect.arrayContaining([
      "src/core/a.ts: pure core imports 'kafkajs'",
      "src/core/a.ts: pure core imports 'ioredis'",
      "src/engine/b.ts: pure core imports '../runtime/pipelineRunner.js'",
      "src/engine/b.ts: pure core imports 'node:fs'",
      "src/detectors/c.ts: pure core imports '../app/ingestService.js'",
      "src/detectors/c.ts: pure core imports '../telemetry/index.js'",
      "src/config/schema.ts: pure core imports 'node:fs'",
      'src/config/schema.ts: pure core reads the wall clock or an unseeded RNG (inject a Clock/scheduler/seeded RNG)',
      "src/ports/ports.ts: pure core imports 'fastify'",
      "src/runtime/ok.ts: 'export *' — list public names explicitly",
    ]));
    expect(errors).toHaveLength(10);
  });

  it('names an inbound adapter (HTTP, CLI) that drives the engine or reads a stateful port instead of going through src/app', () => {
    const { status, errors } = check({
      'src/cli/replay.ts': "import { PipelineEngine } from '../engine/engine.js';\nimport { tooLateMessage } from '../engine/tooLate.js';\n",
      'src/adapters/http/server.ts': "import type { DecisionLog, DecisionQuery, Ingestor } from '../../ports/ports.js';\n",
      'src/adapters/http/outbox.ts': "import {\n  type Outbox as Box,\n  type JsonValue,\n} from '../../ports/ports.js';\n",
      // Allowed: pricing is a pure function; the ingest port is what the app implements; the app and outbound adapters use ports.
      'src/cli/gate.ts': "import { withCost } from '../engine/costing.js';\n",
      'src/adapters/http/events.ts': "import type { Ingestor } from '../../ports/ports.js';\n",
      'src/app/decisionHistory.ts': "import type { DecisionLog } from '../ports/ports.js';\nimport { PipelineEngine } from '../engine/engine.js';\n",
      'src/adapters/redis/log.ts': "import type { DecisionLog } from '../../ports/ports.js';\n",
    });
    expect(status).toBe(1);
    expect(errors.sort()).toEqual([
      "src/adapters/http/outbox.ts: adapter reads the Outbox port directly (go through an application service in src/app)",
      "src/adapters/http/server.ts: adapter reads the DecisionLog port directly (go through an application service in src/app)",
      "src/cli/replay.ts: adapter imports engine code '../engine/engine.js' (call an application service in src/app)",
      "src/cli/replay.ts: adapter imports engine code '../engine/tooLate.js' (call an application service in src/app)",
    ]);
  });

  it('lets the config loader read files, adapters do IO, and comments name what they avoid', () => {
    const { status, errors } = check({
      'src/config/load.ts': "import { readFile } from 'node:fs/promises';\n",
      'src/adapters/kafka/k.ts': "import { Kafka } from 'kafkajs';\nexport const n = Date.now();\n",
      'src/core/d.ts': "// never import 'kafkajs' here, nor call Date.now()\n/* setTimeout( is banned */\nexport const x = 1;\n",
    });
    expect(errors).toEqual([]);
    expect(status).toBe(0);
  });
});
