import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { decisionLogContract } from './decisionLogContract.js';

// A Redis Stream adapter joins with one more file: decisionLog.redis.test.ts calling decisionLogContract.
decisionLogContract('MemoryDecisionLog', () => new MemoryDecisionLog());
