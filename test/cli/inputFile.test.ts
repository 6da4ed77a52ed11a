import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { PromptpilotError } from '../../src/core/errors.js';

const config = parseConfig({});
// The CLI as users run it: the built package (npm test builds before vitest).
const CLI = 'dist/cli/main.js';

const dir = mkdtempSync(join(tmpdir(), 'pp-input-'));
const file = (name: string, content: string | Buffer): string => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

/** 3000 slow calls: enough for a response-time trigger, so the output is not empty. */
function slowRun(badLines: string[] = []): string {
  const start = Date.parse('2026-01-05T08:00:00Z');
  const lines = [...badLines];
  for (let i = 0; i < 3000; i++) lines.push(JSON.stringify({ ts: start + i * 400, route: 'r', variant: 'v', latency_ms: 4000, cost_usd: 0.01 }));
  return `${lines.join('\n')}\n`;
}

async function replay(path: string, stdin?: NodeJS.ReadableStream): Promise<{ stdout: string; stderr: string }> {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (c: Buffer) => (stdout += c.toString()));
  err.on('data', (c: Buffer) => (stderr += c.toString()));
  await replayFile(path, config, stdin === undefined ? { stdout: out, stderr: err } : { stdout: out, stderr: err, stdin });
  return { stdout, stderr };
}

async function replayError(path: string): Promise<string> {
  try {
    await replay(path);
  } catch (err) {
    expect(err).toBeInstanceOf(PromptpilotError);
    return (err as Error).message;
  }
  throw new Error('replay did not refuse the input');
}

const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, PROMPTPILOT_CONFIG: '' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

describe('replay input that explains itself', () => {
  it('gzip input (by its bytes, whatever its name) gives the same decisions as the plain file', async () => {
    const text = slowRun();
    const plain = await replay(file('plain.ndjson', text));
    const gzipped = await replay(file('run.ndjson.gz', gzipSync(text)));
    const misnamed = await replay(file('run-gz.ndjson', gzipSync(text)));
    expect(plain.stdout.length).toBeGreaterThan(0);
    expect(gzipped.stdout).toBe(plain.stdout);
    expect(misnamed.stdout).toBe(plain.stdout);
  });

  it('--input - reads stdin', async () => {
    const text = slowRun();
    const plain = await replay(file('plain2.ndjson', text));
    const stdin = new PassThrough();
    stdin.end(text);
    expect((await replay('-', stdin)).stdout).toBe(plain.stdout);
    const gzStdin = new PassThrough();
    gzStdin.end(gzipSync(text));
    expect((await replay('-', gzStdin)).stdout).toBe(plain.stdout);
  });

  it('binary input is refused with one line saying what it looks like, not hundreds of undecodable lines', async () => {
    const binary = Buffer.alloc(50_000);
    for (let i = 0; i < binary.length; i++) binary[i] = (i * 131 + 7) % 256;
    expect(await replayError(file('data.bin', binary))).toMatch(/^.*data\.bin is binary, not NDJSON text \(a NUL byte at byte \d+\); expected one JSON telemetry event per line$/);
    expect(await replayError(file('gz-of-binary.ndjson.gz', gzipSync(binary)))).toMatch(/gz-of-binary\.ndjson\.gz \(gzip\) is binary/);
    expect(await replayError(file('latin1.ndjson', Buffer.from('{"route":"caf\xe9"}\n', 'latin1')))).toMatch(/is not UTF-8 text/);
    expect(await replayError(file('run.ndjson.zst', Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3])))).toMatch(/is zstd-compressed: decompress it first, e.g. 'zstd -dc FILE \| promptpilot replay --input -'/);
    expect(await replayError(file('broken.ndjson.gz', gzipSync(slowRun()).subarray(0, 2000)))).toMatch(/broken\.ndjson\.gz: the gzip data is damaged/);
  });

  it('bad lines: replay prints the first 20 as FILE:LINE: field: reason, then how many and where', async () => {
    const bad = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? `{broken ${i}` : '{"ts":1,"route":"x","variant":"v"}'));
    const path = file('bad.ndjson', slowRun(bad));
    const { stdout, stderr } = await replay(path);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(21);
    expect(lines[0]).toMatch(new RegExp(`^${path}:1: \\(line\\): invalid JSON`));
    expect(lines[1]).toBe(`${path}:2: latency_ms: required field is missing`);
    expect(lines[20]).toBe(`${path}: 30 bad lines in all (lines 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, …); 10 more not shown`);
    expect(stdout).toContain('response_time_warning');
  });
});

describe('replay and gate word the same problems the same way', () => {
  it('a missing file', () => {
    const missing = join(dir, 'nope.ndjson');
    const replayed = cli('replay', '--input', missing);
    const gated = cli('gate', '--baseline', missing, '--candidate', missing);
    expect(replayed.code).toBe(2);
    expect(gated.code).toBe(2);
    expect(replayed.stderr).toBe(`promptpilot: cannot read ${missing}: file not found\n`);
    expect(gated.stderr).toBe(`promptpilot gate: cannot read ${missing}: file not found\n`);
  });

  it('bad lines: gate refuses the run, saying how many and where, in replay\'s words', () => {
    const bad = ['{broken', '{"ts":1,"route":"x","variant":"v"}', '[1,2]'];
    const path = file('gate-bad.ndjson', slowRun(bad));
    const good = file('gate-good.ndjson', slowRun());
    const gated = cli('gate', '--baseline', good, '--candidate', path);
    expect(gated.code).toBe(2);
    expect(gated.stderr).toMatch(new RegExp(`^promptpilot gate: ${path}: 3 bad lines \\(lines 1, 2, 3\\); first: ${path}:1: \\(line\\): invalid JSON.* — gate compares complete runs only; replay skips such lines\\n$`));
    const replayed = cli('replay', '--input', path);
    expect(replayed.stderr).toContain(`${path}:2: latency_ms: required field is missing`);
  });

  it('binary input', () => {
    const path = file('gate.bin', Buffer.from([0, 1, 2, 3, 0, 0]));
    const good = file('gate-good2.ndjson', slowRun());
    expect(cli('gate', '--baseline', path, '--candidate', good).stderr).toBe(`promptpilot gate: ${path} is binary, not NDJSON text (a NUL byte at byte 0); expected one JSON telemetry event per line\n`);
    expect(cli('replay', '--input', path).stderr).toBe(`promptpilot: ${path} is binary, not NDJSON text (a NUL byte at byte 0); expected one JSON telemetry event per line\n`);
  });
});
