import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A free loopback TCP port (bound, read, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
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
 */
export async function startReadyProcess(name: string, binary: string, setup: (dir: string, port: number) => Promise<string[]>): Promise<ReadyProcess> {
  const dir = await mkdtemp(path.join(tmpdir(), `pp-${name}-`));
  const port = await freePort();
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
      throw new Error(`${name} did not become ready: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url, dir, stop };
}
