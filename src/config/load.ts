import { readFile } from 'node:fs/promises';
import { isMap, isNode, isScalar, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { ConfigError, ErrorCodes, fileReadReason } from '../core/errors.js';
import { plainMessage } from './ruleMerge.js';
import { brokerProblem, ConfigSchema, LOG_LEVELS, type Config } from './schema.js';

/** Environment variables that override the config file (DESIGN §6). */
export const ENV = {
  config: 'PROMPTPILOT_CONFIG',
  port: 'PROMPTPILOT_PORT',
  redisUrl: 'PROMPTPILOT_REDIS_URL',
  kafkaBrokers: 'PROMPTPILOT_KAFKA_BROKERS',
  apiToken: 'PROMPTPILOT_API_TOKEN',
  logLevel: 'PROMPTPILOT_LOG_LEVEL',
  host: 'PROMPTPILOT_HOST',
  probePort: 'PROMPTPILOT_PROBE_PORT',
} as const;

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Finds where a config path is written in the source file: 1-based line and column, if known.
 * `at: 'key'` gives where the path's last key is written (for an unknown key), else its value.
 */
export type Locate = (path: readonly PropertyKey[], at?: 'key' | 'value') => { readonly line: number; readonly col: number } | undefined;

/**
 * Validates a raw config object (already parsed from YAML/JSON) and returns the
 * frozen, defaulted config. Throws {@link ConfigError} whose message names the
 * offending path as the docs write it, e.g. `rules[2].threshold: expected
 * number`, with the line and column when `locate` knows them.
 */
export function parseConfig(raw: unknown, source = 'config', locate?: Locate): Config {
  const reserved = reservedKeyPath(raw);
  if (reserved !== null) {
    const at = locate?.(reserved, 'key');
    throw new ConfigError(`${source}: ${formatConfigPath(reserved)}: '__proto__' cannot be a name in the config (JavaScript reserves it); choose another${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}`);
  }
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) throw new ConfigError(`${source}: ${formatZodIssues(result.error.issues, locate)}`);
  return deepFreeze(result.data);
}

/**
 * The path of the first `__proto__` key in a raw config, or null.
 *
 * @remarks The schema's maps drop such a key without a word: `routes: {__proto__: {targets: …}}` validated and the
 * route ran on the global targets.
 */
function reservedKeyPath(value: unknown, path: readonly (string | number)[] = []): (string | number)[] | null {
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = reservedKeyPath(value[i], [...path, i]);
      if (found !== null) return found;
    }
    return null;
  }
  for (const key of Object.keys(value)) {
    if (key === '__proto__') return [...path, key];
    const found = reservedKeyPath((value as Record<string, unknown>)[key], [...path, key]);
    if (found !== null) return found;
  }
  return null;
}

/** A config path as the docs write it: `rules[2].threshold`, `routes.support.variants[0].tier`. */
export function formatConfigPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : `${out === '' ? '' : '.'}${String(part)}`;
  return out === '' ? '(root)' : out;
}

/** Formats zod issues as `path: message (line L, column C)` joined by `; ` (first three). */
export function formatZodIssues(issues: readonly z.core.$ZodIssue[], locate?: Locate): string {
  const shown = issues.slice(0, 3).map((issue) => {
    // An unknown key is shown where it is written, not where its parent mapping starts.
    const at = issue.code === 'unrecognized_keys' && issue.keys[0] !== undefined ? locate?.([...issue.path, issue.keys[0]], 'key') : locate?.(issue.path);
    return `${formatConfigPath(issue.path)}: ${plainMessage(issue)}${at === undefined ? '' : ` (line ${at.line}, column ${at.col})`}`;
  });
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return shown.join('; ') + more;
}

/** Parses YAML text into a plain value; a syntax error becomes a ConfigError naming the line and column. */
export function parseYaml(text: string, source: string): unknown {
  return parseYamlDocument(text, source).value;
}

