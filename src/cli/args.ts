import { parseArgs as parseNodeArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

/** Parsed command line: flags with values, boolean flags, positionals. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string>>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

type OptionSpec = { type: 'string' } | { type: 'boolean'; short?: string };

/**
 * Parses `--name value`, `--name=value`, boolean flags and `-h` with
 * `node:util`'s `parseArgs` (strict). An unknown flag or a missing/empty value
 * is a {@link UsageError} naming the flag.
 */
export function parseArgs(argv: readonly string[], valueFlags: readonly string[], booleanFlags: readonly string[] = ['help']): ParsedArgs {
  const options: Record<string, OptionSpec> = {};
  for (const name of valueFlags) options[name] = { type: 'string' };
  for (const name of booleanFlags) options[name] = name === 'help' ? { type: 'boolean', short: 'h' } : { type: 'boolean' };
  const parsed = (() => {
    try {
      return parseNodeArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
    } catch (err) {
      throw usageErrorFor(err, argv, valueFlags);
    }
  })();
  // node:util keeps the last of a repeated flag: `--input a.ndjson --input b.ndjson` would read b alone, silently.
  const seen = new Set<string>();
  for (const token of parsed.tokens) {
    if (token.kind !== 'option' || !valueFlags.includes(token.name)) continue;
    if (seen.has(token.name)) throw new UsageError(`--${token.name} given twice; it takes one value`);
    seen.add(token.name);
  }
  const flags: Record<string, string> = {};
  const booleans = new Set<string>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (typeof value === 'string') {
      if (value === '') throw new UsageError(`--${name} needs a value`);
      flags[name] = value;
    } else if (value === true) booleans.add(name);
  }
  return { flags, booleans, positionals: parsed.positionals };
}

/** Turns `node:util`'s parse errors into one line naming the flag. */
function usageErrorFor(err: unknown, argv: readonly string[], valueFlags: readonly string[]): UsageError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof Error ? err.message : String(err);
  const named = /'(-{1,2}[^'\s=]+)/.exec(message)?.[1];
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && named !== undefined) return new UsageError(`unknown option ${named}`);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = valueFlags.find((name) => message.includes(`--${name}`) && argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`)));
    if (flag !== undefined) return new UsageError(`--${flag} needs a value`);
    const boolean = /(--[\w-]+)' does not take an argument/.exec(message)?.[1];
    if (boolean !== undefined) return new UsageError(`${boolean} takes no value`);
  }
  return new UsageError(message);
}

/**
 * Refuses positionals past the first `max` (`replay a.ndjson b.ndjson` replayed a alone and said nothing of b):
 * a {@link UsageError} naming the first one too many.
 */
export function expectPositionals(args: ParsedArgs, max: number): void {
  const extra = args.positionals[max];
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
}
