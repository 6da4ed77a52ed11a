// Regression (found in the QA pass): `promptpilot validate-config missing.yaml` exited 1, the verdict "invalid",
// while `promptpilot run --config missing.yaml` exited 2. A file that cannot be read was not validated at all: it
// is bad input, exit 2 as for every command; exit 1 stays the answer for a file that was read and is invalid.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/cli/main.js';
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });

describe('validate-config on a file it cannot read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-validate-'));
  const missing = join(dir, 'missing.yaml');

  it('exits 2 with one line naming the file, as run does (a missing file or a directory)', () => {
    for (const file of [missing, dir]) {
      const r = run('validate-config', file);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`${file}: cannot read config`);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    expect(run('run', '--config', missing).status).toBe(2);
  });

  it('an invalid file it did read is still exit 1', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'server:\n  port: many\n');
    expect(run('validate-config', bad).status).toBe(1);
  });
});
