import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { ENV } from '../../src/config/load.js';

// The CLI as users run it: the built package (npm test builds before vitest).
const CLI = 'dist/cli/main.js';
const run = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};
const tmpFile = (name: string, text: string): string => {
  const path = join(mkdtempSync(join(tmpdir(), 'pp-cli-')), name);
  writeFileSync(path, text);
  return path;
};

/**
 * After the test (passed, failed or timed out), SIGKILLs the process group of `child` if it still runs: `run`
 * re-executes itself with a heap limit, and a killed parent alone would leave the daemon running.
 */
function killGroupAfterTest(child: ChildProcess): void {
  onTestFinished(() => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  });
}

/**
 * Starts `promptpilot run` with `args` and `env` on a port it binds itself (PROMPTPILOT_PORT=0: a port
 * picked here and released would be free for any other process until the daemon binds it) and resolves
 * once it logs that it listens, with its URL. `out()` is its stdout so far. Its own process group (see {@link killGroupAfterTest}).
 */
async function startRun(args: readonly string[], env: Record<string, string>): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const child = spawn(process.execPath, [CLI, 'run', ...args], { detached: true, env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: '0', PROMPTPILOT_LOG_LEVEL: 'info', ...env } });
  killGroupAfterTest(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      const line = out.split('\n').find((l) => l.includes('"promptpilot listening"'));
      if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`run exited ${String(code)} before listening: ${err}${out}`)));
  });
  return { child, url, out: () => out };
}

