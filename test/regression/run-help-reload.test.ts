// Regression (found reading every help text as a new user): `promptpilot run --help` did not say how to reload the
// config, which README and docs/operations.md give (SIGHUP, or an edit of the file); a user reading only the help
// would restart the daemon, losing its in-memory state, to change a threshold.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('run --help', () => {
  it('says that SIGHUP or an edit of the config file reloads it', () => {
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'run', '--help'], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('SIGHUP, or an edit of the config file, reloads it');
  });
});
