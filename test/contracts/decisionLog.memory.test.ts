import { MemoryDecisionLog } from '../../src/adapters/memory/memoryDecisionLog.js';
import { decisionLogContract } from './decisionLogContract.js';

decisionLogContract('MemoryDecisionLog', () => new MemoryDecisionLog());
