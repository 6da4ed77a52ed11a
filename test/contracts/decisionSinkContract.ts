import { describe, expect, it } from 'vitest';
import { formatRecord, type DecisionRecord } from '../../src/core/decision.js';
import type { DecisionSink } from '../../src/ports/ports.js';
import { experiment, groupInOrder, mixedRecords, trigger } from './fixtures.js';

/**
 * Reads back everything a sink made visible to its consumers, one line per
 * record as a consumer receives it (Kafka: the message payload). Lines of one
 * route must be in publish order; across routes any order is allowed.
 */
export type SinkReadBack<S> = (sink: S) => Promise<readonly string[]>;

/**
 * The DecisionSink contract: what every adapter must honour.
 * `makeSink` returns a sink whose output starts empty (Kafka: a fresh topic).
 */
export function decisionSinkContract<S extends DecisionSink>(name: string, makeSink: () => S | Promise<S>, readBack: SinkReadBack<S>): void {
  const routeOf = (line: string): string => (JSON.parse(line) as { route: string }).route;
  const byRoute = (lines: readonly string[]): Map<string, string[]> => groupInOrder(lines, routeOf);
  const expectSameRecords = (lines: readonly string[], records: readonly DecisionRecord[]): void => {
    const expected = records.map(formatRecord);
    expect([...lines].sort()).toEqual([...expected].sort());
    expect(byRoute(lines)).toEqual(byRoute(expected));
  };

  describe(`DecisionSink contract: ${name}`, () => {
    it('publish resolves once every record is readable, each byte-identical to formatRecord, each route in order', async () => {
      const sink = await makeSink();
      const records = mixedRecords();
      await sink.publish(records);
      expectSameRecords(await readBack(sink), records);
      await sink.close();
    });

    it('successive publishes add up and keep each route in publish order; nothing is dropped or duplicated', async () => {
      const sink = await makeSink();
      const records = mixedRecords();
      await sink.publish(records.slice(0, 2));
      await sink.publish(records.slice(2, 5));
      await sink.publish(records.slice(5));
      await sink.publish([trigger('support', 7_000), experiment('billing-é☕', 8_000)]);
      await sink.close();
      expectSameRecords(await readBack(sink), [...records, trigger('support', 7_000), experiment('billing-é☕', 8_000)]);
    });

    it('an empty publish is a no-op', async () => {
      const sink = await makeSink();
      await sink.publish([]);
      expect(await readBack(sink)).toEqual([]);
      await sink.publish([trigger('support', 0)]);
      await sink.publish([]);
      await sink.close();
      expectSameRecords(await readBack(sink), [trigger('support', 0)]);
    });

    it('close is idempotent, with or without anything published', async () => {
      const unused = await makeSink();
      await unused.close();
      await unused.close();
      const used = await makeSink();
      await used.publish([trigger('support', 0)]);
      await used.close();
      await used.close();
      expectSameRecords(await readBack(used), [trigger('support', 0)]);
    });
  });
}
