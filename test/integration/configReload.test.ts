import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { startDaemon, type Daemon } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';
import { SecretRedactor, secretsOf } from '../../src/runtime/secrets.js';
import { getJson } from '../helpers/daemon.js';
import { startRedis, startWebhookReceiver, type WebhookReceiver } from './harness/index.js';
import { until } from '../helpers/until.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.stop();
});

function writeConfig(path: string, raw: Record<string, unknown>): void {
  // Written aside and renamed over, as editors and ConfigMaps do: the watcher never reads half a file.
  writeFileSync(`${path}.tmp`, stringify({ server: { port: 0, host: '127.0.0.1', max_event_loop_delay: 0 }, log: { level: 'silent' }, ...raw }));
  renameSync(`${path}.tmp`, path);
}

async function start(raw: Record<string, unknown>): Promise<{ daemon: Daemon; file: string }> {
  const file = join(mkdtempSync(join(tmpdir(), 'pp-reload-')), 'promptpilot.yaml');
  writeConfig(file, raw);
  const config = await loadConfig(file, {});
  const daemon = await startDaemon(config, { logger: createLogger(config), configFile: file, loadConfig: (f) => loadConfig(f, {}) });
  running.push(daemon);
  return { daemon, file };
}

const configRecords = async (daemon: Daemon): Promise<any[]> => (await getJson(`${daemon.url}/v1/decisions?type=config`)).json.decisions;

function receiverConfig(receiver: WebhookReceiver): Record<string, unknown> {
  return { notify: { receivers: [{ name: 'ops', type: 'webhook', url: receiver.url, match: { types: ['config'] } }], delivery: { initial_backoff: '20ms' } } };
}

