import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';

// The fixture runs the built daemon (npm test builds first) with server.probe_port; everything is on 127.0.0.1.
const FIXTURE = 'test/fixtures/scripts/blockableDaemon.mjs';

interface Step { step: string; url?: string; probeUrl?: string }

let child: ChildProcessWithoutNullStreams | null = null;
afterEach(() => {
  child?.kill('SIGKILL');
  child = null;
});

/** Starts the fixture; `next(step)` resolves when it prints that step. */
function startFixture(stallMs: number): { next: (step: string) => Promise<Step>; send: (line: string) => void; seen: string[] } {
  const proc = spawn(process.execPath, [FIXTURE, String(stallMs)], { stdio: ['pipe', 'pipe', 'pipe'] });
  child = proc;
  const seen: string[] = [];
  const waiting = new Map<string, (s: Step) => void>();
  const stderr: string[] = [];
  proc.stderr.on('data', (c: Buffer) => stderr.push(c.toString()));
  createInterface({ input: proc.stdout }).on('line', (line) => {
    const s = JSON.parse(line) as Step;
    seen.push(s.step);
    waiting.get(s.step)?.(s);
  });
  return {
    seen,
    send: (line) => proc.stdin.write(`${line}\n`),
    next: (step) =>
      new Promise<Step>((resolve, reject) => {
        waiting.set(step, resolve);
        proc.once('exit', (code) => reject(new Error(`fixture exited ${String(code)} before '${step}': ${stderr.join('')}`)));
      }),
  };
}

async function get(url: string): Promise<{ status: number; body: Record<string, unknown>; retryAfter: string | null }> {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, retryAfter: res.headers.get('retry-after') };
}

describe('probe port (server.probe_port): probes answered by a worker thread', () => {
  it('answers while the main event loop is blocked, and says stalled once it has been silent past server.probe_stall', async () => {
    const fixture = startFixture(1_000);
    const { url, probeUrl } = await fixture.next('listening');
    expect(probeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Same answers as the main port while the daemon is well.
    expect(await get(`${probeUrl!}/healthz`)).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await get(`${probeUrl!}/readyz`)).toEqual(await get(`${url!}/readyz`));
    expect((await fetch(`${probeUrl!}/metrics`)).status).toBe(404);
    expect((await fetch(`${probeUrl!}/healthz`, { method: 'POST' })).status).toBe(405);

    // Freeze the main thread for 8 s: the main port cannot answer, the probe port does.
    const blocked = fixture.next('blocked');
    const unblocked = fixture.next('unblocked');
    fixture.send('block 8000');
    await blocked;
    // Past the 1 s stall threshold (the heartbeat stopped before 'blocked' was printed).
    await new Promise((r) => setTimeout(r, 1_500));
    const health = await get(`${probeUrl!}/healthz`);
    const ready = await get(`${probeUrl!}/readyz`);
    // Both answers came while the main thread was still frozen: the worker answered them alone.
    expect(fixture.seen).not.toContain('unblocked');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'stalled' });
    expect(health.body['loop_silent_ms']).toBeGreaterThanOrEqual(1_000);
    expect(String(health.body['reason'])).toContain('server.probe_stall');
    expect(ready).toMatchObject({ status: 503, body: { status: 'stalled' } });

    // The loop runs again: the heartbeat resumes and both probes are well again.
    await unblocked;
    await expect.poll(async () => (await get(`${probeUrl!}/healthz`)).status, { timeout: 10_000, interval: 100 }).toBe(200);
    expect((await get(`${probeUrl!}/readyz`)).body).toEqual({ status: 'ready' });

    const stopped = fixture.next('stopped');
    fixture.send('stop');
    await stopped;
  }, 60_000);

  it('a blocked loop shorter than server.probe_stall is not a failure: the probe port still answers ok', async () => {
    const fixture = startFixture(30_000);
    const { probeUrl } = await fixture.next('listening');
    const blocked = fixture.next('blocked');
    fixture.send('block 5000');
    await blocked;
    const health = await get(`${probeUrl!}/healthz`);
    const ready = await get(`${probeUrl!}/readyz`);
    expect(fixture.seen).not.toContain('unblocked');
    expect(health).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(ready).toMatchObject({ status: 200, body: { status: 'ready' } });
  }, 60_000);
});
