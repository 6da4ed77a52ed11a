import { UsageError } from '../core/errors.js';

/** Parsed command line: flags with values, boolean flags, positionals. */
export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string>>;
  readonly booleans: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/**
 * Parses `--name value`, `--name=value` and boolean flags. Unknown flags are
 * a {@link UsageError} naming them.
 */
export function parseArgs(argv: readonly string[], valueFlags: readonly string[], booleanFlags: readonly string[] = ['help']): ParsedArgs {
  const flags: Record<string, string> = {};
  const booleans = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h') {
      booleans.add('help');
      continue;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    if (booleanFlags.includes(name)) {
      booleans.add(name);
      continue;
    }
    if (!valueFlags.includes(name)) throw new UsageError(`unknown option --${name}`);
    const value = eq < 0 ? argv[++i] : arg.slice(eq + 1);
    if (value === undefined || value === '') throw new UsageError(`--${name} needs a value`);
    flags[name] = value;
  }
  return { flags, booleans, positionals };
}
