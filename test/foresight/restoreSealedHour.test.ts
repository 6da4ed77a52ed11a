import { describe, expect, it } from 'vitest';
import { makeEvent } from '../../src/core/event.js';
import { decodeForesightState, encodeForesightState, type OpenHourState } from '../../src/foresight/foresightCheckpoint.js';
import { HistoryRecorder, NO_HOUR, type HourSlot } from '../../src/foresight/historyRecorder.js';
import { HOUR_MS } from '../../src/foresight/hourlyRollup.js';
import { MemoryHistoryStore } from '../../src/foresight/memoryHistoryStore.js';

// A checkpoint written before an hour was sealed, restored after the hour was sealed and stored (instance A
// sealed it, then died before a newer checkpoint; B restores A's older one): the hour's calls are in the store
// already and must not be added to it a second time. A continuation of a stored hour (a call for an hour
// already sealed) still restores and merges, so no call is lost either.

const H = Date.UTC(2026, 10, 30, 10);
const store = (): MemoryHistoryStore => new MemoryHistoryStore({ retentionMs: 28 * 24 * HOUR_MS, maxRoutes: 10 });

/** Adds `n` calls of route `r` in the hour starting at `hourMs`. */
function addCalls(recorder: HistoryRecorder, n: number, hourMs = H): void {
  const slot: HourSlot = { ...NO_HOUR };
  for (let i = 0; i < n; i++) recorder.add(recorder.routeHours('r'), slot, makeEvent(hourMs + 60_000 + i, 'r', 'v1', 100), 0.01);
}

/** The route's open hours as a checkpoint carries them (through its JSON form and decoder). */
function checkpoint(recorder: HistoryRecorder): OpenHourState[] {
  const state = { forecasts: [], anomaly: null, stages: null, trend: null, openHours: recorder.exportRoute('r') };
  return [...decodeForesightState(JSON.parse(JSON.stringify(encodeForesightState(state)))).openHours];
}

const storedCount = (s: MemoryHistoryStore): number | undefined => s.hours('r', H, H + 1)[0]?.count;

describe('restoring open hours against the history store', () => {
  it('an hour sealed after the checkpoint is not counted again when the restored copy seals it', () => {
    const history = store();
    const a = new HistoryRecorder(history);
    addCalls(a, 5);
    const cp = checkpoint(a);
    addCalls(a, 2); // after the checkpoint, before the seal: in the stored hour only
    a.seal(a.routeHours('r'), H + HOUR_MS);
    expect(storedCount(history)).toBe(7);
    // A dies; B restores A's older checkpoint, in which the hour is still open.
    const b = new HistoryRecorder(history);
    b.importRoute('r', cp);
    expect(b.peek('r', H, H + 1, null)).toEqual([]);
    b.seal(b.routeHours('r'), H + HOUR_MS);
    expect(storedCount(history)).toBe(7);
    // A late call for the stored hour still reopens it and is merged once.
    addCalls(b, 1);
    b.sealAll('r');
    expect(storedCount(history)).toBe(8);
  });

  it('an open hour not yet sealed comes back whole and is sealed once', () => {
    const history = store();
    const a = new HistoryRecorder(history);
    addCalls(a, 5);
    const b = new HistoryRecorder(history);
    b.importRoute('r', checkpoint(a));
    b.seal(b.routeHours('r'), H + HOUR_MS);
    expect(storedCount(history)).toBe(5);
  });

  it('a continuation of a stored hour restores and merges once; sealed after the checkpoint, it is dropped', () => {
    const history = store();
    const a = new HistoryRecorder(history);
    addCalls(a, 5);
    a.sealAll('r'); // the route retired: the hour is stored with 5 calls
    addCalls(a, 3); // it came back within the hour: a continuation
    const cp = checkpoint(a);
    expect(cp[0]?.storedCount).toBe(5);

    // Not sealed before the restore: the continuation's calls are merged into the stored hour.
    const b = new HistoryRecorder(history);
    b.importRoute('r', cp);
    b.sealAll('r');
    expect(storedCount(history)).toBe(8);

    // Sealed by A before the restore (the store moved on since the checkpoint): not merged again.
    const again = store();
    const a2 = new HistoryRecorder(again);
    addCalls(a2, 5);
    a2.sealAll('r');
    addCalls(a2, 3);
    const cp2 = checkpoint(a2);
    a2.sealAll('r');
    expect(storedCount(again)).toBe(8);
    const b2 = new HistoryRecorder(again);
    b2.importRoute('r', cp2);
    b2.sealAll('r');
    expect(storedCount(again)).toBe(8);
  });
});