// Every test here starts the CLI, several times for some: on a loaded machine one start takes seconds.
describe('promptpilot CLI', { timeout: 240_000 }, () => {
  it('--help everywhere, exit 0', () => {
    for (const args of [['--help'], ['run', '--help'], ['replay', '--help'], ['gate', '--help'], ['validate-config', '--help'], ['compress', '--help']]) {
      const r = run(...args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage');
    }
  });

  it('no command at all is a usage error: the usage on stderr, nothing on stdout, exit 2 (it went to stdout)', () => {
    const r = run();
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('Usage');
  });

  it('gate --route, as README and its own error message tell a user, is taken (it was refused as an unknown option)', () => {
    const several = run('gate', '--baseline', 'examples/recorded.ndjson.gz', '--candidate', 'examples/recorded.ndjson.gz');
    expect(several.code).toBe(2);
    expect(several.stderr).toContain('choose one with --route');
    const r = run('gate', '--baseline', 'examples/recorded.ndjson.gz', '--candidate', 'examples/recorded.ndjson.gz', '--route', 'faq-answer');
    expect(r.stderr).not.toContain('unknown option');
    expect((JSON.parse(r.stdout) as { route: string }).route).toBe('faq-answer');
    expect(run('gate', '--help').stdout).toContain('[--route R]');
    expect(run('--help').stdout).toContain('--candidate B.ndjson [--route R]');
  });

  it('README and --help name every PROMPTPILOT_* variable the daemon reads (README left out PROMPTPILOT_HOST and PROMPTPILOT_PROBE_PORT)', () => {
    const readme = readFileSync('README.md', 'utf8');
    const help = run('--help').stdout;
    for (const name of Object.values(ENV)) {
      expect(readme).toContain(`\`${name}\``);
      expect(help).toContain(name);
    }
  });

  it('README says which config npm start runs (it said "embedded defaults"; the demo config sets other targets, e.g. p95 6 s)', () => {
    const start = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts['start']!;
    const config = /--config (\S+)/.exec(start)![1]!;
    const line = readFileSync('README.md', 'utf8').split('\n').find((l) => l.startsWith('npm ci && npm start'))!;
    expect(line).toContain(config);
    expect(line).not.toContain('embedded defaults');
  });

  it('--version prints the version in package.json, exit 0', () => {
    const { version } = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
    for (const flag of ['--version', '-v']) {
      const r = run(flag);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(`${version}\n`);
    }
  });

  it('bad usage is one clear line and a non-zero exit, never a stack trace', () => {
    for (const args of [['frobnicate'], ['replay'], ['replay', '--input', 'does-not-exist.ndjson'], ['replay', '--bogus', 'x'], ['run', '--config', 'nope.yaml']]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('compress: the daemon\'s candidate on stdout or as JSON; stdin with -; idempotent; bad input is one line', () => {
    const file = 'test/fixtures/prompts/code_review_guide.txt';
    const json = run('compress', file, '--json', '--level', 'aggressive');
    expect(json.code).toBe(0);
    const out = JSON.parse(json.stdout) as { template: string; tokens_before: number; tokens_after: number; saving_pct: number; transforms: { name: string; tokens_saved: number }[] };
    expect(Object.keys(out)).toEqual(['template', 'tokens_before', 'tokens_after', 'saving_pct', 'level', 'transforms']);
    expect(out.saving_pct).toBeGreaterThanOrEqual(40);
    expect(out.transforms.reduce((sum, t) => sum + t.tokens_saved, 0)).toBe(out.tokens_before - out.tokens_after);
    const text = run('compress', file);
    expect(text.code).toBe(0);
    const again = spawnSync(process.execPath, [CLI, 'compress', '-', '--json'], { input: text.stdout, encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
    const second = JSON.parse(again.stdout) as { template: string; transforms: unknown[] };
    expect(second.template + '\n').toBe(text.stdout);
    expect(second.transforms).toEqual([]);
    for (const args of [['compress', 'nope.txt'], ['compress', file, '--level', 'extreme'], ['compress', tmpFile('empty.txt', '  \n')]]) {
      const r = run(...args);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    }
  }, 300_000);

  it('validate-config: the shipped configs are valid; a bad one names the path (exit 1)', () => {
    expect(run('validate-config', 'config/default.yaml').code).toBe(0);
    expect(run('validate-config', 'config/demo.yaml').code).toBe(0);
    const bad = tmpFile('bad.yaml', 'abtest:\n  gates:\n    cost_increase_pct: lots\n');
    const r = run('validate-config', bad);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('abtest.gates.cost_increase_pct: expected number');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('replay prints decision records on stdout and reports bad lines on stderr', () => {
    const start = Date.parse('2026-01-05T08:00:00Z');
    const lines = ['{oops'];
    for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ ts: start + i * 400, route: 'r', variant: 'v', latency_ms: 4000, cost_usd: 0.01 }));
    const r = run('replay', '--input', tmpFile('in.ndjson', lines.join('\n')));
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(':1: (line): invalid JSON');
    const records = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(records[0]).toMatchObject({ type: 'trigger', rule: 'response_time_warning', state: 'firing' });
  });

  it('run with its port already in use exits at once (simulator on too) with one line naming the port and how to change it', async () => {
    const holder = createServer();
    const port = await new Promise<number>((resolve) => holder.listen(0, '127.0.0.1', () => resolve((holder.address() as { port: number }).port)));
    try {
      // Its own process group: should it not exit, the re-executed daemon (the heap limit) is killed with it, not left listening.
      const child = spawn(process.execPath, [CLI, 'run', '--config', 'config/demo.yaml'], { detached: true, env: { ...process.env, PROMPTPILOT_CONFIG: '', PROMPTPILOT_PORT: String(port), PROMPTPILOT_LOG_LEVEL: 'info' } });
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      child.stdout.resume();
      killGroupAfterTest(child);
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      expect(code).not.toBe(0);
      const lines = err.trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`port ${port} is already in use`);
      expect(lines[0]).toContain('server.port');
      expect(lines[0]).toContain('--config');
      expect(lines[0]).toContain('PROMPTPILOT_PORT');
    } finally {
      await new Promise((r) => holder.close(r));
    }
  });

  it('run drains and exits 0 on SIGTERM', async () => {
    const { child, url, out } = await startRun([], {});
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ts: Date.now(), route: 'r', variant: 'v', latency_ms: 5 }),
    });
    expect(res.status).toBe(202);
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out()).toContain('promptpilot stopped');
  });

  it('run reloads its config on SIGHUP (a config record), keeps serving and still drains on SIGTERM', async () => {
    // SIGHUP before the handler is installed would kill it (Node's default): it is sent once the daemon listens
    const { child, url, out } = await startRun([], { PROMPTPILOT_API_TOKEN: 'tok-never-printed' });
    child.kill('SIGHUP');
    while (!out().includes('config from environment')) await new Promise((r) => setTimeout(r, 100));
    expect(out()).toContain('SIGHUP received: reloading the config');
    expect(out()).toContain('config from environment applied: no change (SIGHUP)');
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    expect(child.exitCode).toBeNull();
    child.kill('SIGTERM');
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).toBe(0);
    expect(out()).toContain('promptpilot stopped');
    expect(out()).not.toContain('tok-never-printed');
  });

  it("run gives V8 a heap limit derived from limits.memory_budget_bytes (5/8 of it) unless NODE_OPTIONS sets one", async () => {
    const heapLimitMiB = async (env: Record<string, string>): Promise<{ limitMiB: number; code: number | null }> => {
      const config = tmpFile('budget.yaml', 'limits:\n  memory_budget_bytes: 536870912\n');
      const { child, url } = await startRun(['--config', config], env);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      child.kill('SIGTERM');
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      // heap_size_limit is the old generation plus V8's young generation (tens of MiB)
      return { limitMiB: Number(/^nodejs_heap_size_limit_bytes (\S+)/m.exec(metrics)?.[1]) / 2 ** 20, code };
    };
    // 5/8 of 512 MiB = 320 MiB of old generation; the signal reaches the daemon through its parent, which exits with its code
    const derived = await heapLimitMiB({ NODE_OPTIONS: '' });
    expect(derived.limitMiB).toBeGreaterThanOrEqual(320);
    expect(derived.limitMiB).toBeLessThan(320 + 100);
    expect(derived.code).toBe(0);
    const chosen = await heapLimitMiB({ NODE_OPTIONS: '--max-old-space-size=200' });
    expect(chosen.limitMiB).toBeGreaterThanOrEqual(200);
    expect(chosen.limitMiB).toBeLessThan(200 + 100);
    expect(chosen.code).toBe(0);
  });
});
