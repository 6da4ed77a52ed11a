import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/cli/gate.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { BASE_ARM, drawEvent, mulberry32, type ArmModel } from '../abtest/simulate.js';

const config = ConfigSchema.parse({});

function ndjson(seed: number, n: number, model: Partial<ArmModel> = {}): string {
  const rand = mulberry32(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = drawEvent({ ...BASE_ARM, ...model }, rand);
    lines.push(JSON.stringify({
      ts: 1_700_000_000_000 + i * 1000, route: 'checkout', variant: 'v1', latency_ms: e.latencyMs,
      input_tokens: e.inputTokens, output_tokens: e.outputTokens, cost_usd: e.costUsd, quality: e.quality,
      correct: e.correct, satisfaction: e.satisfaction, error: e.isError,
    }));
  }
  return `${lines.join('\n')}\n`;
}

async function gate(argv: string[], files: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runGate(argv, {
    stdout: (s) => { stdout += s; },
    stderr: (s) => { stderr += s; },
    readFile: async (path) => {
      const text = files[path];
      if (text === undefined) throw new Error(`ENOENT: no such file or directory, open '${path}'`);
      return text;
    },
  }, config);
  return { code, stdout, stderr };
}

describe('promptpilot gate', () => {
  const baseline = ndjson(1, 5000);

  it('exits 0 with a JSON pass verdict for an equivalent candidate (and ignores --config)', async () => {
    const out = await gate(['--baseline', 'a.ndjson', '--candidate=b.ndjson', '--config', 'x.yaml'], { 'a.ndjson': baseline, 'b.ndjson': ndjson(2, 5000) });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const verdict = JSON.parse(out.stdout) as { verdict: string; gates: { name: string; status: string; evidence: Record<string, { ci: unknown; p: unknown; n: unknown }> }[] };
    expect(verdict.verdict).toBe('pass');
    const rt = verdict.gates.find((g) => g.name === 'response_time_regression')!;
    expect(rt.evidence['latency_ms']).toMatchObject({ n: [5000, 5000] });
  });

  it('exits 1 naming the failed gate for a 25 % slower candidate', async () => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], { a: baseline, b: ndjson(3, 5000, { medianMs: BASE_ARM.medianMs * 1.25 }) });
    expect(out.code).toBe(1);
    expect(JSON.parse(out.stdout)).toMatchObject({ verdict: 'fail', reason: 'failed: response_time_regression' });
  });

  it('exits 3 when the runs are too small to decide', async () => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], { a: ndjson(4, 40), b: ndjson(5, 40) });
    expect(out.code).toBe(3);
    expect(JSON.parse(out.stdout)).toMatchObject({ verdict: 'inconclusive' });
  });

  it.each([
    ['garbage line', { a: baseline, b: 'hello world\n' }, /^promptpilot gate: b:1: \(line\): invalid JSON/],
    ['invalid field', { a: `${baseline}{"ts":1,"route":"r","variant":"v","latency_ms":-5}\n`, b: baseline }, /^promptpilot gate: a:5001: latency_ms: /],
    ['empty file', { a: baseline, b: '\n\n' }, /^promptpilot gate: b: no events$/],
    ['missing file', { a: baseline }, /^promptpilot gate: cannot read b: ENOENT/],
  ])('exits 2 with one line on stderr for bad input (%s)', async (_name, files, message) => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], files as Record<string, string>);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr.split('\n')).toHaveLength(2);
    expect(out.stderr.trimEnd()).toMatch(message);
  });

  it.each([[['--baseline', 'a']], [['--baseline', 'a', '--candidate', 'b', '--frobnicate']], [['--baseline', 'a', '--candidate', 'b', 'extra']]])('exits 2 with one line on a usage error: %j', async (argv) => {
    const out = await gate(argv, { a: baseline, b: baseline });
    expect(out.code).toBe(2);
    expect(out.stderr.split('\n')).toHaveLength(2);
  });

  it('prints usage on --help and exits 0', async () => {
    const out = await gate(['--help'], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Usage: promptpilot gate --baseline/);
  });
});
