import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, portTaken } from './readyProcess.js';

/** Path of the redis-server binary (Debian package `redis-server`). */
export const REDIS_SERVER = process.env['REDIS_SERVER'] ?? '/usr/bin/redis-server';

/** A redis-server the test started on a free port with a private directory. */
export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:PORT`. */
  readonly url: string;
  /** An outage: SIGKILL. {@link restart} brings it back on the same port (empty unless started `durable`). */
  kill(): Promise<void>;
  /** Starts it again on the same port after {@link kill}. */
  restart(): Promise<void>;
  /** Stops it for good and removes its directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a real redis-server on a free port ({@link freePort}: never the machine's 6379, and
 * none the kernel gives another process during an outage), in a
 * temporary directory removed by {@link RedisServer.stop}. No persistence,
 * unless `durable`: then every write is in an fsynced append-only file, so
 * data survives {@link RedisServer.kill} and {@link RedisServer.restart} (an outage, not a wipe).
 */
export async function startRedis(options: { durable?: boolean } = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-redis-'));
  const durable = options.durable === true;
  let port = await freePort();
  let child: ChildProcess | null = null;
  for (let attempt = 1; child === null; attempt++) {
    try {
      child = await spawnRedis(port, dir, durable);
    } catch (err) {
      // Taken since freePort found it free: another port.
      if (attempt >= 5 || !portTaken(String(err))) throw err;
      port = await freePort();
    }
  }
  let final: Promise<void> | null = null;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async kill() {
      if (child !== null) await stopChild(child, 'SIGKILL');
      child = null;
    },
    async restart() {
      if (child !== null) await stopChild(child, 'SIGKILL');
      child = await spawnRedis(port, dir, durable);
    },
    stop() {
      final ??= (async () => {
        if (child !== null) await stopChild(child, 'SIGTERM');
        child = null;
        rmSync(dir, { recursive: true, force: true });
      })();
      return final;
    },
  };
}

async function spawnRedis(port: number, dir: string, durable: boolean): Promise<ChildProcess> {
  const persistence = durable ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  await new Promise<void>((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start on ${port}: ${log.slice(-500)}`));
    }, 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
      if (log.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${String(code)}: ${log.slice(-500)}`));
    });
  });
  child.stdout?.resume();
  child.stderr?.resume();
  return child;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
