// Regression (found in the QA pass): `promptpilot report --input run.ndjson --out run.ndjson` replayed the recording
// and then overwrote it with the HTML page (exit 0), and `--out -` wrote a file named "-" where `--input -` reads
// stdin. The first is now refused before anything is read; the second writes the page to stdout.
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { writeReport } from '../../src/cli/reportCommand.js';
import { parseConfig } from '../../src/config/load.js';
import { UsageError } from '../../src/core/errors.js';

const config = parseConfig({});
const recording = readFileSync('examples/main.ndjson', 'utf8').split('\n').slice(0, 200).join('\n');

describe('report --out', () => {
  it('naming the --input file, by its path or a link to it, is refused and the recording stays', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-report-out-'));
    const input = join(dir, 'run.ndjson');
    writeFileSync(input, recording);
    symlinkSync(input, join(dir, 'link.ndjson'));
    const io = { stdout: new PassThrough().resume(), stderr: new PassThrough().resume() };
    for (const out of [input, join(dir, '.', 'link.ndjson')]) {
      await expect(writeReport(input, out, config, io)).rejects.toThrow(new UsageError(`--out ${out} is the --input file: the page would overwrite the recording; choose another --out`));
    }
    expect(readFileSync(input, 'utf8')).toBe(recording);
  });

  it('- writes the page to stdout, the same bytes as to a file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-report-out-'));
    const input = join(dir, 'run.ndjson');
    writeFileSync(input, recording);
    const stdout = new PassThrough();
    const chunks: Buffer[] = [];
    stdout.on('data', (c: Buffer) => chunks.push(c));
    const stderr = new PassThrough().resume();
    await writeReport(input, '-', config, { stdout, stderr });
    await writeReport(input, join(dir, 'r.html'), config, { stdout: new PassThrough().resume(), stderr });
    expect(Buffer.concat(chunks).toString('utf8')).toBe(readFileSync(join(dir, 'r.html'), 'utf8'));
  });
});
