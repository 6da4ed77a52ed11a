import { describe, expect, it } from 'vitest';
import { formatRecord, type DecisionRecord } from '../../src/core/decision.js';
import type { DecisionLog, LoggedDecision } from '../../src/ports/ports.js';
import { action, experiment, mixedRecords, trigger } from './fixtures.js';

/**
 * The DecisionLog contract: what every adapter (memory, Redis Stream) must honour. Run it from one `<adapter>.test.ts` file per
 * adapter: `decisionLogContract('RedisDecisionLog', () => new RedisDecisionLog(...))`
 * — `makeLog` must return an empty log each call (e.g. a fresh key prefix);
 * `reopen` opens the last one again as a restarted daemon does (same key
 * prefix; the memory log, whose store is the process, starts empty). The
 * adapter's file owns starting and cleaning up its service.
 *
 * Records are compared through `formatRecord`, so an adapter that serializes
 * (Redis) passes as long as what it gives back formats byte-identically.
 */
export function decisionLogContract(name: string, makeLog: () => DecisionLog | Promise<DecisionLog>, reopen: () => DecisionLog | Promise<DecisionLog>): void {
  const lines = (entries: readonly LoggedDecision[]): string[] => entries.map((e) => formatRecord(e.record));
  const formatted = (records: readonly DecisionRecord[]): string[] => records.map(formatRecord);

  describe(`DecisionLog contract: ${name}`, () => {
    it('append returns one entry per record, in input order, with strictly increasing seq across appends', async () => {
      const log = await makeLog();
      const first = await log.append(mixedRecords().slice(0, 3));
      const second = await log.append(mixedRecords().slice(3));
      expect(lines([...first, ...second])).toEqual(formatted(mixedRecords()));
      const seqs = [...first, ...second].map((e) => e.seq);
      for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Infinity);
      expect(await log.size()).toBe(6);
    });

    it('query({}) gives every record back in append order, byte-identical through formatRecord, with the seq append returned', async () => {
      const log = await makeLog();
      const appended = await log.append(mixedRecords());
      const all = await log.query({});
      expect(lines(all)).toEqual(formatted(mixedRecords()));
      expect(all.map((e) => e.seq)).toEqual(appended.map((e) => e.seq));
    });

    it('after is exclusive, and paging with after = last seq and a limit visits every entry exactly once', async () => {
      const log = await makeLog();
      const appended = await log.append(mixedRecords());
      const third = appended[2]?.seq ?? -1;
      expect(lines(await log.query({ after: third }))).toEqual(formatted(mixedRecords().slice(3)));
      const pages: LoggedDecision[][] = [];
      let after = 0;
      for (;;) {
        const page = await log.query({ after, limit: 4 });
        if (page.length === 0) break;
        expect(page.length).toBeLessThanOrEqual(4);
        pages.push([...page]);
        after = page[page.length - 1]?.seq ?? after;
      }
      expect(pages.map((p) => p.length)).toEqual([4, 2]);
      expect(lines(pages.flat())).toEqual(formatted(mixedRecords()));
    });

    it('limit keeps the earliest matching entries', async () => {
      const log = await makeLog();
      await log.append(mixedRecords());
      expect(lines(await log.query({ limit: 2 }))).toEqual(formatted(mixedRecords().slice(0, 2)));
      expect(lines(await log.query({ limit: 100 }))).toEqual(formatted(mixedRecords()));
      expect(await log.query({ limit: 0 })).toEqual([]);
    });

    it('since filters on event time (inclusive), not on append order', async () => {
      const log = await makeLog();
      const late = trigger('support', 9_000);
      const early = trigger('support', 500);
      await log.append([late, early, trigger('support', 2_000)]);
      const since = early.ts + 1_500;
      expect(lines(await log.query({ since }))).toEqual(formatted([late, trigger('support', 2_000)]));
      expect(lines(await log.query({ since: late.ts }))).toEqual(formatted([late]));
      expect(await log.query({ since: late.ts + 1 })).toEqual([]);
    });

    it('route and type filter exactly, and combine with each other and with limit', async () => {
      const log = await makeLog();
      await log.append(mixedRecords());
      const all = mixedRecords();
      expect(lines(await log.query({ route: 'billing-é☕' }))).toEqual(formatted(all.filter((r) => r.route === 'billing-é☕')));
      expect(lines(await log.query({ type: 'trigger' }))).toEqual(formatted(all.filter((r) => r.type === 'trigger')));
      expect(lines(await log.query({ route: 'support', type: 'trigger', limit: 1 }))).toEqual(formatted([trigger('support', 0)]));
      expect(lines(await log.query({ route: 'support', type: 'experiment' }))).toEqual(formatted([experiment('support', 3_000)]));
      expect(await log.query({ route: 'billing' })).toEqual([]);
    });

    it('all filters combine: since, after, route, type', async () => {
      const log = await makeLog();
      const appended = await log.append(mixedRecords());
      const afterFirst = appended[0]?.seq ?? -1;
      const result = await log.query({ after: afterFirst, since: mixedRecords()[1]?.ts ?? 0, route: 'support', type: 'action' });
      expect(lines(result)).toEqual(formatted([action('support', 1_000)]));
    });

    it('is idempotent per decision: a record appended again (same batch or later) keeps its first seq and is logged once', async () => {
      const log = await makeLog();
      const first = await log.append(mixedRecords().slice(0, 3));
      const again = await log.append([trigger('support', 0), trigger('support', 0), trigger('support', 7_000)]);
      expect(again[0]?.seq).toBe(first[0]?.seq);
      expect(again[1]?.seq).toBe(first[0]?.seq);
      expect(again[2]?.seq).toBeGreaterThan(first[2]?.seq ?? Infinity);
      expect(await log.size()).toBe(4);
      expect(lines(await log.query({}))).toEqual(formatted([...mixedRecords().slice(0, 3), trigger('support', 7_000)]));
      // A record differing in one field is another decision.
      await log.append([trigger('support', 0, 'resolved')]);
      expect(await log.size()).toBe(5);
    });

    it('sequence numbers never go backwards across a restart: a cursor from before it pages on to the new decisions at once', async () => {
      const log = await makeLog();
      const before = await log.append(mixedRecords().slice(0, 3));
      const cursor = before[before.length - 1]?.seq ?? Infinity;
      const restarted = await reopen();
      const later = await restarted.append([trigger('support', 7_000)]);
      expect(later[0]?.seq).toBeGreaterThan(cursor);
      expect(lines(await restarted.query({ after: cursor }))).toEqual(formatted([trigger('support', 7_000)]));
    });

    it('an empty append is a no-op, and an empty log answers every query with nothing', async () => {
      const log = await makeLog();
      expect(await log.append([])).toEqual([]);
      expect(await log.size()).toBe(0);
      expect(await log.query({})).toEqual([]);
      expect(await log.query({ since: 0, after: 0, route: 'support', type: 'trigger', limit: 10 })).toEqual([]);
      const [entry] = await log.append([trigger('support', 0)]);
      expect(await log.size()).toBe(1);
      expect(lines(await log.query({}))).toEqual(formatted([trigger('support', 0)]));
      expect((await log.query({ after: entry?.seq ?? 0 })).length).toBe(0);
    });
  });
}
