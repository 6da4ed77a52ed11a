import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import type { DecisionRecord } from '../../src/core/decision.js';
import type { LoggedDecision } from '../../src/ports/ports.js';

/** A decision log whose appends wait until the test opens the gate: the pipeline stalls behind it. */
export class GatedLog extends MemoryDecisionLog {
  private open: () => void = () => {};
  private readonly gate = new Promise<void>((resolve) => (this.open = resolve));
  appendsStarted = 0;

  override async append(records: readonly DecisionRecord[]): Promise<readonly LoggedDecision[]> {
    this.appendsStarted++;
    await this.gate;
    return super.append(records);
  }

  release(): void {
    this.open();
  }
}
