/**
 * Entry of the probe worker thread: a tiny HTTP server on `server.probe_port`
 * that answers `GET /healthz` and `GET /readyz` from the probe board (see
 * ./probeBoard.ts), on its own event loop. It never touches the engine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import { probeReply, readProbeBoard } from './probeBoard.js';

/** What the main thread hands the worker. */
export interface ProbeWorkerData {
  readonly board: SharedArrayBuffer;
  readonly host: string;
  readonly port: number;
  readonly stallMs: number;
  readonly maxConnections: number;
}

const data = workerData as ProbeWorkerData;

function answer(request: IncomingMessage, response: ServerResponse): void {
  const path = (request.url ?? '').split('?')[0];
  const json = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };
  if (path !== '/healthz' && path !== '/readyz') {
    response.writeHead(404, json).end(JSON.stringify({ error: `no such endpoint on the probe port: ${request.method ?? ''} ${path ?? ''}; it serves GET /healthz and GET /readyz` }));
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { ...json, allow: 'GET, HEAD' }).end(JSON.stringify({ error: `${request.method ?? ''} not allowed on ${path}: use GET` }));
    return;
  }
  const reply = probeReply(path, readProbeBoard(data.board), Date.now(), data.stallMs);
  response.writeHead(reply.code, reply.retryAfterSeconds !== undefined ? { ...json, 'retry-after': String(reply.retryAfterSeconds) } : json);
  response.end(request.method === 'HEAD' ? undefined : reply.body);
}

// Probes send no body and come back every few seconds: short timeouts, a small connection cap.
const server = createServer({ headersTimeout: 5_000, requestTimeout: 5_000, keepAliveTimeout: 5_000 }, answer);
server.maxConnections = data.maxConnections;
server.on('clientError', (_err, socket) => socket.destroy());
server.once('error', (err) => parentPort?.postMessage({ type: 'error', code: (err as NodeJS.ErrnoException).code ?? null, message: err.message }));
server.listen({ host: data.host, port: data.port }, () => {
  const address = server.address();
  parentPort?.postMessage({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : data.port });
});
parentPort?.on('message', (message: unknown) => {
  if (message === 'close') {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
