import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/runtime/logger.js';
import { redactAddress, SecretRedactor, secretScrubber, secretsOf } from '../../src/runtime/secrets.js';

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

  it('a Slack URL is a secret whole and by its path; any receiver URL by its query string', () => {
    const withReceivers = parseConfig({
      notify: {
        receivers: [
          { name: 'team', type: 'slack', url: 'https://hooks.slack.com/services/T0/B0/abcSECRET' },
          { name: 'ops', type: 'webhook', url: 'https://ops.example/hook?token=qs-secret-1', secret: 'hmac-key-1' },
        ],
      },
    });
    const scrub = secretScrubber(secretsOf(withReceivers));
    expect(scrub('404 no_service for /services/T0/B0/abcSECRET')).toBe('404 no_service for [redacted]');
    expect(scrub('POST https://ops.example/hook?token=qs-secret-1 failed')).toBe('POST https://ops.example/hook?[redacted] failed');
    expect(scrub('key hmac-key-1')).toBe('key [redacted]');
  });

  it('a redactor learns the secrets of a reloaded config and keeps the ones it knew', () => {
    const redactor = new SecretRedactor(secretsOf(config));
    const reloaded = parseConfig({ notify: { receivers: [{ name: 'ops', type: 'webhook', url: 'https://ops.example/hook', secret: 'new-hmac-key' }] } });
    expect(redactor.scrub('new-hmac-key tok-abc-123')).toBe('new-hmac-key [redacted]');
    redactor.learn(reloaded);
    expect(redactor.scrub('new-hmac-key tok-abc-123')).toBe('[redacted] [redacted]');
  });
});
