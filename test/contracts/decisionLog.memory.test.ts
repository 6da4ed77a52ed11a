import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { decisionLogContract } from './decisionLogContract.js';

// A restarted daemon's memory log starts empty, at least a millisecond of wall time later.
decisionLogContract('MemoryDecisionLog', () => new MemoryDecisionLog(), async () => {
  await new Promise((resolve) => setTimeout(resolve, 2));
  return new MemoryDecisionLog();
});
