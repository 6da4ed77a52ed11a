// Regression (found in QA): `PROMPTPILOT_PORT=abc promptpilot replay --input x.ndjson` printed
// "PROMPTPILOT_PORT: expected a port number..." and exited 2. The offline commands use no server, Kafka, Redis or log
// setting, so a variable meant for the daemon must not stop them; `run` still refuses it, and `validate-config`
// (which checks the config as the daemon would run it) reports it as invalid instead of ignoring it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/cli/main.js';
const BAD_ENV = {
  PROMPTPILOT_PORT: 'abc',
  PROMPTPILOT_PROBE_PORT: '70000',
  PROMPTPILOT_KAFKA_BROKERS: 'kafka-without-port',
  PROMPTPILOT_REDIS_URL: 'localhost:6379',
  PROMPTPILOT_LOG_LEVEL: 'loud',
};
const run = (env: Record<string, string>, ...args: string[]) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '', ...env } });

describe('daemon environment variables and the offline commands', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-offline-env-'));
  const template = join(dir, 'prompt.txt');
  writeFileSync(template, 'Please kindly answer the question below as briefly as you possibly can.\n');

  it('replay, report, gate and compress run as without the variables', () => {
    const commands = [
      ['replay', '--input', 'examples/pr.ndjson'],
      ['report', '--input', 'examples/pr.ndjson', '--out', join(dir, 'report.html')],
      ['gate', '--baseline', 'examples/pr.ndjson', '--candidate', 'examples/pr.ndjson', '--route', 'support-answer'],
      ['compress', template],
    ];
    for (const args of commands) {
      const clean = run({}, ...args);
      const bad = run(BAD_ENV, ...args);
      expect(bad.stderr, args[0]).not.toContain('PROMPTPILOT_');
      expect(bad.status, args[0]).toBe(clean.status);
      expect(bad.stdout, args[0]).toBe(clean.stdout);
    }
  });

  it('run refuses a bad PROMPTPILOT_PORT with one line naming it, exit 2', () => {
    const r = run({ PROMPTPILOT_PORT: 'abc' }, 'run');
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toBe("promptpilot: PROMPTPILOT_PORT: expected a port number 0-65535 (got 'abc')");
  });

  it('validate-config reports a bad variable as invalid (exit 1) and a good one as valid', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, 'server:\n  port: 4318\n');
    const bad = run({ PROMPTPILOT_PORT: 'abc' }, 'validate-config', file);
    expect(bad.status).toBe(1);
    expect(bad.stderr.trim()).toBe("promptpilot: PROMPTPILOT_PORT: expected a port number 0-65535 (got 'abc')");
    expect(run({ PROMPTPILOT_PORT: '9000' }, 'validate-config', file).stdout).toBe(`${file}: valid\n`);
  });
});
