// Regression (found in the user pass): `promptpilot replay --input README.md` (or `report`) listed every line as bad
// and exited 0 with no decisions, as if the recording had been replayed and nothing happened; an empty file did the
// same. A file with no valid event is bad input: one line saying so, exit 2 (and `report` writes no page).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/reportCommand.js';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';

const config = parseConfig({});
const dir = mkdtempSync(join(tmpdir(), 'pp-replay-empty-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const io = () => ({ stdout: new PassThrough().resume(), stderr: new PassThrough().resume() });

describe('replay of a file without a valid event', () => {
  it('is a usage error naming the file, for replay and report alike', async () => {
    const prose = file('notes.md', '# Notes\n\nnot telemetry\n');
    await expect(replayFile(prose, config, io())).rejects.toThrow(new UsageError(`${prose}: none of its 3 lines is a valid event (see above); nothing replayed`));
    await expect(writeReport(prose, join(dir, 'r.html'), config, io())).rejects.toBeInstanceOf(UsageError);
    const empty = file('empty.ndjson', '');
    await expect(replayFile(empty, config, io())).rejects.toThrow(`${empty} is empty: no events to replay`);
  });

  it('one valid event is enough', async () => {
    const one = file('one.ndjson', 'bad\n{"ts":1700000000000,"route":"r","variant":"v","latency_ms":5}\n');
    expect((await replayFile(one, config, io())).events).toBe(1);
  });
});
