import { describe, expect, it } from 'vitest';
import { createProbeBoard, probeReply, readProbeBoard, writeProbeBoard, PROBE_BODY_MAX_BYTES } from '../../../src/adapters/http/probeBoard.js';

describe('probe board', () => {
  it('reads back what the main thread wrote last, with its heartbeat', () => {
    const board = createProbeBoard();
    expect(readProbeBoard(board)).toBeNull();
    writeProbeBoard(board, 1_000, { code: 200, body: '{"status":"ready"}' });
    writeProbeBoard(board, 1_100, { code: 503, body: '{"status":"overloaded","inFlightRequests":64}', retryAfterSeconds: 2 });
    expect(readProbeBoard(board)).toEqual({ code: 503, body: '{"status":"overloaded","inFlightRequests":64}', retryAfterSeconds: 2, heartbeatMs: 1_100 });
    writeProbeBoard(board, 1_200, { code: 200, body: '{"status":"degraded","reason":"redis: connection refused — é"}' });
    expect(readProbeBoard(board)).toEqual({ code: 200, body: '{"status":"degraded","reason":"redis: connection refused — é"}', heartbeatMs: 1_200 });
  });

  it('cuts a body longer than the board at its size instead of overrunning it', () => {
    const board = createProbeBoard();
    writeProbeBoard(board, 5, { code: 200, body: 'x'.repeat(PROBE_BODY_MAX_BYTES + 100) });
    expect(readProbeBoard(board)?.body.length).toBe(PROBE_BODY_MAX_BYTES);
  });

  it('answers from a fresh heartbeat, says stalled past probe_stall, starting before the first write', () => {
    const reading = { code: 200, body: '{"status":"ready"}', heartbeatMs: 10_000 };
    expect(probeReply('/healthz', reading, 10_500, 1_000)).toEqual({ code: 200, body: '{"status":"ok"}' });
    expect(probeReply('/readyz', reading, 10_500, 1_000)).toBe(reading);
    const stalled = probeReply('/healthz', reading, 12_500, 1_000);
    expect(stalled.code).toBe(503);
    expect(JSON.parse(stalled.body)).toMatchObject({ status: 'stalled', loop_silent_ms: 2_500 });
    expect(probeReply('/readyz', reading, 12_500, 1_000).code).toBe(503);
    expect(probeReply('/healthz', null, 0, 1_000).code).toBe(200);
    expect(probeReply('/readyz', null, 0, 1_000)).toMatchObject({ code: 503 });
  });
});