/** Parses YAML text into a plain value plus a {@link Locate} for its paths. */
export function parseYamlDocument(text: string, source: string): { readonly value: unknown; readonly locate: Locate } {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true, merge: true, lineCounter });
  const error = doc.errors[0];
  if (error) {
    const pos = error.linePos?.[0] ?? (error.pos[0] >= 0 ? lineCounter.linePos(error.pos[0]) : undefined);
    const where = pos === undefined ? '' : ` at line ${pos.line}, column ${pos.col}`;
    throw new ConfigError(`${source}: invalid YAML${where}: ${error.message.split('\n')[0]}`);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml library refuses aliases that expand past the count (a "billion laughs" file) by throwing: that was
    // "internal error", exit 70, where every other bad file is one line naming it.
    throw new ConfigError(`${source}: invalid YAML: its aliases (*name) expand too far: ${(err as Error).message}`);
  }
  // An empty file means the defaults; anything else must be a mapping (a list or a lone
  // scalar used to pass validation and silently run on the defaults).
  if (value !== null && value !== undefined && (typeof value !== 'object' || Array.isArray(value))) {
    throw new ConfigError(`${source}: (root): expected a mapping of config sections, got ${Array.isArray(value) ? 'a list' : typeof value}`);
  }
  const toKeys = (path: readonly PropertyKey[]): unknown[] => path.map((p) => (typeof p === 'symbol' ? String(p) : p));
  const locate: Locate = (path, at = 'value') => {
    if (at === 'key' && path.length > 0) {
      const parent: unknown = path.length === 1 ? doc.contents : doc.getIn(toKeys(path.slice(0, -1)), true);
      const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]) : undefined;
      const range = isNode(pair?.key) ? pair.key.range : undefined;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return { line: pos.line, col: pos.col };
      }
    }
    // The deepest node the file has on this path.
    for (let depth = path.length; depth >= 1; depth--) {
      const node: unknown = doc.getIn(toKeys(path.slice(0, depth)), true);
      const range = isNode(node) ? node.range : undefined;
      if (range) {
        const pos = lineCounter.linePos(range[0]);
        return { line: pos.line, col: pos.col };
      }
    }
    return undefined;
  };
  return { value: value ?? {}, locate };
}

/** Applies the PROMPTPILOT_* overrides to a raw config object (before validation). */
export function applyEnvOverrides(raw: unknown, env: Env): unknown {
  const base: Record<string, unknown> = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? { ...(raw as Record<string, unknown>) } : {};
  const section = (key: string): Record<string, unknown> => {
    const current = base[key];
    const copy = current !== null && typeof current === 'object' && !Array.isArray(current) ? { ...(current as Record<string, unknown>) } : {};
    base[key] = copy;
    return copy;
  };
  for (const [name, key] of [[ENV.port, 'port'], [ENV.probePort, 'probe_port']] as const) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    const n = /^\d+$/.test(value) ? Number(value) : NaN;
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`${name}: expected a port number 0-65535 (got '${value}')`);
    section('server')[key] = n;
  }
  const host = env[ENV.host];
  if (host) section('server')['host'] = host;
  const token = env[ENV.apiToken];
  if (token) section('server')['api_token'] = token;
  const brokers = env[ENV.kafkaBrokers];
  if (brokers) {
    const list = brokers.split(',').map((b) => b.trim()).filter((b) => b.length > 0);
    if (list.length === 0) throw new ConfigError(`${ENV.kafkaBrokers}: expected a comma-separated list of host:port (got '${brokers}')`);
    const problem = list.map(brokerProblem).find((p) => p !== null);
    if (problem) throw new ConfigError(`${ENV.kafkaBrokers}: ${problem}`);
    section('kafka')['brokers'] = list;
  }
  const redis = env[ENV.redisUrl];
  // Not echoed: a malformed URL may still carry a password.
  if (redis && !/^rediss?:\/\//.test(redis)) throw new ConfigError(`${ENV.redisUrl}: expected a redis:// or rediss:// URL (redis://[user:password@]host:port[/db])`);
  if (redis) section('redis')['url'] = redis;
  const level = env[ENV.logLevel];
  if (level && !(LOG_LEVELS as readonly string[]).includes(level)) throw new ConfigError(`${ENV.logLevel}: expected one of ${LOG_LEVELS.join(', ')} (got '${level}')`);
  if (level) section('log')['level'] = level;
  return base;
}

/** How {@link loadConfig} treats the PROMPTPILOT_* overrides. */
export interface LoadOptions {
  /**
   * Apply the overrides (default true): the daemon and `validate-config`. False for the offline commands (replay,
   * report, gate, compress): they use no server, Kafka, Redis or log setting, so a value meant for the daemon (a bad
   * `PROMPTPILOT_PORT` in the shell) must not stop them. `PROMPTPILOT_CONFIG` still names the file either way.
   */
  readonly overrides?: boolean;
}

/** {@link LoadOptions} of the offline commands: the file (or PROMPTPILOT_CONFIG) alone. */
export const OFFLINE_LOAD: LoadOptions = Object.freeze({ overrides: false });

/**
 * Loads the config: the file named by `path` or PROMPTPILOT_CONFIG (none means
 * the embedded defaults), then the environment overrides (unless
 * `options.overrides` is false), then validation.
 */
export async function loadConfig(path: string | undefined, env: Env = process.env, options: LoadOptions = {}): Promise<Config> {
  const file = path ?? (env[ENV.config] || undefined);
  let raw: unknown = {};
  let locate: Locate | undefined;
  if (file !== undefined) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (cause) {
      throw new ConfigError(`${file}: cannot read config: ${fileReadReason(cause)}`, { cause, code: ErrorCodes.CONFIG_UNREADABLE });
    }
    const parsed = parseYamlDocument(text, file);
    raw = parsed.value;
    locate = parsed.locate;
  }
  return parseConfig(options.overrides === false ? raw : applyEnvOverrides(raw, env), file ?? 'config', locate);
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as Record<string, unknown>)) deepFreeze(child);
  }
  return value;
}
