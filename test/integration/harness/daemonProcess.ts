import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

/** The built CLI (npm test builds first). */
export const CLI = 'dist/cli/main.js';

/** A real `promptpilot run` process. */
export interface DaemonProcess {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  /** Its stdout lines (JSON logs) and stderr chunks so far. */
  readonly output: string[];
  /** SIGKILL to its process group (no drain, no goodbye) and wait for the exit. */
  kill(): Promise<void>;
  /** SIGTERM (graceful drain) and wait for the exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/**
 * Starts `promptpilot run --config FILE` with `env` on top of this process's
 * environment and resolves once it logs "promptpilot listening" (its URL).
 * Tests kill leftovers with {@link killAll} in `afterAll`.
 */
export async function startDaemonProcess(name: string, configFile: string, env: Record<string, string>, running: DaemonProcess[] = []): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [CLI, 'run', '--config', configFile], {
    env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: `promptpilot run` may re-execute itself (the heap limit) and SIGKILL must reach both.
    detached: true,
  });
  const output: string[] = [];
  let pending = '';
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start: ${output.join('\n').slice(-2000)}`)), 30_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        output.push(line);
        if (line.includes('"promptpilot listening"')) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      }
    });
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited ${String(code)}: ${output.join('\n').slice(-2000)}`));
    });
  });
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  const daemon: DaemonProcess = {
    name,
    url,
    child,
    output,
    async kill() {
      if (exited()) return;
      const done = once(child, 'exit');
      // The whole group, as a crash or an OOM kill of the container takes it: a re-executed daemon whose parent
      // alone died would drain cleanly (final checkpoint, leases released), which is not what a kill -9 test means.
      if (child.pid === undefined) child.kill('SIGKILL');
      else process.kill(-child.pid, 'SIGKILL');
      await done;
    },
    async stop() {
      if (!exited()) {
        const done = once(child, 'exit');
        child.kill('SIGTERM');
        await done;
      }
      return child.exitCode;
    },
  };
  running.push(daemon);
  return daemon;
}

/** SIGKILLs every daemon still running (afterAll). */
export async function killAll(running: readonly DaemonProcess[]): Promise<void> {
  for (const d of running) await d.kill();
}

/** What {@link postEvents} got back: the status and the JSON body of the last answer. */
export interface PostedEvents {
  readonly status: number;
  readonly body: { accepted?: number; rejected?: number; errors?: { message: string }[]; [key: string]: unknown };
}

/**
 * POSTs `events` as one batch to `url`'s /v1/events. A daemon process runs
 * with the default lag-based load shedding, so on a loaded machine a batch may
 * be answered 503 with Retry-After: it counted nothing, and is sent again after
 * the wait it names, for up to `patienceMs`; then the last answer is returned.
 */
export async function postEvents(url: string, events: readonly Record<string, unknown>[], patienceMs = 60_000): Promise<PostedEvents> {
  const giveUpAt = Date.now() + patienceMs;
  const body = JSON.stringify(events);
  for (;;) {
    const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const answer = (await res.json()) as PostedEvents['body'];
    if (res.status !== 503 || Date.now() >= giveUpAt) return { status: res.status, body: answer };
    await new Promise((resolve) => setTimeout(resolve, 1000 * Math.max(0.1, Number(res.headers.get('retry-after') ?? '1') || 1)));
  }
}
