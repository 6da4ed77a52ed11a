// Regression (found in the QA pass): `replay` of a file holding only blank lines said "none of its 3 lines is a valid
// event (see above)", but blank lines are skipped without a word, so nothing was above. Such a file is empty.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';

const io = () => ({ stdout: new PassThrough().resume(), stderr: new PassThrough().resume() });

describe('replay of a file of blank lines', () => {
  it('says the file is empty, with no pointer to bad lines that were never printed', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'pp-blank-')), 'blank.ndjson');
    writeFileSync(file, '\n \r\n\t\n');
    await expect(replayFile(file, parseConfig({}), io())).rejects.toThrow(new UsageError(`${file} is empty (3 blank lines): no events to replay`));
  });
});
