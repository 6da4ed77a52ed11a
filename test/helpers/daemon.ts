import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { startDaemon, type Daemon, type DaemonOptions } from '../../src/daemon.js';
import { createLogger } from '../../src/runtime/logger.js';

/**
 * Starts a daemon on a free loopback port with a silent logger. Shedding on
 * event-loop lag is off unless the test asks for it: a busy CI machine must
 * not turn a functional test's 202 into a (correct) 503.
 */
export async function startTestDaemon(raw: Record<string, unknown> = {}, options: DaemonOptions = {}): Promise<{ daemon: Daemon; config: Config }> {
  const server = { port: 0, host: '127.0.0.1', max_event_loop_delay: 0, ...((raw['server'] as object | undefined) ?? {}) };
  const config = parseConfig({ ...raw, server, log: { level: 'silent' } });
  const daemon = await startDaemon(config, { logger: createLogger(config), ...options });
  return { daemon, config };
}

export async function postJson(url: string, body: unknown, contentType = 'application/json'): Promise<{ status: number; json: any }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': contentType }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text.length > 0 ? JSON.parse(text) : null };
}

export async function getJson(url: string): Promise<{ status: number; json: any }> {
  const res = await fetch(url);
  return { status: res.status, json: await res.json() };
}
