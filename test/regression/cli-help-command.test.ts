// Regression (found in the QA pass): `promptpilot help replay` printed the general usage, not replay's help as
// `promptpilot replay --help` does (and as `git help X` / `npm help X` teach users to expect).
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const run = (...args: string[]) => spawnSync(process.execPath, ['dist/cli/main.js', ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });

describe('promptpilot help COMMAND', () => {
  it.each(['run', 'replay', 'report', 'gate', 'validate-config', 'compress'])('help %s is the same as %s --help', (command) => {
    const r = run('help', command);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(run(command, '--help').stdout);
  });

  it('an unknown topic is a usage error; bare help is the usage', () => {
    expect(run('help', 'nope')).toMatchObject({ status: 2, stderr: "promptpilot: unknown command 'nope' (see 'promptpilot --help')\n" });
    expect(run('help').stdout).toBe(run('--help').stdout);
  });
});
