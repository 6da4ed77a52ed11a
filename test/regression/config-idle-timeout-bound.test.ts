// Regression (found in QA): `server.idle_timeout` shorter than (or equal to) `server.keep_alive_timeout` was taken,
// documented as "not checked": the idle timer then cut connections the server was still keeping alive, and a client
// reusing one got ECONNRESET. It is now a config error at start, in validate-config and on reload.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig, parseConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';

const base = { server: { port: 0, host: '127.0.0.1', max_event_loop_delay: 0 }, log: { level: 'silent' } };
let daemon: Daemon | undefined;
afterAll(async () => {
  await daemon?.stop();
});

describe('server.idle_timeout against server.keep_alive_timeout', () => {
  it('shorter or equal is a config error naming both values; longer or 0 (none) is taken', () => {
    expect(() => parseConfig({ server: { idle_timeout: '60s' } })).toThrow(
      'config: server.idle_timeout: must be greater than server.keep_alive_timeout (72s) or 0 (none), got 1m',
    );
    expect(() => parseConfig({ server: { idle_timeout: '30s', keep_alive_timeout: '30s' } })).toThrow(
      'server.idle_timeout: must be greater than server.keep_alive_timeout (30s) or 0 (none), got 30s',
    );
    expect(() => parseConfig({ server: { keep_alive_timeout: '5m' } })).toThrow('server.idle_timeout: must be greater than server.keep_alive_timeout (5m) or 0 (none), got 2m');
    expect(parseConfig({ server: { idle_timeout: '31s', keep_alive_timeout: '30s' } }).server.idle_timeout).toBe(31_000);
    expect(parseConfig({ server: { idle_timeout: 0 } }).server.idle_timeout).toBe(0);
    expect(parseConfig({}).server).toMatchObject({ idle_timeout: 120_000, keep_alive_timeout: 72_000 });
  });

  it('a reload that sets it wrongly is refused with the reason; the running config stays', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pp-idle-')), 'promptpilot.yaml');
    writeFileSync(file, stringify(base));
    const config = await loadConfig(file, {});
    daemon = await startDaemon(config, { logger: createLogger(config), configFile: file, loadConfig: (f) => loadConfig(f, {}) });
    writeFileSync(file, stringify({ ...base, server: { ...base.server, idle_timeout: '10s' } }));
    const record = await daemon.reload('SIGHUP');
    expect(record).toMatchObject({ type: 'config', status: 'rejected', source: file });
    expect(record.reason).toContain('invalid config, the running one stays');
    expect(record.reason).toContain('server.idle_timeout: must be greater than server.keep_alive_timeout (72s) or 0 (none), got 10s');
    expect(daemon.engine.config.server.idle_timeout).toBe(120_000);
  });
});
