import { readFile } from 'node:fs/promises';
import { compressionOptionsFor, compressPrompt } from '../actions/compressPrompt.js';
import { COMPRESSION_LEVELS, type CompressionLevel } from '../actions/compressTransforms.js';
import { loadConfig, OFFLINE_LOAD } from '../config/load.js';
import { fileReadReason, UsageError } from '../core/errors.js';
import { parseArgs } from './args.js';

/** Where `compress` writes and reads. */
export interface CompressIo {
  readonly stdout: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
}

/**
 * `promptpilot compress FILE|- [--json] [--level conservative|aggressive] [--config FILE]`:
 * prints the token-optimized candidate the daemon would derive from the
 * template (same function, same configured abbreviation library). Exit 0;
 * bad usage or an unreadable file is a {@link UsageError} (one line, exit 2).
 */
export async function runCompressCommand(argv: readonly string[], io: CompressIo): Promise<number> {
  const args = parseArgs(argv, ['level', 'config'], ['help', 'json']);
  const file = args.positionals[0];
  if (file === undefined) throw new UsageError("compress needs a FILE (or '-' for stdin)");
  if (args.positionals.length > 1) throw new UsageError(`compress takes one FILE, got ${args.positionals.length}`);
  const level = args.flags['level'] ?? 'conservative';
  if (!(COMPRESSION_LEVELS as readonly string[]).includes(level)) {
    throw new UsageError(`--level must be one of ${COMPRESSION_LEVELS.join(', ')}, got '${level}'`);
  }
  const config = await loadConfig(args.flags['config'], process.env, OFFLINE_LOAD);
  const template = await readTemplate(file, io.stdin);
  const result = compressPrompt(template, compressionOptionsFor(config, level as CompressionLevel));
  if (args.booleans.has('json')) {
    const json = {
      template: result.text,
      tokens_before: result.tokensBefore,
      tokens_after: result.tokensAfter,
      saving_pct: result.savingPct,
      level: result.level,
      transforms: result.savings.map((s) => ({ name: s.name, tokens_saved: s.tokensSaved })),
    };
    io.stdout.write(`${JSON.stringify(json)}\n`);
  } else {
    io.stdout.write(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  }
  return 0;
}

async function readTemplate(file: string, stdin: NodeJS.ReadableStream): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = file === '-' ? await readAll(stdin) : await readFile(file);
  } catch (err) {
    throw new UsageError(`cannot read template ${file}: ${fileReadReason(err)}`);
  }
  if (bytes.includes(0)) throw new UsageError(`template ${file} is not text (it contains NUL bytes)`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
  } catch {
    // Decoded leniently, a Latin-1 "Résumé" came out as "R\uFFFDsum\uFFFD" in the candidate, exit 0.
    throw new UsageError(`template ${file} is not UTF-8 text (another encoding, or binary data): save it as UTF-8`);
  }
  if (text.trim() === '') throw new UsageError(`template ${file} is empty`);
  return text;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks);
}
