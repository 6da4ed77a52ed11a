import { MemoryEventSource } from '../../src/adapters/memory/memoryEventSource.js';
import { eventSourceContract } from './eventSourceContract.js';

eventSourceContract('MemoryEventSource', async ({ drainTimeoutMs }) => {
  const source = new MemoryEventSource({ drainTimeoutMs });
  return {
    source,
    async produce(events) {
      source.push(events);
    },
    async produceInvalid() {
      source.push([], [{ index: 0, field: '(event)', message: 'expected a JSON object', origin: 'memory:test' }]);
    },
    async committed() {
      return source.committedEvents + source.committedRejections;
    },
  };
});
