import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { SecretRedactor, secretsOf } from './secrets.js';

/** A log destination that may be a terminal. */
export type LogDestination = NodeJS.WritableStream & { isTTY?: boolean };

/**
 * The daemon's root logger, secrets redacted. JSON lines (pino) when
 * `log.format` is `json`, or `auto` and the destination is not a terminal;
 * one plain line per entry ({@link prettyLine}) on a terminal. Besides pino's
 * path redaction, every line is scrubbed of the configured secrets' values,
 * so a password inside a broker or Redis address, or echoed by a client
 * library's error message, never reaches the log in either format. Pass the
 * daemon's {@link SecretRedactor} so secrets a hot reload adds are scrubbed too.
 */
export function createLogger(config: Config, destination: LogDestination = process.stdout, redactor = new SecretRedactor(secretsOf(config))): Logger {
  const scrub = redactor.scrub;
  const format = config.log.format === 'auto' ? (destination.isTTY === true ? 'pretty' : 'json') : config.log.format;
  const color = format === 'pretty' && destination.isTTY === true && process.env['NO_COLOR'] === undefined;
  return pino(
    {
      name: 'promptpilot',
      level: config.log.level,
      redact: { paths: ['config.server.api_token', 'config.kafka.sasl.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
      base: null,
    },
    { write: (line: string) => destination.write(format === 'pretty' ? prettyLine(scrub(line), color) : scrub(line)) },
  );
}

const LEVELS: Readonly<Record<number, { readonly name: string; readonly color: string }>> = {
  10: { name: 'TRACE', color: '\x1b[90m' },
  20: { name: 'DEBUG', color: '\x1b[90m' },
  30: { name: 'INFO ', color: '\x1b[36m' },
  40: { name: 'WARN ', color: '\x1b[33m' },
  50: { name: 'ERROR', color: '\x1b[31m' },
  60: { name: 'FATAL', color: '\x1b[41m' },
};
/** Fields a pretty line shows elsewhere or not at all (the decision is in its message, in plain words). */
const SHOWN = new Set(['level', 'time', 'msg', 'name', 'component', 'decision', 'pid', 'hostname']);
const MAX_VALUE_CHARS = 160;

/**
 * One pino JSON line as a person reads it: `08:41:02 WARN  kafka  message  key=value …`.
 * Extra fields follow as key=value (long values cut at 160 characters, an
 * error as its message); a decision entry is its plain-words message only.
 * A line that is not JSON passes through unchanged.
 */
export function prettyLine(json: string, color = false): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json;
  }
  const level = LEVELS[Number(entry['level'])] ?? { name: String(entry['level']).toUpperCase().padEnd(5), color: '' };
  const time = typeof entry['time'] === 'number' ? new Date(entry['time']).toISOString().slice(11, 19) : '--:--:--';
  const component = typeof entry['component'] === 'string' ? entry['component'] : 'daemon';
  const fields: string[] = [];
  for (const [key, raw] of Object.entries(entry)) {
    if (SHOWN.has(key) || raw === undefined) continue;
    const value =
      key === 'err' && typeof raw === 'object' && raw !== null && 'message' in raw
        ? String((raw as { message: unknown }).message)
        : typeof raw === 'string'
          ? raw
          : Array.isArray(raw) && raw.every((x) => typeof x !== 'object')
            ? raw.join(',')
            : JSON.stringify(raw);
    const cut = value.length > MAX_VALUE_CHARS ? `${value.slice(0, MAX_VALUE_CHARS)}…` : value;
    fields.push(`${key}=${/[\s"=]/.test(cut) || cut === '' ? JSON.stringify(cut) : cut}`);
  }
  const levelText = color ? `${level.color}${level.name}\x1b[0m` : level.name;
  const msg = typeof entry['msg'] === 'string' ? entry['msg'] : '';
  return `${time} ${levelText} ${component.padEnd(9)} ${msg}${fields.length > 0 ? `  ${color ? '\x1b[90m' : ''}${fields.join(' ')}${color ? '\x1b[0m' : ''}` : ''}\n`;
}
export type { Logger };
