import { MemoryDecisionSink } from '../../src/adapters/memory/memoryDecisionSink.js';
import { formatRecord } from '../../src/core/decision.js';
import { decisionSinkContract } from './decisionSinkContract.js';

decisionSinkContract('MemoryDecisionSink', () => new MemoryDecisionSink(), async (sink) => sink.records.map(formatRecord));
