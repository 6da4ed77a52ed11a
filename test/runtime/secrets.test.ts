import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/runtime/logger.js';
import { redactAddress, secretScrubber, secretsOf } from '../../src/runtime/secrets.js';

const config = parseConfig({
  server: { api_token: 'tok-abc-123' },
  kafka: { brokers: ['alice:pw%2Fhunter4@broker-1:9092', 'broker-2:9092'], sasl: { mechanism: 'plain', username: 'bob', password: 'sasl-"quoted"-pw' } },
  redis: { url: 'redis://app:r3d1s-pass@cache:6379/0' },
});

describe('secrets are never printed', () => {
  it('redactAddress drops credentials from broker and Redis addresses', () => {
    expect(redactAddress('redis://app:s3cret@cache:6379/0')).toBe('redis://[redacted]@cache:6379/0');
    expect(redactAddress('alice:pw@broker:9092')).toBe('[redacted]@broker:9092');
    expect(redactAddress('broker:9092')).toBe('broker:9092');
    expect(redactAddress('redis://cache:6379')).toBe('redis://cache:6379');
  });

  it('secretsOf lists the token, the SASL password and embedded passwords (raw and decoded)', () => {
    const secrets = secretsOf(config);
    for (const s of ['tok-abc-123', 'sasl-"quoted"-pw', 'pw%2Fhunter4', 'pw/hunter4', 'r3d1s-pass']) expect(secrets).toContain(s);
    expect(secretScrubber(secrets)('connect redis://app:r3d1s-pass@cache failed; token tok-abc-123')).toBe('connect redis://[redacted]@cache failed; token [redacted]');
  });

  it('the logger scrubs secret values from any line, JSON-escaped forms included', () => {
    let out = '';
    const sink = new Writable({ write(chunk: Buffer, _enc, done) { out += chunk.toString(); done(); } });
    const log = createLogger(config, sink);
    log.error({ brokers: config.kafka.brokers, redis: config.redis.url, password: config.kafka.sasl?.password }, `cannot reach ${config.kafka.brokers[0]}`);
    log.info({ config }, 'config');
    expect(out).toContain('[redacted]');
    for (const s of ['tok-abc-123', 'sasl-\\"quoted\\"-pw', 'pw%2Fhunter4', 'r3d1s-pass']) expect(out).not.toContain(s);
  });
});
