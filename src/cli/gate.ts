import { abtestFor, type Config } from '../config/schema.js';
import type { TelemetryEvent } from '../core/event.js';
import { GATE_FLAGS, GATE_USAGE } from './gateUsage.js';
import { GateAccumulator, type GateVerdict } from '../abtest/gate.js';
import { PromptpilotError } from '../core/errors.js';
import { withCost } from '../engine/costing.js';
import { NdjsonEventDecoder, type LineRejection } from '../codecs/ndjson.js';
import { parseArgs } from './args.js';
import { BadLineReport } from './badLines.js';
import { describeReadError } from './inputFile.js';

/** Streams and file access the gate command uses (injected for tests). */
export interface GateIo {
  readonly stdout: (s: string) => void;
  readonly stderr: (s: string) => void;
  readonly readFile: (path: string) => Promise<string>;
  /**
   * Streams a file in text chunks; when present it is used instead of `readFile` (any file size).
   * May throw a {@link PromptpilotError} whose message is already the one to print (e.g. binary input).
   */
  readonly readChunks?: (path: string) => AsyncIterable<string>;
}

/** Exit codes of `promptpilot gate` (DESIGN §6). */
export const GATE_EXIT = { pass: 0, fail: 1, inconclusive: 3, badInput: 2 } as const satisfies Record<GateVerdict | 'badInput', number>;

class BadInput extends Error {}

/**
 * Streams one NDJSON run into `add`, event by event. Bad lines make the whole
 * run bad input (exit 2), reported as replay counts them: how many, on which
 * lines, and the first one in full.
 */
async function readEvents(path: string, io: GateIo, config: Config, route: string | undefined, add: (event: TelemetryEvent, costComputed: boolean) => void): Promise<RunSummary> {
  const decoder = new NdjsonEventDecoder(true);
  const events: TelemetryEvent[] = [];
  const errors: LineRejection[] = [];
  const report = new BadLineReport(path === '-' ? 'stdin' : path);
  const routes = new Set<string>();
  let count = 0;
  const take = (batch: TelemetryEvent[]): void => {
    for (const e of batch) {
      if (routes.size < MAX_ROUTES_LISTED || routes.has(e.route)) routes.add(e.route);
      if (errors.length > 0 || report.count > 0 || (route !== undefined && e.route !== route)) continue;
      const costed = withCost(e, config.prices);
      add(costed, e.costUsd === undefined && costed.costUsd !== undefined);
      count++;
    }
  };
  const flush = (): void => {
    take(events);
    events.length = 0;
    decoder.recycle();
    for (const e of errors) report.add(e);
    errors.length = 0;
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
    throw new BadInput(err instanceof PromptpilotError ? err.message : describeReadError(path, err));
  }
  decoder.end(events, errors);
  flush();
  const refusal = report.refusal();
  if (refusal !== null) throw new BadInput(`${refusal} — gate compares complete runs only; replay skips such lines`);
  if (routes.size === 0) throw new BadInput(`${path}: no events`);
  if (route !== undefined && count === 0) throw new BadInput(`${path}: no events for route ${route} (it holds ${listRoutes(routes)})`);
  return { events: count, routes };
}

/** What one run held. */
interface RunSummary {
  readonly events: number;
  readonly routes: ReadonlySet<string>;
}

const MAX_ROUTES_LISTED = 20;

function listRoutes(routes: ReadonlySet<string>): string {
  const names = [...routes].sort();
  return names.length === 1 ? `route ${names[0]!}` : `routes ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`;
}

/**
 * Both runs must be of one route: comparing different prompts' telemetry says
 * nothing about either. Several routes in a file need `--route`.
 */
function checkRoutes(baselinePath: string, baseline: RunSummary, candidatePath: string, candidate: RunSummary, route: string | undefined): void {
  if (route !== undefined) return;
  if (baseline.routes.size > 1) throw new BadInput(`${baselinePath} holds ${listRoutes(baseline.routes)}: choose one with --route`);
  if (candidate.routes.size > 1) throw new BadInput(`${candidatePath} holds ${listRoutes(candidate.routes)}: choose one with --route`);
  const [b] = baseline.routes;
  const [c] = candidate.routes;
  if (b !== c) throw new BadInput(`the runs are of different routes: ${baselinePath} is route ${b!}, ${candidatePath} is route ${c!}`);
}

/**
 * `promptpilot gate`: reads both runs, evaluates the gate, prints the JSON
 * verdict on stdout and returns the exit code. Usage and input errors print
 * one line on stderr and return 2; never throws on bad input.
 */
export async function runGate(argv: string[], io: GateIo, config: Config): Promise<number> {
  try {
    const args = parseArgs(argv, GATE_FLAGS);
    if (args.booleans.has('help')) {
      io.stdout(GATE_USAGE);
      return 0;
    }
    const baselinePath = args.flags['baseline'];
    const candidatePath = args.flags['candidate'];
    if (baselinePath === undefined || candidatePath === undefined) {
      const missing = [baselinePath === undefined ? '--baseline A.ndjson' : null, candidatePath === undefined ? '--candidate B.ndjson' : null].filter((m) => m !== null);
      throw new BadInput(`missing ${missing.join(' and ')}: a gate compares --baseline A.ndjson with --candidate B.ndjson (see --help)`);
    }
    if (args.positionals.length > 0) throw new BadInput(`unexpected argument '${args.positionals[0]}'`);
    if (baselinePath === '-' && candidatePath === '-') throw new BadInput('only one of --baseline and --candidate can be - (stdin)');
    const route = args.flags['route'];
    // With --route the gate applies that route's policy (routes.<route>.abtest), as the daemon would.
    const gate = new GateAccumulator(route === undefined ? config.abtest : abtestFor(config, route));
    const baseline = await readEvents(baselinePath, io, config, route, (e, costComputed) => gate.addBaseline(e, { costComputed }));
    const candidate = await readEvents(candidatePath, io, config, route, (e, costComputed) => gate.addCandidate(e, { costComputed }));
    checkRoutes(baselinePath, baseline, candidatePath, candidate, route);
    const result = { route: route ?? [...baseline.routes][0]!, ...gate.evaluate() };
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
