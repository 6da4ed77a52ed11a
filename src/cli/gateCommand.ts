import { readFile } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { runGate } from './gate.js';
import { openNdjsonInput } from './inputFile.js';
import { ProgressBar } from './progress.js';

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
          const input = await openNdjsonInput(path);
          const progress = ProgressBar.forInput(process.stderr, `gate ${input.name}`, input.gzip ? null : input.sizeBytes);
          let bytes = 0;
          for await (const chunk of input.chunks) {
            bytes += Buffer.byteLength(chunk);
            progress?.update(bytes);
            yield chunk;
          }
          progress?.done();
        })(),
    },
    config,
  );
}
