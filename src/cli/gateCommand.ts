import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { runGate } from './gate.js';
import { openNdjsonInput } from './inputFile.js';

/** Adapts `runGate` to the process streams: files or `-` (stdin), plain or gzip NDJSON, as `replay` reads them. */
export async function runGateCommand(argv: readonly string[], config: Config): Promise<number> {
  return runGate(
    [...argv],
    {
      stdout: (s) => process.stdout.write(s),
      stderr: (s) => process.stderr.write(s),
      readFile: (path) => readFile(path, 'utf8'),
      readChunks: (path) =>
        (async function* () {
          yield* (await openNdjsonInput(path)).chunks;
        })(),
    },
    config,
  );
}
