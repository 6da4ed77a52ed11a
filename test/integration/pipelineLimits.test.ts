import { afterEach, describe, expect, it } from 'vitest';
import type { Daemon } from '../../src/daemon.js';
import { getJson, startTestDaemon } from '../helpers/daemon.js';
import { GatedLog } from '../helpers/gatedLog.js';

const now = Date.now();
/** Three hours of slow calls: enough for the first batch to produce decisions (and so wait on the log). */
function slowRoute(): object[] {
  const start = now - 3 * 3_600_000;
  return Array.from({ length: 4000 }, (_, i) => ({ ts: start + i * 2_500, route: 'slow', variant: 'cot', pattern: 'chain_of_thought', latency_ms: 3500 + (i % 10) * 10 }));
}
const events = (n: number) => Array.from({ length: n }, (_, i) => ({ ts: now - 60_000 + i, route: 'other', variant: 'v', latency_ms: 5 }));

async function post(url: string, body: unknown): Promise<{ status: number; retryAfter: string | null; json: { error?: string; accepted?: number; code?: string; message?: string } }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as never };
}

let daemon: Daemon | null = null;
let gatedLog: GatedLog | null = null;
afterEach(async () => {
  gatedLog?.release();
  await daemon?.stop();
  daemon = null;
});

describe('the bounded pipeline queue (limits.max_queued_events)', () => {
  it('a full queue answers 503 with Retry-After on events and OTLP, sheds until drained, and loses nothing it accepted', async () => {
    const log = new GatedLog();
    gatedLog = log;
    ({ daemon } = await startTestDaemon({ limits: { max_queued_events: 500 }, server: { retry_after: '3s' } }, { decisionLog: log }));
    const url = daemon.url;
    // 1: its decisions wait on the log, so the pipeline is busy from here on
    const first = post(`${url}/v1/events`, slowRoute());
    await expect.poll(() => log.appendsStarted).toBe(1);
    // 2: waits in the queue (400 of 500)
    const second = post(`${url}/v1/events`, events(400));
    const queued = async (): Promise<number> => Number(/^promptpilot_pipeline_queued_events (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1]);
    await expect.poll(queued).toBe(400);
    // 3: 400 + 200 > 500: refused whole, nothing of it taken
    const third = await post(`${url}/v1/events`, events(200));
    expect(third.status).toBe(503);
    expect(third.retryAfter).toBe('3');
    expect(third.json.code).toBe('OVERLOADED');
    // while full, ingest is shed at the door and readiness says overloaded; OTLP answers 503 too
    const shed = await post(`${url}/v1/events`, events(1));
    expect(shed.status).toBe(503);
    expect(shed.json.error).toContain('limits.max_queued_events');
    const otlp = await post(`${url}/v1/metrics`, { resourceMetrics: [] });
    expect([otlp.status, otlp.retryAfter]).toEqual([503, '3']);
    expect((await getJson(`${url}/readyz`)).status).toBe(503);

    log.release();
    expect((await first).status).toBe(202);
    expect((await second).json.accepted).toBe(400);
    await expect.poll(queued).toBe(0);
    // ready again once the overload has passed for server.retry_after
    await expect.poll(async () => (await getJson(`${url}/readyz`)).status, { timeout: 10_000 }).toBe(200);
    expect((await post(`${url}/v1/events`, events(200))).status).toBe(202);
    expect(await log.size()).toBeGreaterThan(0);
  });
});

describe('stopping while a request is in flight', () => {
  it('does not wait out the keep-alive timeout of connections whose requests were answered after it began', async () => {
    const log = new GatedLog();
    gatedLog = log;
    // An hour of keep-alive: a stop that waited for the answered request's idle socket would outlast this test.
    ({ daemon } = await startTestDaemon({ server: { keep_alive_timeout: '1h', idle_timeout: '2h' } }, { decisionLog: log }));
    const first = post(`${daemon.url}/v1/events`, slowRoute());
    await expect.poll(() => log.appendsStarted).toBe(1);
    // A second request waits in the queue: its answer comes only after close() began.
    const second = post(`${daemon.url}/v1/events`, events(400));
    const url = daemon.url;
    await expect.poll(async () => Number(/^promptpilot_pipeline_queued_events (\S+)/m.exec(await (await fetch(`${url}/metrics`)).text())?.[1])).toBe(400);
    log.release();
    const stopping = daemon.stop();
    expect((await first).status).toBe(202);
    expect((await second).status).toBe(202);
    await stopping;
    // What the requests brought was drained into the log before the daemon stopped.
    expect(await log.size()).toBeGreaterThan(0);
    daemon = null;
  }, 30_000);
});

describe('an internal error in the engine step', () => {
  it('stops the daemon loudly: the request fails, /readyz turns 503 with the reason, daemon.failure settles', async () => {
    ({ daemon } = await startTestDaemon({}));
    const engine = daemon.engine;
    // A bug: the engine throws something nobody anticipated.
    engine.ingest = () => {
      throw new TypeError("Cannot read properties of undefined (reading 'p95')");
    };
    const answer = await post(`${daemon.url}/v1/events`, events(3));
    expect(answer.status).toBe(500);
    const failure = await daemon.failure;
    expect(failure.message).toContain("pipeline stopped: the engine step failed: Cannot read properties of undefined (reading 'p95')");
    const ready = await getJson(`${daemon.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(ready.json.reason).toContain('pipeline stopped');
    // no retry loop: later input is refused with the same error, not retried
    expect((await post(`${daemon.url}/v1/events`, events(1))).status).toBe(500);
  });
});
