import { MemoryOutbox } from '../../src/adapters/memory/memoryOutbox.js';
import { outboxContract } from './outboxContract.js';

outboxContract('MemoryOutbox', () => new MemoryOutbox());
