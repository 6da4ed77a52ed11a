// Regression (found in the user pass): PROMPTPILOT_REDIS_URL=notaurl started the daemon, which then failed with
// "cannot connect to Redis at notaurl: Connection is closed." (a host named "notaurl"), and `redis.url: localhost:6379`
// in a file passed validate-config; PROMPTPILOT_KAFKA_BROKERS="," turned Kafka silently off. Each is now a config
// error naming the variable or key, and the Redis one never echoes the value (it may hold a password).
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, parseConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

describe('connection settings are checked where they are given', () => {
  it('a Redis URL without its scheme', () => {
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_REDIS_URL: 'user:s3cret@redis-host:6379' })).toThrow(
      new ConfigError('PROMPTPILOT_REDIS_URL: expected a redis:// or rediss:// URL (redis://[user:password@]host:port[/db])'),
    );
    expect(() => parseConfig({ redis: { url: 'localhost:6379' } })).toThrow(/redis\.url: expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(parseConfig(applyEnvOverrides({}, { PROMPTPILOT_REDIS_URL: 'rediss://u:p@h:6380/2' })).redis.url).toBe('rediss://u:p@h:6380/2');
  });

  it('a broker list with no broker', () => {
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_KAFKA_BROKERS: ' , ' })).toThrow(/PROMPTPILOT_KAFKA_BROKERS: expected a comma-separated list of host:port/);
    expect(parseConfig(applyEnvOverrides({}, { PROMPTPILOT_KAFKA_BROKERS: 'a:9092,b:9092' })).kafka.brokers).toEqual(['a:9092', 'b:9092']);
  });
});
