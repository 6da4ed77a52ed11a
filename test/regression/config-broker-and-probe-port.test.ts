// Regression (found in the QA pass): two config mistakes passed validate-config and failed only at run time, saying
// something else: a broker without a port (`kafka-0`, in the file or PROMPTPILOT_KAFKA_BROKERS) made every connection
// fail for a minute with "Port should be >= 0 and < 65536. Received type number (NaN)"; `server.probe_port` equal to
// `server.port` ended the daemon with "port N is already in use: stop the other process". Both are config errors now.
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides, parseConfig } from '../../src/config/load.js';

describe('config checks caught at validation', () => {
  it('a Kafka broker needs host:port', () => {
    expect(() => parseConfig({ kafka: { brokers: ['kafka-0'] } })).toThrow("kafka.brokers[0]: expected host:port, e.g. kafka-0:9092 (got 'kafka-0')");
    expect(() => parseConfig({ kafka: { brokers: ['k:9092', 'k:0'] } })).toThrow("kafka.brokers[1]: expected host:port, e.g. kafka-0:9092 (got 'k:0')");
    expect(() => applyEnvOverrides({}, { PROMPTPILOT_KAFKA_BROKERS: 'k:9092,kafka-1' })).toThrow("PROMPTPILOT_KAFKA_BROKERS: expected host:port, e.g. kafka-0:9092 (got 'kafka-1')");
    expect(parseConfig({ kafka: { brokers: ['kafka-0.kafka:9092', '10.0.0.7:19092', '[::1]:9092'] } }).kafka.brokers).toHaveLength(3);
  });

  it('the probe port differs from the port (0, a free port each, may repeat)', () => {
    expect(() => parseConfig({ server: { port: 4405, probe_port: 4405 } })).toThrow('server.probe_port: must differ from server.port (both are 4405)');
    expect(() => parseConfig({ server: { probe_port: 4318 } })).toThrow('server.probe_port: must differ from server.port');
    expect(parseConfig({ server: { port: 0, probe_port: 0 } }).server.probe_port).toBe(0);
    expect(parseConfig({ server: { port: 4405, probe_port: 4406 } }).server.probe_port).toBe(4406);
  });
});
