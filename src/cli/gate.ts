import type { Config } from '../config/schema.js';
import type { TelemetryEvent } from '../core/event.js';
import { GateAccumulator, type GateVerdict } from '../abtest/gate.js';
import { PromptpilotError } from '../core/errors.js';
import { withCost } from '../engine/costing.js';
import { NdjsonEventDecoder, type LineRejection } from '../codecs/ndjson.js';
import { parseArgs } from './args.js';

/** Streams and file access the gate command uses (injected for tests). */
export interface GateIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  /** Streams a file in text chunks; when present it is used instead of `readFile` (any file size). */
  readonly readChunks?: (path: string) => AsyncIterable<string>;
}

const USAGE = `Usage: promptpilot gate --baseline A.ndjson --candidate B.ndjson [--config FILE]

Pre-deployment performance gate: compares two recorded runs (NDJSON telemetry events) with the
A/B tester's anytime-valid statistics and prints a JSON verdict with per-gate evidence.
Exit 0 pass, 1 fail (regression), 3 inconclusive, 2 bad input or usage.
`;

/** Exit codes of `promptpilot gate` (DESIGN §6). */
export const GATE_EXIT = { pass: 0, fail: 1, inconclusive: 3, badInput: 2 } as const satisfies Record<GateVerdict | 'badInput', number>;

class BadInput extends Error {}

/**
 * Streams one NDJSON run into `add`, event by event. Bad lines make the whole
 * run bad input (exit 2), reported with the first one's line number.
 */
async function readEvents(path: string, io: GateIo, config: Config, add: (event: TelemetryEvent) => void): Promise<number> {
  const decoder = new NdjsonEventDecoder(true);
  const events: TelemetryEvent[] = [];
  const errors: LineRejection[] = [];
  let count = 0;
  const take = (batch: TelemetryEvent[]): void => {
    if (errors.length === 0) for (const e of batch) add(withCost(e, config.prices));
    count += batch.length;
  };
  const flush = (): void => {
    take(events);
    events.length = 0;
    decoder.recycle();
  };
  try {
    if (io.readChunks !== undefined) {
      for await (const chunk of io.readChunks(path)) {
        decoder.push(chunk, events, errors, take);
        flush();
      }
    } else {
      decoder.push(await io.readFile(path), events, errors, take);
    }
  } catch (err) {
    throw new BadInput(`cannot read ${path}: ${(err as Error).message}`);
  }
  decoder.end(events, errors);
  flush();
  const first = errors[0];
  if (first !== undefined) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more bad lines)` : '';
    throw new BadInput(`${path}:${first.line}: ${first.field}: ${first.message}${more}`);
  }
  if (count === 0) throw new BadInput(`${path}: no events`);
  return count;
}

/**
 * `promptpilot gate`: reads both runs, evaluates the gate, prints the JSON
 * verdict on stdout and returns the exit code. Usage and input errors print
 * one line on stderr and return 2; never throws on bad input.
 */
export async function runGate(argv: string[], io: GateIo, config: Config): Promise<number> {
  try {
    const args = parseArgs(argv, ['baseline', 'candidate', 'config']);
    if (args.booleans.has('help')) {
      io.stdout(USAGE);
      return 0;
    }
    const baselinePath = args.flags['baseline'];
    const candidatePath = args.flags['candidate'];
    if (baselinePath === undefined || candidatePath === undefined) throw new BadInput('gate needs --baseline A.ndjson and --candidate B.ndjson (see --help)');
    if (args.positionals.length > 0) throw new BadInput(`unexpected argument '${args.positionals[0]}'`);
    const gate = new GateAccumulator(config.abtest);
    await readEvents(baselinePath, io, config, (e) => gate.addBaseline(e));
    await readEvents(candidatePath, io, config, (e) => gate.addCandidate(e));
    const result = gate.evaluate();
    io.stdout(`${JSON.stringify(result, (_k, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) && Number.isFinite(v) ? Number(v.toPrecision(6)) : v))}\n`);
    return GATE_EXIT[result.verdict];
  } catch (err) {
    if (err instanceof BadInput || err instanceof PromptpilotError) {
      io.stderr(`promptpilot gate: ${err.message.split('\n')[0]}\n`);
      return GATE_EXIT.badInput;
    }
    throw err;
  }
}
