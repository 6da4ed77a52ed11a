import { pino, type Logger } from 'pino';
import type { Config } from '../config/schema.js';

/** The daemon's root logger: JSON lines on stderr-free stdout, secrets redacted. */
export function createLogger(config: Config, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      name: 'promptpilot',
      level: config.log.level,
      redact: { paths: ['config.server.api_token', 'config.kafka.sasl.password', '*.authorization', 'headers.authorization'], censor: '[redacted]' },
      base: null,
    },
    destination ?? process.stdout,
  );
}
export type { Logger };
