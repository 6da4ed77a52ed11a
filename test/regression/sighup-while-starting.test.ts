// Regression (found using the daemon as a new user): a SIGHUP (`systemctl reload`, `kill -HUP`) in the first seconds
// after `promptpilot run` started killed the daemon without one log line, exit 129. The parent that re-executes
// itself with a heap limit passed the signal on at once, to a child that had not yet loaded the code that handles
// it, so Node's default (end the process) applied. Now the parent waits until the child holds SIGHUPs, the child
// holds them from its first line, and a reload asked for while starting is done once the daemon runs.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';

/** The pids of `pid`'s children (Linux). */
function childrenOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  } catch {
    return '';
  }
}

describe('a SIGHUP while run starts', { timeout: 120_000 }, () => {
  it('is a reload once the daemon runs, not the end of it', async () => {
    const parent = spawn(process.execPath, ['dist/cli/main.js', 'run'], {
      detached: true,
      // NODE_OPTIONS without a heap limit: run re-executes itself with one, as it does for users
      env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: '0', PROMPTPILOT_LOG_LEVEL: 'info', NODE_OPTIONS: '' },
    });
    onTestFinished(() => {
      if (parent.exitCode === null && parent.signalCode === null && parent.pid !== undefined) process.kill(-parent.pid, 'SIGKILL');
    });
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    parent.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const exited = new Promise<number | null>((resolve) => parent.once('exit', (code) => resolve(code)));
    const pid = parent.pid ?? 0;
    // The moment the daemon process exists it is still loading: the SIGHUP that killed it came then.
    while (childrenOf(pid) === '' && parent.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    parent.kill('SIGHUP');
    while (!out.includes('config from environment') && parent.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    expect(parent.exitCode, out).toBeNull();
    expect(out).toContain('"promptpilot listening"');
    expect(out).toContain('config from environment applied: no change (SIGHUP)');
    const url = (JSON.parse(out.split('\n').find((l) => l.includes('"promptpilot listening"')) ?? '{}') as { url: string }).url;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    parent.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
