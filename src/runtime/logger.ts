import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { secretScrubber, secretsOf } from './secrets.js';

/**
 * The daemon's root logger: JSON lines on stdout, secrets redacted. Besides
 * pino's path redaction, every line is scrubbed of the configured secrets'
 * values, so a password inside a broker or Redis address, or echoed by a
 * client library's error message, never reaches the log.
 */
export function createLogger(config: Config, destination: NodeJS.WritableStream = process.stdout): Logger {
  const scrub = secretScrubber(secretsOf(config));
  return pino(
    {
      name: 'promptpilot',
      level: config.log.level,
      redact: { paths: ['config.server.api_token', 'config.kafka.sasl.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
      base: null,
    },
    { write: (line: string) => destination.write(scrub(line)) },
  );
}
export type { Logger };
