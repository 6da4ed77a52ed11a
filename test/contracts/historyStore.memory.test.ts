import { HOUR_MS } from '../../src/foresight/hourlyRollup.js';
import { MemoryHistoryStore } from '../../src/foresight/memoryHistoryStore.js';
import { historyStoreContract } from './historyStoreContract.js';

historyStoreContract('MemoryHistoryStore', (retentionHours, maxRoutes) => new MemoryHistoryStore({ retentionMs: retentionHours * HOUR_MS, maxRoutes }));
