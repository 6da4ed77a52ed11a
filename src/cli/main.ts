#!/usr/bin/env node
import { ENV, loadConfig, OFFLINE_LOAD } from '../config/load.js';
import { describeError, PromptpilotError, UsageError, ErrorCodes } from '../core/errors.js';
import { expectPositionals, parseArgs } from './args.js';
import { GATE_FLAGS, GATE_USAGE } from './gateUsage.js';
import { derivedHeapLimitMiB, HANGUP_READY_MESSAGE, HEAP_DERIVED_ENV, heapLimitGiven, runWithHeapLimit } from './heapLimit.js';
import { HangupHold } from './hangupHold.js';
import { secretScrubber, secretsOf } from '../runtime/secrets.js';
import type { Config } from '../config/schema.js';
import { readFileSync } from 'node:fs';

const USAGE = `promptpilot — sidecar that watches LLM telemetry and proves prompt optimizations with A/B tests

Usage:
  promptpilot --version                            print the version
  promptpilot run [--config FILE]                  run the daemon (HTTP/OTLP on :4318)
  promptpilot replay --input FILE.ndjson [--config FILE]
                                                   replay recorded events in event time; decisions on stdout
  promptpilot gate --baseline A.ndjson --candidate B.ndjson [--route R] [--config FILE]
                                                   pre-deployment performance gate (exit 0 pass, 1 fail, 3 inconclusive, 2 bad input)
  promptpilot report --input FILE.ndjson --out FILE.html [--config FILE]
                                                   replay into one self-contained HTML page: charts, experiments, decisions
  promptpilot validate-config FILE                 check a config file (exit 0 valid, 1 invalid, 2 unreadable)
  promptpilot compress FILE|- [--json] [--level conservative|aggressive] [--config FILE]
                                                   preview the token-optimized template the daemon would propose

Environment: PROMPTPILOT_CONFIG, PROMPTPILOT_PORT, PROMPTPILOT_REDIS_URL, PROMPTPILOT_KAFKA_BROKERS,
             PROMPTPILOT_API_TOKEN, PROMPTPILOT_LOG_LEVEL, PROMPTPILOT_HOST, PROMPTPILOT_PROBE_PORT
Run 'promptpilot COMMAND --help' for a command's options.`;

const HELP: Record<string, string> = {
  run: `Usage: promptpilot run [--config FILE]\n\nRuns the daemon: POST /v1/events, OTLP /v1/traces and /v1/metrics, GET /v1/routes, /v1/decisions,\n/v1/assign, /healthz, /readyz, /metrics. Stops cleanly on SIGTERM/SIGINT (exit 0).\nSIGHUP, or an edit of the config file, reloads it: validated, and a bad file is refused (the running config stays).\nWithout --config (or PROMPTPILOT_CONFIG) it runs on the embedded defaults: in-memory state, no Kafka, no Redis.`,
  replay: `Usage: promptpilot replay --input FILE.ndjson [--config FILE]\n\nFeeds recorded events (wire format v1, one JSON object per line) through the daemon's pipeline in\nevent time and prints every decision record as NDJSON on stdout, identically on every run.\n--input - reads stdin; gzip input (FILE.ndjson.gz or any gzip data) is decompressed; other binary\ninput is refused with one line. Bad lines are reported on stderr as FILE:LINE: field: reason (the\nfirst 20, then how many and where) and skipped; a file with no valid event at all is an error (exit 2).`,
  gate: GATE_USAGE.trimEnd(),
  compress: `Usage: promptpilot compress FILE|- [--json] [--level conservative|aggressive] [--config FILE]\n\nPrints the token-optimized candidate the daemon derives from a prompt template (FILE, or stdin for '-'):\nthe same deterministic rewrites, measured with the o200k_base tokenizer, each kept only where it saves\ntokens; placeholders ({{x}}, {x}, \${x}), {% %}/{# #} template logic and code stay byte-identical.\nconservative (default) drops courtesy, hedging and meta-instructions and turns prose into lists and\noutput specs; aggressive also goes telegraphic. --json prints {"template","tokens_before","tokens_after",\n"saving_pct","level","transforms":[{"name","tokens_saved"}]}. --config applies actions.compression.\nCompressing the output again changes nothing. Exit 0; bad input or usage: one line, exit 2.`,
  report: `Usage: promptpilot report --input FILE.ndjson --out FILE.html [--config FILE]\n\nReplays recorded events exactly as 'replay' does and writes one self-contained HTML page: per-route\ncharts of latency percentiles, cost per task, tokens per quality point, accuracy and error rate over\nevent time with triggers, actions and experiments marked; each route's last window against its\ntargets; experiments with arms, ramp and evidence; the decision log. The page loads nothing from\nanywhere (open it offline, attach it to a ticket, print it). Same input, same bytes. --out - writes the page to stdout; an --out that is the\n--input file is refused (it would overwrite the recording).`,
  'validate-config': `Usage: promptpilot validate-config FILE\n\nValidates a config file against the schema, with the PROMPTPILOT_* environment overrides applied as\n'run' applies them. Exit 0 when valid; otherwise prints one line naming the offending path (or\nvariable) and exits 1. A FILE that cannot be read (missing, a directory) is bad input: exit 2.`,
};

