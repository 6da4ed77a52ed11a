import { describe, expect, it } from 'vitest';
import { runGate } from '../../src/cli/gate.js';
import { ConfigSchema } from '../../src/config/schema.js';
import { BASE_ARM, drawEvent, mulberry32, type ArmModel } from '../abtest/simulate.js';

const config = ConfigSchema.parse({});

function ndjson(seed: number, n: number, model: Partial<ArmModel> = {}, edit: (e: Record<string, unknown>) => Record<string, unknown> = (e) => e): string {
  const rand = mulberry32(seed);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const e = drawEvent({ ...BASE_ARM, ...model }, rand);
    lines.push(JSON.stringify(edit({
      ts: 1_700_000_000_000 + i * 1000, route: 'checkout', variant: 'v1', latency_ms: e.latencyMs,
      input_tokens: e.inputTokens, output_tokens: e.outputTokens, cost_usd: e.costUsd, quality: e.quality,
      correct: e.correct, satisfaction: e.satisfaction, error: e.isError, model: 'gpt-4o-mini',
    })));
  }
  return `${lines.join('\n')}\n`;
}

const without = (...fields: string[]) => (e: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(Object.entries(e).filter(([k]) => !fields.includes(k)));

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
    const out = await gate(['--baseline', 'a.ndjson', '--candidate=b.ndjson', '--config', 'x.yaml'], { 'a.ndjson': ndjson(1, 20_000), 'b.ndjson': ndjson(2, 20_000) });
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    const verdict = JSON.parse(out.stdout) as { verdict: string; route: string; intervals: string; gates: { name: string; status: string; evidence: Record<string, { ci: unknown; p: unknown; n: unknown }> }[] };
    expect(verdict).toMatchObject({ verdict: 'pass', route: 'checkout', intervals: 'fixed_horizon' });
    const rt = verdict.gates.find((g) => g.name === 'response_time_regression')!;
    expect(rt.evidence['latency_ms']).toMatchObject({ n: [20_000, 20_000] });
  });

  it('exits 3 naming the metric when the candidate run lacks a field the baseline has', async () => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], { a: baseline, b: ndjson(2, 5000, {}, without('quality')) });
    expect(out.code).toBe(3);
    const verdict = JSON.parse(out.stdout) as { verdict: string; reason: string; gates: { name: string; status: string; reason: string }[] };
    expect(verdict.verdict).toBe('inconclusive');
    expect(verdict.reason).toMatch(/quality_degradation \(candidate lacks quality\)/);
    expect(verdict.gates.find((g) => g.name === 'quality_degradation')).toMatchObject({ status: 'inconclusive' });
    expect(verdict.gates.map((g) => g.status)).not.toContain('skipped');
  });

  it('flags cost reported in one run and computed from the price table in the other', async () => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], { a: baseline, b: ndjson(2, 5000, {}, without('cost_usd')) });
    const verdict = JSON.parse(out.stdout) as { flags: string[]; cost_sources: unknown; gates: { name: string; status: string; flag?: string }[] };
    expect(verdict.cost_sources).toEqual({ baseline: { reported: 5000, computed: 0 }, candidate: { reported: 0, computed: 5000 } });
    expect(verdict.gates.find((g) => g.name === 'cost_increase')!.flag).toMatch(/different sources/);
    expect(verdict.flags).toHaveLength(1);
    expect(out.code).not.toBe(0);
  });

  it('exits 2 when the two runs are of different routes', async () => {
    const out = await gate(['--baseline', 'a', '--candidate', 'b'], { a: baseline, b: ndjson(2, 5000, {}, (e) => ({ ...e, route: 'search' })) });
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe('promptpilot gate: the runs are of different routes: a is route checkout, b is route search\n');
  });

  it('needs --route for a file with several routes, and then compares that route only', async () => {
    const mixed = `${baseline}${ndjson(3, 500, { medianMs: 9000 }, (e) => ({ ...e, route: 'search' }))}`;
    const refused = await gate(['--baseline', 'a', '--candidate', 'b'], { a: mixed, b: ndjson(2, 5000) });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/a holds routes checkout, search: choose one with --route/);
    const chosen = await gate(['--baseline', 'a', '--candidate', 'b', '--route', 'checkout'], { a: mixed, b: ndjson(2, 5000) });
    expect(JSON.parse(chosen.stdout)).toMatchObject({ route: 'checkout', n: [5000, 5000] });
    const absent = await gate(['--baseline', 'a', '--candidate', 'b', '--route', 'nope'], { a: mixed, b: ndjson(2, 5000) });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/a: no events for route nope \(it holds routes checkout, search\)/);
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
    ['garbage line', { a: baseline, b: 'hello world\n' }, /^promptpilot gate: b: 1 bad line \(line 1\); first: b:1: \(line\): invalid JSON/],
    ['invalid field', { a: `${baseline}{"ts":1,"route":"r","variant":"v","latency_ms":-5}\n`, b: baseline }, /^promptpilot gate: a: 1 bad line \(line 5001\); first: a:5001: latency_ms: /],
    ['empty file', { a: baseline, b: '\n\n' }, /^promptpilot gate: b: no events$/],
    ['missing file', { a: baseline }, /^promptpilot gate: cannot read b: ENOENT/], // the fake IO's error; real files say 'file not found' (inputFile.test.ts),
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

  it('a missing run is named: which flag is missing, and no "gate: gate"', async () => {
    expect((await gate(['--baseline', 'a'], { a: baseline })).stderr).toBe('promptpilot gate: missing --candidate B.ndjson: a gate compares --baseline A.ndjson with --candidate B.ndjson (see --help)\n');
    expect((await gate([], {})).stderr).toBe('promptpilot gate: missing --baseline A.ndjson and --candidate B.ndjson: a gate compares --baseline A.ndjson with --candidate B.ndjson (see --help)\n');
  });

  it('prints usage on --help and exits 0', async () => {
    const out = await gate(['--help'], {});
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/Usage: promptpilot gate --baseline/);
  });
});
