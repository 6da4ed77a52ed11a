import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { ProgressBar } from '../../src/cli/progress.js';
import { replayFile } from '../../src/cli/replay.js';
import { parseConfig } from '../../src/config/load.js';
import { writeNdjson } from '../helpers/scenario.js';

function terminal(isTTY: boolean): Writable & { isTTY: boolean; columns: number; text: () => string } {
  const parts: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      parts.push(String(chunk));
      cb();
    },
  });
  return Object.assign(stream, { isTTY, columns: 80, text: () => parts.join('') });
}

describe('progress bar on a terminal', () => {
  it('is drawn in place as the percentage moves, then erased', () => {
    const tty = terminal(true);
    const bar = ProgressBar.forInput(tty, 'replay', 1000, 0)!;
    bar.update(0, '0 events');
    bar.update(4, '9 events'); // same percent: not redrawn
    bar.update(500, '1,000 events');
    bar.update(1000, '2,000 events');
    bar.done();
    const frames = tty.text().split('\r').filter((f) => f !== '');
    expect(frames).toHaveLength(4);
    expect(frames[1]).toMatch(/^replay {2}\[█+░+\] {2}50% {2}1,000 events/);
    expect(frames[2]).toMatch(/\[█+\] 100%/);
    expect(frames[3]).toBe('\x1b[K');
  });

  it('is never drawn off a terminal, for small inputs or unknown sizes', () => {
    expect(ProgressBar.forInput(terminal(false), 'replay', 10 ** 9)).toBeNull();
    expect(ProgressBar.forInput(terminal(true), 'replay', 1000)).toBeNull();
    expect(ProgressBar.forInput(terminal(true), 'replay', null, 0)).toBeNull();
  });

  it('replay shows it on stderr and leaves stdout (the decisions) untouched', async () => {
    const input = writeNdjson(Array.from({ length: 2000 }, (_, i) => ({ ts: 1_767_600_000_000 + i * 100, route: 'r', variant: 'v', latency_ms: 100 })));
    const stderr = terminal(true);
    const stdout = terminal(false);
    const summary = await replayFile(input, parseConfig({}), { stdout, stderr, progressMinBytes: 1 });
    expect(summary.events).toBe(2000);
    expect(stderr.text()).toMatch(/\rreplay {2}\[█+\] 100% {2}2,000 events/);
    expect(stderr.text().endsWith('\r\x1b[K')).toBe(true);
    expect(stdout.text()).not.toContain('\r');
  });
});
