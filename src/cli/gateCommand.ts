import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { runGate } from './gate.js';

/** Adapts `runGate` to the process streams. */
export async function runGateCommand(argv: readonly string[], config: Config): Promise<number> {
  return runGate(
    [...argv],
    {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      readFile: (path) => readFile(path, 'utf8'),
      readChunks: (path) => createReadStream(path, { encoding: 'utf8', highWaterMark: 1 << 20 }) as AsyncIterable<string>,
    },
    config,
  );
}
