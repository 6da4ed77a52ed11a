import { describe, expect, it } from 'vitest';
import { MemoryEventForwarder } from '../../../src/adapters/memory/memoryEventForwarder.js';
import { InvariantError } from '../../../src/core/errors.js';
import { event } from '../../contracts/fixtures.js';

/** Beyond the EventForwarder contract: what the memory forwarder promises on its own. */
describe('MemoryEventForwarder', () => {
  it('keeps forward order overall and per route; routes in order of first appearance', async () => {
    const forwarder = new MemoryEventForwarder();
    await forwarder.forward([event(1, 'b'), event(2, 'a')]);
    await forwarder.forward([event(3, 'b')]);
    expect(forwarder.events).toEqual([event(1, 'b'), event(2, 'a'), event(3, 'b')]);
    expect(forwarder.routes).toEqual(['b', 'a']);
    expect(forwarder.byRoute('b')).toEqual([event(1, 'b'), event(3, 'b')]);
    expect(forwarder.byRoute('unknown')).toEqual([]);
  });

  it('rejects forward after close; forwarded events stay readable', async () => {
    const forwarder = new MemoryEventForwarder();
    await forwarder.forward([event(1, 'a')]);
    await forwarder.close();
    await expect(forwarder.forward([event(2, 'a')])).rejects.toBeInstanceOf(InvariantError);
    expect(forwarder.events).toEqual([event(1, 'a')]);
  });
});