describe('hot reload (SIGHUP and config-file change)', () => {
  it('a valid change applies between batches without dropping events, as an applied config record (and alert) naming what changed', async () => {
    const receiver = await startWebhookReceiver();
    running.push({ stop: () => receiver.close() });
    const { daemon, file } = await start(receiverConfig(receiver));
    const t0 = Date.now() - 3_600_000;
    let sent = 0;
    let accepted = 0;
    // Traffic keeps flowing while the config is swapped.
    const traffic = (async () => {
      for (let b = 0; b < 40; b++) {
        const batch = Array.from({ length: 50 }, (_, i) => ({ ts: t0 + (b * 50 + i) * 100, route: 'search', variant: 'v1', latency_ms: 300 + i }));
        sent += batch.length;
        const res = await fetch(`${daemon.url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(batch) });
        accepted += ((await res.json()) as { accepted: number }).accepted;
      }
    })();
    writeConfig(file, { ...receiverConfig(receiver), routes: { search: { abtest: { rollback: { error_rate_increase_points: 15 } } } }, rules: [{ name: 'accuracy_drop', threshold: 0.8 }] });
    const record = await daemon.reload('SIGHUP');
    await traffic;
    expect(record).toMatchObject({ type: 'config', status: 'applied', source: file, changed: ['routes.search', 'rules'] });
    expect(record.reason).toBe('changed: routes.search, rules (SIGHUP)');
    expect(accepted).toBe(sent);
    const view = (await getJson(`${daemon.url}/v1/routes/search`)).json;
    expect(view.variants[0].count).toBe(sent);
    expect(daemon.engine.config.rules.find((r) => r.name === 'accuracy_drop')!.threshold).toBe(0.8);
    expect(await configRecords(daemon)).toEqual([JSON.parse(JSON.stringify(record))]);
    await receiver.waitFor((reqs) => reqs.length === 1);
    expect(JSON.parse(receiver.requests[0]!.body)).toMatchObject({ decision: { type: 'config', status: 'applied' }, summary: expect.stringContaining('changed: routes.search, rules') });
  });

  it('an invalid file is refused with its problem and the running config stays; a restart-only change is refused too', async () => {
    const { daemon, file } = await start({ abtest: { gates: { cost_increase_pct: 15 } } });
    writeFileSync(file, 'abtest:\n  gates:\n    cost_increase_pct: lots\n');
    const bad = await daemon.reload('SIGHUP');
    expect(bad).toMatchObject({ type: 'config', status: 'rejected', source: file });
    expect(bad.reason).toMatch(/abtest\.gates\.cost_increase_pct: expected number.*line 3.*the running one stays|invalid config, the running one stays: .*abtest\.gates\.cost_increase_pct/);
    expect(daemon.engine.config.abtest.gates.cost_increase_pct).toBe(15);
    writeConfig(file, { server: { port: 1, host: '127.0.0.1', max_event_loop_delay: 0 } });
    const restart = await daemon.reload('SIGHUP');
    expect(restart).toMatchObject({ status: 'rejected', changed: ['server.port'] });
    expect(restart.reason).toContain('server.port cannot change while running (restart to apply)');
    expect((await configRecords(daemon)).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((await fetch(`${daemon.url}/healthz`)).status).toBe(200);
  });

  it('a change of the file alone reloads it (no signal)', async () => {
    const { daemon, file } = await start({});
    writeConfig(file, { targets: { latency_p95_ms: 2500 } });
    await until('a config record', async () => ((await configRecords(daemon)).length > 0 ? true : null), 60_000, 50);
    expect(await configRecords(daemon)).toMatchObject([{ status: 'applied', changed: ['targets.latency_p95_ms'], reason: expect.stringContaining('(file change)') }]);
    expect(daemon.engine.config.targets.latency_p95_ms).toBe(2500);
  });

  it('a secret that arrives with a reload (a Slack URL) is redacted from the log at once, not only after a restart', async () => {
    // A receiver that echoes the request path in its error body, as real webhook endpoints do ("no_service for /services/…").
    const receiver = await startWebhookReceiver(({ path }) => ({ status: 404, body: `no_service for ${path}` }));
    running.push({ stop: () => receiver.close() });
    const file = join(mkdtempSync(join(tmpdir(), 'pp-reload-')), 'promptpilot.yaml');
    const base = { server: { port: 0, host: '127.0.0.1', max_event_loop_delay: 0 }, log: { level: 'warn', format: 'json' } };
    writeFileSync(file, stringify(base));
    const config = await loadConfig(file, {});
    const lines: string[] = [];
    const redactor = new SecretRedactor(secretsOf(config));
    const logger = createLogger(config, { write: (line: string) => (lines.push(line), true) } as unknown as NodeJS.WritableStream, redactor);
    const daemon = await startDaemon(config, { logger, redactor, configFile: file, loadConfig: (f) => loadConfig(f, {}) });
    running.push(daemon);

    const token = 'T0AAAA/B0BBBB/s3cr3tHookToken42';
    const slackUrl = `http://127.0.0.1:${receiver.port}/services/${token}`;
    writeFileSync(file, stringify({ ...base, notify: { receivers: [{ name: 'team', type: 'slack', url: slackUrl, match: { types: ['config'] } }] } }));
    expect(await daemon.reload('SIGHUP')).toMatchObject({ status: 'applied', changed: ['notify.receivers'] });

    // The reload's own config record goes to the new receiver, which refuses it (404: no retry) quoting the secret path.
    await receiver.waitFor((reqs) => reqs.length === 1);
    const deadLetter = await until('the dead letter logged', async () => lines.find((l) => l.includes('dead-lettered')) ?? null, 60_000, 25);
    expect(deadLetter).toContain('no_service for [redacted]');
    expect(lines.join('')).not.toContain('s3cr3tHookToken42');
  });
  it('with several instances on one Redis, a config record names the instance that reloaded, in the shared log and the alert', async () => {
    const redis = await startRedis();
    running.push(redis);
    const receiver = await startWebhookReceiver();
    running.push({ stop: () => receiver.close() });
    const a = await start({ ...receiverConfig(receiver), redis: { url: redis.url, instance_id: 'pp-a' } });
    const b = await start({ ...receiverConfig(receiver), redis: { url: redis.url, instance_id: 'pp-b' } });
    writeFileSync(a.file, 'rules: [{name: accuracy_drop, threshold: high}]\n');
    expect(await a.daemon.reload('SIGHUP')).toMatchObject({ status: 'rejected', instance: 'pp-a' });
    // b runs on, and its view of the shared log says which instance refused the file.
    const [record] = await configRecords(b.daemon);
    expect(record).toMatchObject({ type: 'config', status: 'rejected', source: a.file, instance: 'pp-a' });
    await receiver.waitFor((r) => r.length === 1);
    expect(JSON.parse(receiver.requests[0]!.body).summary).toMatch(/^config from .* on pp-a rejected: invalid config/);
  });
});
