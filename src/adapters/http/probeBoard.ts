/**
 * The probe board: a small shared-memory record through which the daemon's
 * main thread tells the probe worker how it is (a heartbeat and the current
 * `/readyz` answer). The worker answers probes from it without waiting for the
 * main thread's event loop, so a kubelet gets an answer in milliseconds while
 * ingest keeps that loop busy — and an honest one: a heartbeat that stopped
 * means a stalled daemon, and the worker says so.
 *
 * Layout (one SharedArrayBuffer): Int32 `seq` (a seqlock: odd while being
 * written), Int32 status code, Int32 `Retry-After` seconds (0 = none), Int32
 * body length, Float64 heartbeat (epoch ms), then the body's UTF-8 bytes.
 */

/** One `/readyz` answer as the main thread computed it. */
export interface ProbeAnswer {
  readonly code: number;
  readonly body: string;
  /** `Retry-After` in seconds, when the answer is a 503 that carries one. */
  readonly retryAfterSeconds?: number;
}

/** What the worker reads back: the answer and when the main thread last wrote it. */
export interface ProbeReading extends ProbeAnswer {
  readonly heartbeatMs: number;
}

const HEADER_BYTES = 24;
/** Longest body the board carries; a longer one is cut (readiness bodies are a few hundred bytes). */
export const PROBE_BODY_MAX_BYTES = 4_096;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A board to share with a worker through `workerData`. */
export function createProbeBoard(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + PROBE_BODY_MAX_BYTES);
}

/** Writes a heartbeat and answer (main thread; one writer). */
export function writeProbeBoard(board: SharedArrayBuffer, nowMs: number, answer: ProbeAnswer): void {
  const ints = new Int32Array(board, 0, 4);
  const bytes = new Uint8Array(board, HEADER_BYTES);
  Atomics.add(ints, 0, 1);
  ints[1] = answer.code;
  ints[2] = answer.retryAfterSeconds ?? 0;
  const { written } = encoder.encodeInto(answer.body, bytes);
  ints[3] = written;
  new Float64Array(board, 16, 1)[0] = nowMs;
  Atomics.add(ints, 0, 1);
}

/** Reads a consistent snapshot (probe worker); null before the first write. */
export function readProbeBoard(board: SharedArrayBuffer): ProbeReading | null {
  const ints = new Int32Array(board, 0, 4);
  for (;;) {
    const before = Atomics.load(ints, 0);
    if (before === 0) return null;
    if (before % 2 === 1) continue;
    const code = ints[1] ?? 0;
    const retryAfterSeconds = ints[2] ?? 0;
    const length = ints[3] ?? 0;
    const body = decoder.decode(new Uint8Array(board, HEADER_BYTES, length).slice());
    const heartbeatMs = new Float64Array(board, 16, 1)[0] ?? 0;
    if (Atomics.load(ints, 0) !== before) continue;
    return { code, body, heartbeatMs, ...(retryAfterSeconds > 0 ? { retryAfterSeconds } : {}) };
  }
}

/**
 * What a probe on the probe port answers, from a board reading: the main
 * thread's own answer while its heartbeat is fresh; 503 `stalled` (both
 * probes) once it has been silent for longer than `stallMs`, or before it
 * first wrote (`starting`, readiness only — a process still starting is alive).
 */
export function probeReply(path: '/healthz' | '/readyz', reading: ProbeReading | null, nowMs: number, stallMs: number): ProbeAnswer {
  if (reading === null) {
    return path === '/healthz' ? { code: 200, body: '{"status":"ok"}' } : { code: 503, body: '{"status":"starting","reason":"starting"}' };
  }
  const silentMs = Math.max(0, nowMs - reading.heartbeatMs);
  if (silentMs > stallMs) {
    return { code: 503, body: JSON.stringify({ status: 'stalled', reason: `the daemon's event loop has not run for ${Math.round(silentMs)} ms (server.probe_stall ${stallMs} ms)`, loop_silent_ms: Math.round(silentMs) }) };
  }
  return path === '/healthz' ? { code: 200, body: '{"status":"ok"}' } : reading;
}