/** Runs the CLI and returns the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    // Asked for, the usage is the answer (stdout, exit 0); with no command at all it is the error message (stderr, exit 2).
    if (command === undefined) {
      process.stderr.write(USAGE + '\n');
      return 2;
    }
    // `help COMMAND`, as git and npm take it, is that command's help (it printed the general usage).
    const topic = command === 'help' ? rest[0] : undefined;
    if (topic !== undefined) {
      const help = HELP[topic];
      if (help === undefined) return usageError(`unknown command '${topic}'`);
      process.stdout.write(help + '\n');
      return 0;
    }
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  if (command === '--version' || command === '-v' || command === 'version') {
    process.stdout.write(packageVersion() + '\n');
    return 0;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    const help = HELP[command];
    if (help === undefined) return usageError(`unknown command '${command}'`);
    process.stdout.write(help + '\n');
    return 0;
  }
  // Once a config is loaded, every message printed here is scrubbed of its secrets
  // (a broker or Redis address with a password inside must not reach a terminal or CI log).
  let loaded: Config | null = null;
  const scrub = (text: string): string => (loaded === null ? text : secretScrubber(secretsOf(loaded))(text));
  try {
    switch (command) {
      case 'run': {
        // From here on a SIGHUP (a reload right after a start) is held for the daemon, not fatal.
        const hangups = new HangupHold();
        // A parent gone already is seen once the daemon runs (cli/run.ts); the callback keeps a closed channel quiet.
        if (process.env[HEAP_DERIVED_ENV] !== undefined && process.connected) process.send?.(HANGUP_READY_MESSAGE, undefined, {}, () => {});
        const args = parseArgs(rest, ['config']);
        expectPositionals(args, 0);
        loaded = await loadConfig(args.flags['config']);
        // V8's heap limit follows limits.memory_budget_bytes unless the user chose one: run again with it.
        if (!heapLimitGiven(process.execArgv, process.env['NODE_OPTIONS']) && process.env[HEAP_DERIVED_ENV] === undefined) {
          const exit = runWithHeapLimit(derivedHeapLimitMiB(loaded.limits.memory_budget_bytes), argv);
          // Released once runWithHeapLimit took SIGHUP over (no moment without a handler). The child reads the
          // config itself: a SIGHUP held until now has nothing left to reload.
          hangups.release();
          return await exit;
        }
        // Loaded only here, so the parent of a re-executed daemon holds none of it.
        const { runDaemon } = await import('./run.js');
        return await runDaemon(loaded, args.flags['config'] ?? (process.env[ENV.config] || undefined), hangups);
      }
      case 'replay': {
        const args = parseArgs(rest, ['input', 'config']);
        expectPositionals(args, args.flags['input'] === undefined ? 1 : 0);
        const input = args.flags['input'] ?? args.positionals[0];
        if (input === undefined) throw new UsageError('replay needs --input FILE.ndjson (or --input - for stdin)');
        const config = await loadConfig(args.flags['config'], process.env, OFFLINE_LOAD);
        const { replayFile } = await import('./replay.js');
        const summary = await replayFile(input, config, { stdout: process.stdout, stderr: process.stderr });
        process.stderr.write(`replay: ${summary.events} events, ${summary.rejected} rejected, ${summary.tooLate} too late, ${summary.late} late (counted), ${summary.decisions} decisions\n`);
        return 0;
      }
      case 'report': {
        const args = parseArgs(rest, ['input', 'out', 'config']);
        expectPositionals(args, args.flags['input'] === undefined ? 1 : 0);
        const input = args.flags['input'] ?? args.positionals[0];
        const out = args.flags['out'];
        if (input === undefined) throw new UsageError('report needs --input FILE.ndjson (or --input - for stdin)');
        if (out === undefined) throw new UsageError('report needs --out FILE.html');
        const config = await loadConfig(args.flags['config'], process.env, OFFLINE_LOAD);
        const { writeReport } = await import('./reportCommand.js');
        const summary = await writeReport(input, out, config, { stdout: process.stdout, stderr: process.stderr });
        process.stderr.write(`report: ${out === '-' ? 'stdout' : out} (${Math.ceil(summary.bytes / 1024)} KiB): ${summary.events} events, ${summary.rejected} rejected, ${summary.decisions} decisions\n`);
        return 0;
      }
      case 'gate': {
        const args = parseArgs(rest, GATE_FLAGS);
        const config = await loadConfig(args.flags['config'], process.env, OFFLINE_LOAD);
        const { runGateCommand } = await import('./gateCommand.js');
        return await runGateCommand(rest, config);
      }
      case 'validate-config': {
        const args = parseArgs(rest, ['config']);
        expectPositionals(args, args.flags['config'] === undefined ? 1 : 0);
        const file = args.positionals[0] ?? args.flags['config'];
        if (file === undefined) throw new UsageError('validate-config needs a FILE');
        try {
          // As the daemon would run it here: a bad PROMPTPILOT_* value is reported like a bad key (it was ignored).
          await loadConfig(file, process.env);
        } catch (err) {
          // Exit 1 is the verdict "invalid"; a file that cannot be read was not checked at all: bad input, exit 2 as
          // everywhere else (it said 1, as if a missing file had been found invalid, while \`run\` said 2).
          if (err instanceof PromptpilotError && err.code === ErrorCodes.CONFIG_INVALID) {
            process.stderr.write(`promptpilot: ${err.message}\n`);
            return 1;
          }
          throw err;
        }
        process.stdout.write(`${file}: valid\n`);
        return 0;
      }
      case 'compress': {
        const { runCompressCommand } = await import('./compressCommand.js');
        return await runCompressCommand(rest, { stdout: process.stdout, stdin: process.stdin });
      }
      default:
        return usageError(`unknown command '${command}'`);
    }
  } catch (err) {
    if (err instanceof PromptpilotError && err.code !== ErrorCodes.INVARIANT) {
      process.stderr.write(scrub(`promptpilot: ${err.message}\n`));
      // A dependency that is away (Kafka at start) is not bad input: exit 1 so a supervisor restarts it.
      return err.retriable ? 1 : 2;
    }
    process.stderr.write(scrub(`promptpilot: internal error: ${describeError(err)}\n`));
    return 70;
  }
}

/** The version in the package.json shipped next to the CLI (dist/cli/ and src/cli/ both sit two levels below it). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : 'unknown';
}

function usageError(message: string): number {
  process.stderr.write(`promptpilot: ${message} (see 'promptpilot --help')\n`);
  return 2;
}

// A reader that stops early (`| head`) closes the pipe: what is left is not wanted. Stop at once, quietly, with
// the status of a Unix tool killed by SIGPIPE (128 + 13), so `set -o pipefail` never reads a cut-off gate as a pass.
// It was Node's unhandled 'error' event: a stack trace and exit 1. Any other failure to write is one line.
const EXIT_BROKEN_PIPE = 141;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') process.stderr.write(`promptpilot: cannot write the output: ${describeError(err)}\n`);
  process.exit(err.code === 'EPIPE' ? EXIT_BROKEN_PIPE : 74);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`promptpilot: internal error: ${describeError(err)}\n`);
    process.exitCode = 70;
  },
);
