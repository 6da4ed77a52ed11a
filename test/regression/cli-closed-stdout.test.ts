// Regression (found in the QA pass): `promptpilot replay … | head -c 10` (or gate, compress, --help into a reader that
// stopped) died of Node's unhandled 'error' event: "write EPIPE" with a stack trace, exit 1. A closed pipe now ends
// the command quietly with 141, the status of a Unix tool killed by SIGPIPE; another write failure is one line.
import { spawn, spawnSync } from 'node:child_process';
import { openSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CLI = 'dist/cli/main.js';
const env = { ...process.env, PROMPTPILOT_CONFIG: '' };

/** Runs the CLI with a stdout pipe its reader closes at once. */
function withClosedStdout(...args: string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('a CLI whose stdout reader went away', () => {
  it.each([
    [['replay', '--input', 'examples/recorded.ndjson.gz']],
    [['gate', '--baseline', 'examples/main.ndjson', '--candidate', 'examples/pr.ndjson']],
    [['compress', 'test/fixtures/prompts/code_review_guide.txt']],
  ])('%j exits 141 without a stack trace', async (args) => {
    const r = await withClosedStdout(...args);
    expect(r.stderr).not.toMatch(/EPIPE|\n\s+at /);
    expect(r.code).toBe(141);
  }, 30_000);

  it('a full disk is one line naming the problem (exit 74)', () => {
    const r = spawnSync(process.execPath, [CLI, 'compress', 'test/fixtures/prompts/code_review_guide.txt'], { env, stdio: ['ignore', openSync('/dev/full', 'w'), 'pipe'], encoding: 'utf8' });
    expect(r.stderr).toBe('promptpilot: cannot write the output: ENOSPC: no space left on device, write\n');
    expect(r.status).toBe(74);
  });
});
