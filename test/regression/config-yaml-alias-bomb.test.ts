// Regression (found using validate-config as a new user): a config file whose YAML aliases expand exponentially (a
// "billion laughs" file) was refused by the yaml library with an exception the loader did not expect, so
// validate-config printed "internal error: Excessive alias count …" with exit 70, as for a bug of the daemon's. It is
// an invalid file like any other: one line naming it, exit 1 (validate-config) — and a refused reload for a daemon.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseYaml } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';

const anchors = 'abcdefghi'.split('');
const BOMB = anchors.map((name, i) => `${name}: &${name} [${i === 0 ? Array(9).fill('"lol"').join(',') : Array(9).fill(`*${anchors[i - 1]}`).join(',')}]`).join('\n') + '\n';

describe('a config whose aliases expand exponentially', () => {
  it('is a ConfigError naming the file', () => {
    expect(() => parseYaml(BOMB, 'bomb.yaml')).toThrow(ConfigError);
    expect(() => parseYaml(BOMB, 'bomb.yaml')).toThrow(/^bomb\.yaml: invalid YAML: its aliases \(\*name\) expand too far: /);
  });

  it('validate-config says so in one line, exit 1', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pp-bomb-')), 'bomb.yaml');
    writeFileSync(file, BOMB);
    const r = spawnSync(process.execPath, ['dist/cli/main.js', 'validate-config', file], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`promptpilot: ${file}: invalid YAML: its aliases (*name) expand too far`);
  });

  it('a few aliases stay fine', () => {
    expect(parseYaml('x: &x { threshold: 1 }\nrules: [{ name: accuracy_drop, threshold: 0.8 }]\ny: *x\n', 'ok.yaml')).toMatchObject({ y: { threshold: 1 } });
  });
});
