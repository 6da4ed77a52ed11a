// Regression (found in the QA pass): `promptpilot replay a.ndjson b.ndjson` replayed a alone, `--input a --input b`
// replayed b alone, and `validate-config a.yaml b.yaml` said "a.yaml: valid", all with exit 0 and not a word about
// what was left out (gate and compress already refused an extra FILE). Each is now a usage error naming it, exit 2.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/cli/main.js';
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
const recording = 'examples/main.ndjson';

describe('arguments a command would drop', () => {
  it.each([
    [['replay', recording, 'examples/pr.ndjson'], "unexpected argument 'examples/pr.ndjson'"],
    [['replay', '--input', recording, 'examples/pr.ndjson'], "unexpected argument 'examples/pr.ndjson'"],
    [['replay', '--input', recording, '--input', 'examples/pr.ndjson'], '--input given twice; it takes one value'],
    [['report', '--input', recording, '--out', '/nonexistent/r.html', 'extra'], "unexpected argument 'extra'"],
    [['validate-config', 'config/default.yaml', 'config/demo.yaml'], "unexpected argument 'config/demo.yaml'"],
    [['validate-config', 'config/demo.yaml', '--config', 'config/default.yaml'], "unexpected argument 'config/demo.yaml'"],
    [['run', '--config', 'config/default.yaml', 'extra'], "unexpected argument 'extra'"],
    [['gate', '--baseline', recording, '--candidate', recording, '--candidate', 'examples/pr.ndjson'], '--candidate given twice'],
  ])('%j is refused: %s (exit 2, nothing on stdout)', (args, message) => {
    const r = run(...args);
    expect(r.stderr).toContain(message);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('one positional FILE where the command takes one is still fine', () => {
    expect(run('validate-config', 'config/default.yaml').status).toBe(0);
    expect(run('validate-config', '--config', 'config/default.yaml').status).toBe(0);
    const r = run('replay', recording);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toBe('');
  });
});
