import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { Daemon } from '../../src/daemon.js';
import { startTestDaemon } from '../helpers/daemon.js';

// The README's examples block, run as written against a daemon on the demo config (what `npm start` runs):
// `npx promptpilot` is the built CLI, localhost:4318 the test daemon, output files go to a temp dir.
const readme = readFileSync('README.md', 'utf8');
const block = /Examples \(the sample files[\s\S]*?```bash\n([\s\S]*?)```/.exec(readme)![1]!;
const commands = block
  .replace(/\\\n\s*/g, '')
  .split('\n')
  .map((line) => line.replace(/\s+#.*$/, '').trim())
  .filter((line) => line !== '' && !line.startsWith('#'));

let daemon: Daemon;
const dir = mkdtempSync(join(tmpdir(), 'pp-readme-'));

beforeAll(async () => {
  const demo = parse(readFileSync('config/demo.yaml', 'utf8')) as Record<string, unknown>;
  // Any free port (the commands are rewritten to it): demo.yaml's 4318 may be taken by a running daemon.
  ({ daemon } = await startTestDaemon({ ...demo, server: { ...(demo['server'] as object), port: 0 } }));
});
afterAll(async () => {
  await daemon?.stop();
});

/** Runs one example through sh, asynchronously: the daemon answering curl lives in this process. */
function run(command: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const cli = `${process.execPath} ${join(process.cwd(), 'dist/cli/main.js')}`;
  const shell = command
    .replace(/^npx promptpilot/, cli)
    .replace(/> (\S+)/, (_m, file: string) => `> ${join(dir, file)}`)
    .replace(/--out (\S+)/, (_m, file: string) => `--out ${join(dir, file)}`)
    .replaceAll('localhost:4318', daemon.url.replace('http://', ''));
  return new Promise((resolve) => {
    execFile('sh', ['-c', shell], { encoding: 'utf8', timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ status: err === null ? 0 : typeof err.code === 'number' ? err.code : null, stdout, stderr });
    });
  });
}

describe('every README example works as written', () => {
  it('lists the replay, report, gate, assign and events examples', () => {
    expect(commands.map((c) => c.split(' ').slice(0, 2).join(' '))).toEqual([
      'npx promptpilot', 'npx promptpilot', 'npx promptpilot', "curl 'localhost:4318/v1/assign?route=support-triage&unit=user-42'", 'curl localhost:4318/v1/events',
    ]);
  });

  it('replay → decisions.ndjson', async () => {
    const r = await run(commands[0]!);
    expect(r.status).toBe(0);
    const lines = readFileSync(join(dir, 'decisions.ndjson'), 'utf8').trim().split('\n');
    expect(lines).toHaveLength(29);
    expect(r.stderr).toContain('replay: 24133 events, 0 rejected');
  });

  it('report → report.html', async () => {
    const r = await run(commands[1]!);
    expect(r.status).toBe(0);
    expect(statSync(join(dir, 'report.html')).size).toBeGreaterThan(100_000);
  });

  it('gate → exit 1 with a JSON verdict, as the comment says', async () => {
    const r = await run(commands[2]!);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ route: 'support-answer', verdict: 'fail' });
  });

  it('curl assign and curl events against the daemon of npm start', async () => {
    const assign = await run(commands[3]!);
    expect(JSON.parse(assign.stdout)).toMatchObject({ route: 'support-triage' });
    const events = await run(commands[4]!);
    expect(JSON.parse(events.stdout)).toEqual({ accepted: 1, rejected: 0, errors: [] });
    expect(await (await fetch(`${daemon.url}/v1/routes/support-answer`)).text()).toContain('"count":1');
  });
});
