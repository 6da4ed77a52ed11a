import { MemoryEventForwarder } from '../../src/adapters/memory/memoryEventForwarder.js';
import { eventForwarderContract } from './eventForwarderContract.js';

eventForwarderContract('MemoryEventForwarder', () => new MemoryEventForwarder(), async (forwarder) =>
  forwarder.routes.flatMap((route) => forwarder.byRoute(route).map((event) => ({ key: route, event }))),
);
