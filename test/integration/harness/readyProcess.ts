import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * Ports the kernel never hands out by itself: below its ephemeral range (`ip_local_port_range`), from which
 * it picks the port of every `listen(0)` and outgoing connection on the machine.
 */
function harnessPortRange(): { low: number; high: number } {
  let [first, last] = [32_768, 60_999];
  try {
    [first, last] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number) as [number, number];
  } catch {
    // not Linux: the IANA dynamic range is 49152-65535, within the default above
  }
  if (first - 1 >= 20_000) return { low: 10_000, high: first - 1 };
  if (65_535 - last >= 1_000) return { low: last + 1, high: 65_535 };
  throw new Error(`no port range outside the ephemeral ports ${first}-${last} for test servers`);
}

/**
 * A loopback TCP port nobody listens on now, for a server process the harness starts on it (redis-server,
 * Prometheus, Alertmanager). It is outside the kernel's ephemeral range: a port from that range, released
 * here and bound by the server a moment (or, after an outage, seconds) later, may meanwhile be given to any
 * process's `listen(0)` or outgoing connection; outside it, only another server given a port this way could
 * take it, and the starters retry on a new port when that happens ({@link portTaken}).
 */
export async function freePort(): Promise<number> {
  const { low, high } = harnessPortRange();
  for (let attempt = 0; attempt < 100; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    const server = createServer();
    const bound = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!bound) continue;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
  }
  throw new Error(`no free port in ${low}-${high} after 100 tries`);
}

/** Whether a server's output says its port was taken since {@link freePort} found it free. */
export function portTaken(output: string): boolean {
  return /address already in use/i.test(output);
}

/** A server process the harness started, with its private directory. */
export interface ReadyProcess {
  readonly url: string;
  readonly dir: string;
  /** SIGTERM, wait for the exit, remove the directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a Prometheus-family server (Prometheus, Alertmanager) on a free
 * loopback port with a private temp directory: `setup` writes its config into
 * the directory and returns the arguments; resolves once `GET /-/ready` answers.
 * A port taken before the server bound it is replaced by another one.
 */
export async function startReadyProcess(name: string, binary: string, setup: (dir: string, port: number) => Promise<string[]>): Promise<ReadyProcess> {
  for (let attempt = 1; ; attempt++) {
    const dir = await mkdtemp(path.join(tmpdir(), `pp-${name}-`));
    const started = await startOnPort(binary, dir, await freePort(), setup);
    if ('url' in started) return started;
    if (attempt >= 5 || !portTaken(started.log)) throw new Error(`${name} did not become ready: ${started.log}`);
  }
}

async function startOnPort(binary: string, dir: string, port: number, setup: (dir: string, port: number) => Promise<string[]>): Promise<ReadyProcess | { log: string }> {
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(binary, await setup(dir, port), { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-4000);
  });
  const exited = once(child, 'exit');
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      return { log };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, dir, stop };
}
