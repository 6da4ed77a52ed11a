import type { Config } from '../config/schema.js';
import type { TelemetryEvent } from '../core/event.js';
import { evaluateGate, type GateVerdict } from '../abtest/gate.js';
import { PromptpilotError } from '../core/errors.js';
import { withCost } from '../pipeline/costing.js';
import { NdjsonEventDecoder, type LineRejection } from '../pipeline/ndjson.js';
import { parseArgs } from './args.js';

/** Streams and file access the gate command uses (injected for tests). */
export interface GateIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readFile: (path: string) => Promise<string>;
}

const USAGE = `Usage: promptpilot gate --baseline A.ndjson --candidate B.ndjson [--config FILE]

Pre-deployment performance gate: compares two recorded runs (NDJSON telemetry events) with the
A/B tester's anytime-valid statistics and prints a JSON verdict with per-gate evidence.
Exit 0 pass, 1 fail (regression), 3 inconclusive, 2 bad input or usage.
`;

/** Exit codes of `promptpilot gate` (DESIGN §6). */
export const GATE_EXIT = { pass: 0, fail: 1, inconclusive: 3, badInput: 2 } as const satisfies Record<GateVerdict | 'badInput', number>;

class BadInput extends Error {}

async function readEvents(path: string, io: GateIo, config: Config): Promise<TelemetryEvent[]> {
  let text: string;
  try {
    text = await io.readFile(path);
  } catch (err) {
    throw new BadInput(`cannot read ${path}: ${(err as Error).message}`);
  }
  const decoder = new NdjsonEventDecoder();
  const events: TelemetryEvent[] = [];
  const errors: LineRejection[] = [];
  decoder.push(text, events, errors);
  decoder.end(events, errors);
  const first = errors[0];
  if (first !== undefined) {
    const more = errors.length > 1 ? ` (and ${errors.length - 1} more bad lines)` : '';
    throw new BadInput(`${path}:${first.line}: ${first.field}: ${first.message}${more}`);
  }
  if (events.length === 0) throw new BadInput(`${path}: no events`);
  return events.map((e) => withCost(e, config.prices));
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
    const baseline = await readEvents(baselinePath, io, config);
    const candidate = await readEvents(candidatePath, io, config);
    const result = evaluateGate(baseline, candidate, config.abtest);
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
