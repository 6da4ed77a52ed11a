import { Worker } from 'node:worker_threads';
import { createProbeBoard, writeProbeBoard, type ProbeAnswer } from './probeBoard.js';
import type { ProbeWorkerData } from './probeWorker.js';

/** How often the main thread refreshes the probe board (its heartbeat). */
export const PROBE_HEARTBEAT_MS = 100;

/** The probe port, running. */
export interface ProbePort {
  readonly port: number;
  /** Publishes the current answer now (after a change the next heartbeat would carry up to 100 ms later). */
  refresh(): void;
  /** Stops the heartbeat and the worker (its connections are closed). */
  close(): Promise<void>;
}

export interface ProbePortOptions {
  readonly host: string;
  readonly port: number;
  /** `server.probe_stall`: a heartbeat older than this makes both probes answer 503 `stalled`. */
  readonly stallMs: number;
  readonly maxConnections: number;
  /** The `/readyz` answer now (the same one the main port gives). */
  readonly answer: () => ProbeAnswer;
  readonly now: () => number;
}

/**
 * Serves `/healthz` and `/readyz` on a port of their own from a worker thread
 * (`server.probe_port`): the main thread publishes a heartbeat and its readiness
 * answer every {@link PROBE_HEARTBEAT_MS} ms; the worker answers from that on
 * its own event loop, so a probe never queues behind ingest on the main loop.
 * Resolves once the worker listens; rejects with the listen error (for
 * example EADDRINUSE) otherwise.
 */
export async function startProbePort(options: ProbePortOptions): Promise<ProbePort> {
  const board = createProbeBoard();
  const publish = (): void => writeProbeBoard(board, options.now(), options.answer());
  publish();
  const workerData: ProbeWorkerData = { board, host: options.host, port: options.port, stallMs: options.stallMs, maxConnections: options.maxConnections };
  const worker = new Worker(new URL('./probeWorker.js', import.meta.url), { workerData });
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('message', (message: { type: string; port?: number; code?: string | null; message?: string }) => {
      if (message.type === 'listening' && typeof message.port === 'number') resolve(message.port);
      else reject(Object.assign(new Error(message.message ?? 'probe port failed'), { code: message.code ?? undefined }));
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`probe worker exited (${code}) before listening`)));
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  // The heartbeat must not keep the process alive on its own; the worker must not either.
  const timer = setInterval(publish, PROBE_HEARTBEAT_MS);
  timer.unref();
  worker.unref();
  let closing: Promise<void> | null = null;
  return {
    port,
    refresh: publish,
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
        worker.postMessage('close');
        // A worker that does not exit within a second is terminated: shutdown never hangs on probes.
        const timeout = setTimeout(() => void worker.terminate(), 1_000);
        await exited;
        clearTimeout(timeout);
      })();
      return closing;
    },
  };
}
