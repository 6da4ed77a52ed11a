// Regression (found using the daemon as a new user): `promptpilot run` re-executes itself with a heap limit, and the
// daemon drains once its parent dies (the IPC channel closes). A parent killed while the daemon was still starting
// closed the channel before the daemon listened for that, so the daemon ran on without a parent, holding its port,
// for good (it then read a null channel). It now sees the closed channel when it has started, and drains.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';

/** The pid of `pid`'s first child (Linux), or null. */
function childOf(pid: number): number | null {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first === undefined || first === '' ? null : Number(first);
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the parent of run killed while the daemon starts', { timeout: 120_000 }, () => {
  it('leaves no daemon running', async () => {
    const parent = spawn(process.execPath, ['dist/cli/main.js', 'run'], {
      detached: true,
      stdio: 'ignore',
      // NODE_OPTIONS without a heap limit: run re-executes itself with one, as it does for users
      env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: '0', NODE_OPTIONS: '' },
    });
    const pid = parent.pid ?? 0;
    let daemon: number | null = null;
    onTestFinished(() => {
      if (daemon !== null && alive(daemon)) process.kill(daemon, 'SIGKILL');
    });
    while ((daemon = childOf(pid)) === null && parent.exitCode === null) await new Promise((r) => setTimeout(r, 2));
    expect(daemon).not.toBeNull();
    parent.kill('SIGKILL');
    const deadline = Date.now() + 60_000;
    while (daemon !== null && alive(daemon) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(daemon !== null && alive(daemon)).toBe(false);
  });
});
