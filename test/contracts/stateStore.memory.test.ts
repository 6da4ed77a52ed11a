import { MemoryStateStore } from '../../src/adapters/memory/memoryStateStore.js';
import { stateStoreContract } from './stateStoreContract.js';

stateStoreContract('MemoryStateStore', async () => {
  let nowMs = 1_700_000_000_000;
  const store = new MemoryStateStore({ now: () => nowMs });
  return {
    store,
    elapse: async (ms) => {
      nowMs += ms;
    },
  };
});
