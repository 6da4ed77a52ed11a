import { describe, expect, it } from 'vitest';
import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { parseConfig } from '../../src/config/load.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import { TransientIoError } from '../../src/core/errors.js';
import { makeEvent } from '../../src/core/event.js';
import { PipelineEngine } from '../../src/engine/engine.js';
import type { LoggedDecision } from '../../src/ports/ports.js';
import { PipelineRunner } from '../../src/runtime/pipelineRunner.js';

/** A decision log with a knob: the next N appends fail transiently. */
class FlakyLog extends MemoryDecisionLog {
  failNext = 0;
  override async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new TransientIoError('store away');
    }
    return super.append(records);
  }
}

const slowTraffic = () => Array.from({ length: 3000 }, (_, i) => ({ ...makeEvent(1_700_000_000_000 + i * 200, 'r', 'v', 4000) }));

describe('PipelineRunner', () => {
  it('never drops a decision when the log append fails transiently: it retries until durable', async () => {
    const log = new FlakyLog();
    log.failNext = 3;
    let retries = 0;
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), log, async () => {}, () => {}, () => retries++, async () => {});
    const records = await runner.submit({ kind: 'events', events: slowTraffic() });
    expect(records.length).toBeGreaterThan(0);
    expect(retries).toBe(3);
    expect(await log.size()).toBe(records.length);
  });

  it('hands the logged decisions on in log order, retrying a transient failure of that step too', async () => {
    const log = new MemoryDecisionLog();
    const handed: LoggedDecision[] = [];
    let failNext = 2;
    let retries = 0;
    const afterLog = async (logged: readonly LoggedDecision[]): Promise<void> => {
      if (failNext-- > 0) throw new TransientIoError('outbox away');
      handed.push(...logged);
    };
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), log, afterLog, () => {}, () => retries++, async () => {});
    const records = await runner.submit({ kind: 'events', events: slowTraffic() });
    expect(records.length).toBeGreaterThan(0);
    expect(retries).toBe(2);
    expect(handed.map((l) => l.record)).toEqual(records);
    expect(handed.map((l) => l.seq)).toEqual(records.map((_, i) => i + 1));
  });

  it('processes inputs strictly in order', async () => {
    const runner = new PipelineRunner(new PipelineEngine(parseConfig({})), new MemoryDecisionLog());
    const order: number[] = [];
    await Promise.all([0, 1, 2].map((i) => runner.submit({ kind: 'command', run: () => (order.push(i), []) })));
    expect(order).toEqual([0, 1, 2]);
  });
});
