// Writes days of the seeded simulator's traffic (config/demo.yaml's routes, any rate and degradations)
// as an NDJSON file, streamed a minute at a time, and replays files through the real `replay` command code.
import { closeSync, mkdtempSync, openSync, readFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { toWireEvent } from '../../src/codecs/wireEvent.js';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig, parseYaml } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { createSimulator } from '../../src/sim/index.js';

export const DAY_MS = 86_400_000;
/** Simulated time origin: midnight UTC. */
export const SIM_T0 = Date.parse('2026-01-05T00:00:00Z');

export interface SimulatedDays {
  /** Calls per second per route (0.2 = 12 calls/min). */
  readonly ratePerSecond: number;
  readonly days: number;
  readonly seed?: number;
  /** `simulator.degradations` entries (durations as strings allowed); none = healthy. */
  readonly degradations?: readonly Record<string, unknown>[];
  /** Config overrides merged over the demo config's sections (e.g. `rules`). */
  readonly overrides?: Record<string, unknown>;
}

/** config/demo.yaml as raw YAML data. */
export function demoRaw(): Record<string, unknown> {
  return parseYaml(readFileSync(new URL('../../config/demo.yaml', import.meta.url), 'utf8'), 'config/demo.yaml') as Record<string, unknown>;
}

/** The demo config with its four routes at `ratePerSecond`, the given degradations and overrides. */
export function demoConfig(options: SimulatedDays): Config {
  const raw = demoRaw();
  const sim = raw['simulator'] as { routes: Record<string, unknown>[] } & Record<string, unknown>;
  raw['simulator'] = {
    ...sim,
    seed: options.seed ?? 42,
    routes: sim.routes.map((r) => ({ ...r, rate_per_second: options.ratePerSecond })),
    degradations: options.degradations ?? [],
  };
  return parseConfig({ ...raw, ...options.overrides });
}

/** Writes the simulated days to a fresh NDJSON file; returns its path and event count. */
export function writeSimulatedDays(options: SimulatedDays): { path: string; events: number; config: Config } {
  const config = demoConfig(options);
  const sim = createSimulator(config.simulator, SIM_T0);
  const path = join(mkdtempSync(join(tmpdir(), 'promptpilot-days-')), 'events.ndjson');
  const fd = openSync(path, 'w');
  let events = 0;
  try {
    for (let t = SIM_T0 + 60_000; t <= SIM_T0 + options.days * DAY_MS; t += 60_000) {
      const batch = sim.eventsUntil(t);
      if (batch.length === 0) continue;
      events += batch.length;
      writeSync(fd, batch.map((e) => JSON.stringify(toWireEvent(e))).join('\n') + '\n');
    }
  } finally {
    closeSync(fd);
  }
  return { path, events, config };
}

/** Replays a file with the `replay` command's code; returns the decision records. */
export async function replayRecords(path: string, config: Config): Promise<Record<string, any>[]> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.resume();
  await replayFile(path, config, { stdout: out, stderr: err });
  return stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
}
